"""Backup and restore as docs/backups.md tells an operator: after some lifecycles, intake's and
resolution's databases are dumped with pg_dump; the services stop (their server is lost); the
archives are restored with pg_restore into a fresh PostgreSQL server (profile `restore`, its own
data folder and port), intake's and resolution's consumer groups are moved back to before the
load (they read all of it again: harmless, each event applies once), stats is rebuilt there from
the lifecycle topic (`make rebuild-stats`), and the services started on the restored databases
hold every dossier as before, with stats agreeing and reconciliation finding nothing."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from deploy import backup
from deploy.local import servers
from tests.chaos.test_nothing_lost import SHIFT, Driver, differences, snapshot
from tests.conftest import write_staff
from tests.e2e.reconciliation import reconcile_over_http
from tests.e2e.settle import settle
from tests.fleet import REPO, Fleet

pytestmark = pytest.mark.chaos
DOSSIERS = 60
BEFORE = {"intake": 18191 + SHIFT, "resolution": 18192 + SHIFT, "stats": 18193 + SHIFT}
AFTER = {"intake": 18194 + SHIFT, "resolution": 18195 + SHIFT, "stats": 18196 + SHIFT}


@pytest.fixture
def fresh_server():
    """The restore profile's PostgreSQL, from an empty data folder, stopped afterwards."""
    servers.stop_postgres("restore")
    shutil.rmtree(servers.PROFILES["restore"].home, ignore_errors=True)
    try:
        servers.start_postgres("restore")
        yield {"app": servers.database_urls("restore"), "owner": servers.migration_urls("restore")}
    finally:
        servers.stop_postgres("restore")


def _rows(snap: dict, service: str) -> dict:
    return {code: tuple(row) for code, row in snap[service].items()}


async def test_dumps_restored_into_a_fresh_server_and_stats_rebuilt(endpoints, staff, fresh_server, tmp_path, capsys):
    figures: Counter = Counter()
    (tmp_path / "before").mkdir()
    (tmp_path / "after").mkdir()
    before = Fleet(BEFORE, dict(endpoints), tmp_path / "before")
    try:
        for name in BEFORE:
            before.start(name)
        for name in BEFORE:
            await asyncio.to_thread(before.wait_healthy, name)
        load_started = datetime.now(UTC)
        await Driver(before, staff.auth("leader"), figures, random.Random(3)).run(DOSSIERS)
        await settle(endpoints, timeout=120)
        original = await snapshot(endpoints)
        # As the tables' owners, like `make backup`: the services' roles read rows only.
        source = {name: endpoints[f"{name.upper()}_MIGRATION_DATABASE_URL"] for name in ("intake", "resolution")}
        started = time.monotonic()
        archives = await asyncio.to_thread(backup.dump, source, tmp_path / "backup")
        figures["dump_s"] = round(time.monotonic() - started, 1)
    finally:
        before.stop_all()  # the old server is gone from here on

    started = time.monotonic()
    await asyncio.to_thread(backup.restore, archives, fresh_server["owner"])
    figures["restore_s"] = round(time.monotonic() - started, 1)
    restored = {
        **{f"{name.upper()}_DATABASE_URL": url for name, url in fresh_server["app"].items()},
        **{f"{name.upper()}_MIGRATION_DATABASE_URL": url for name, url in fresh_server["owner"].items()},
        "KAFKA_BOOTSTRAP_SERVERS": endpoints["KAFKA_BOOTSTRAP_SERVERS"],
    }
    figures["records_read_again"] = await backup.rewind(endpoints["KAFKA_BOOTSTRAP_SERVERS"], load_started)
    started = time.monotonic()
    rebuilt = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "services.stats.entrypoints.commands", "rebuild"],
        cwd=REPO,
        env={**os.environ, **restored},
        capture_output=True,
        text=True,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    figures["rebuild_s"] = round(time.monotonic() - started, 1)
    write_staff(restored, services=("stats",))  # staff accounts of a rebuilt stats: `make user` again

    after = Fleet(AFTER, restored, tmp_path / "after")
    try:
        for name in AFTER:
            after.start(name)
        for name in AFTER:
            await asyncio.to_thread(after.wait_healthy, name)
        await settle(restored, timeout=120)
        now = await snapshot(restored)
        rec = await reconcile_over_http(after.url("stats"), staff.auth("monitor"))
    finally:
        after.stop_all()
    figures.update(
        dossiers_restored=len(now["intake"]),
        cases_restored=len(now["resolution"]),
        facts_rebuilt=len(now["stats"]),
        reconciliation_mismatches=rec["mismatches"],
    )
    with capsys.disabled():
        print("\nbackup figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))
    for service in ("intake", "resolution", "stats"):  # stats: rebuilt from the topic, equal to the lost one
        assert _rows(now, service) == _rows(original, service), service
    assert figures["dossiers_restored"] >= DOSSIERS and figures["records_read_again"] > DOSSIERS
    assert differences(now) == []
    assert rec["mismatches"] == 0, rec
