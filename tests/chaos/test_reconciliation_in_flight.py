"""Reconciliation reports what persists, not what is in flight.

Stats and resolution consume the lifecycle topic on their own, so for a moment one may be an
event behind the other. The interleaving is forced here: stats is killed, resolution moves a
case, and the reconciliation's first pass sees the difference; stats comes back while the
recheck waits, and nothing is reported. A stats that does not come back is reported once, as
stuck; a fact corrupted on purpose is reported once, at the same seq, without waiting.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial

import asyncpg
import httpx
import pytest

from services.stats.adapters import generations
from services.stats.service import reconcile, status_check
from shared.auth.sessions import SERVICE_TOKEN_FILE, load_secret
from tests.chaos.test_nothing_lost import APPLICANT, SHIFT
from tests.conftest import eventually
from tests.fleet import Fleet

pytestmark = pytest.mark.chaos
TOKEN = load_secret(None, SERVICE_TOKEN_FILE).decode()  # what the services read: .local/service-token
PORTS = {"intake": 18171 + SHIFT, "resolution": 18172 + SHIFT, "stats": 18173 + SHIFT}


async def _fact(pool: asyncpg.Pool, code: str):
    async with pool.acquire() as conn, conn.transaction():
        await generations.use_active(conn)
        return await conn.fetchrow("SELECT status, last_seq FROM facts WHERE code = $1", code)


async def _set_fact_status(pool: asyncpg.Pool, code: str, status: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await generations.use_active(conn)
        await conn.execute("UPDATE facts SET status = $2 WHERE code = $1", code, status)


def _about(result: dict, code: str) -> list[dict]:
    return [e for e in result["examples"] if e.get("code") == code]


async def test_in_flight_is_rechecked_stuck_and_corrupt_are_reported_once(endpoints, bootstrap, staff, tmp_path):
    fleet = Fleet(PORTS, dict(endpoints), tmp_path)
    for name in PORTS:
        fleet.start(name)
    for name in PORTS:
        await asyncio.to_thread(fleet.wait_healthy, name)
    pool = await asyncpg.create_pool(endpoints["STATS_DATABASE_URL"], min_size=1, max_size=3)
    resolution = fleet.url("resolution")
    try:
        async with httpx.AsyncClient(timeout=30, auth=staff.auth("leader")) as client:
            r = await client.post(
                f"{fleet.url('intake')}/api/v1/dossiers",
                json={"procedure_code": "1.013831", "channel": "counter", "applicant": APPLICANT},
            )
            assert r.status_code == 201, r.text
            code = r.json()["code"]
            await eventually(lambda: _fact(pool, code), timeout=60, what=f"{code} in stats")

            fleet.kill("stats")
            moved = await client.post(f"{resolution}/api/v1/cases/{code}/start-processing", json={})
            assert moved.status_code == 200, moved.text

            # Stats stays down: the difference is there on the first pass and does not go away.
            stuck = await reconcile.reconcile(
                pool, datetime.now(UTC), resolution, bootstrap, settle_s=0, resolution_token=TOKEN
            )
            assert stuck["by_check"]["statuses"] == 1 and stuck["mismatches"] == 1, stuck
            [example] = _about(stuck, code)
            assert example["resolution"] == (4, 2) and example["stats"] == (2, 1), example
            assert "did not catch up" in example["problem"], example

            # In flight: seen by the first pass, gone by the recheck once stats is back.
            async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {TOKEN}"}) as plain:
                survey = await reconcile.take_survey(pool, datetime.now(UTC), plain, resolution)
                seen = survey.report(datetime.now(UTC))
                assert survey.statuses is not None and code in survey.statuses.differing, seen
                assert survey.found.total == 0, seen
                fleet.start("stats")
                await status_check.confirm(
                    pool,
                    plain,
                    resolution,
                    bootstrap,
                    survey.statuses,
                    partial(survey.found.add, "statuses"),
                    settle_s=120,
                )
            result = survey.report(datetime.now(UTC))
            # other tests' dossiers may be in flight too (make test shares the databases): ours is among them
            assert result["mismatches"] == 0 and result["differences_rechecked"] >= 1, result
            assert tuple(await _fact(pool, code)) == (4, 2)

            # A lasting divergence at the same seq: reported once, whatever the recheck allows.
            await _set_fact_status(pool, code, 9)
            try:
                corrupt = await reconcile.reconcile(
                    pool, datetime.now(UTC), resolution, bootstrap, settle_s=30, resolution_token=TOKEN
                )
            finally:
                await _set_fact_status(pool, code, 4)
            assert corrupt["by_check"]["statuses"] == 1, corrupt
            [example] = _about(corrupt, code)
            assert example["problem"] == "different status at the same seq", example
            assert example["stats"] == (9, 2) and example["resolution"] == (4, 2), example
    finally:
        await pool.close()
        fleet.stop_all()
