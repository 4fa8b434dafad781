"""Backups of the services' databases with pg_dump, restored with pg_restore (docs/backups.md).

    python -m deploy.backup dump [--dir backups] [--databases intake,resolution,stats]
    python -m deploy.backup restore --dir backups/<time> [--databases intake,resolution]
    python -m deploy.backup rewind --to 2026-12-06T02:00:00+07:00   (the services stopped)

Which databases: *_MIGRATION_DATABASE_URL (the tables' owner), else *_DATABASE_URL of the
environment, else those of `make run`'s local server, as the owner roles.
`dump` writes one custom-format archive per database into a new folder <dir>/<UTC time>/ and
prints that folder. `restore` loads each archive into the database its URL names, which must
exist (empty, or an older copy: what the archive holds is dropped and created again). Stats
need not be restored: `make rebuild-stats` replays the lifecycle topic, which is kept forever.
The tools are the newest PostgreSQL client programs installed (pg_dump reads any older server).
`rewind` moves the consumer groups of intake and resolution back to a time (the dump's), so the
restored databases read again what the topic got after it; stats, rebuilt, is left alone.
"""

from __future__ import annotations

import argparse
import glob
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from deploy.local import servers
from deploy.local._common import run_coro, say
from deploy.settings import ToolSettings
from shared.auth.signouts import SESSIONS_GROUPS, SESSIONS_TOPIC
from shared.events import (
    INTAKE_TRACKING_GROUP,
    LIFECYCLE_TOPIC,
    REQUESTS_TOPIC,
    RESOLUTION_CASES_GROUP,
    RESOLUTION_REQUESTS_GROUP,
)
from shared.kafka import client_options, topic_partitions

DUMP_SUFFIX = ".dump"


def database_urls() -> dict[str, str]:
    given, local = ToolSettings().owner_urls(), servers.migration_urls("run")
    return {name: url or local[name] for name, url in given.items()}


def _tool(name: str) -> str:
    """The newest pg_dump/pg_restore of Debian's versioned folders (postgresql-client installs
    them too), else the one on PATH, else the local servers' (installed with them if missing)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: servers.version_key(str(Path(p).parent))
    )
    return found[-1] if found else shutil.which(name) or str(servers.pg_bin() / name)


def _run(cmd: list[str], url: str) -> None:
    shown = [part if part != url else url.split("@")[-1] for part in cmd]  # no password in messages
    result = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise RuntimeError(f"`{' '.join(shown)}` failed:\n{result.stderr[-3000:]}")


def dump(urls: dict[str, str], folder: Path) -> dict[str, Path]:
    """One archive per database (pg_dump's custom format: compressed, restorable table by table)."""
    folder.mkdir(parents=True, exist_ok=True)
    archives = {}
    for name, url in urls.items():
        started, archive = time.monotonic(), folder / f"{name}{DUMP_SUFFIX}"
        _run([_tool("pg_dump"), "--format=custom", f"--file={archive}", f"--dbname={url}"], url)
        say(f"backup: {name} -> {archive} ({archive.stat().st_size:,} bytes, {time.monotonic() - started:.1f} s)")
        archives[name] = archive
    return archives


def restore(archives: dict[str, Path], urls: dict[str, str]) -> None:
    """Each archive into its database, in one transaction per database (all or nothing). Objects
    are owned by the role of the URL, whatever role owned them on the old server."""
    for name, archive in archives.items():
        started = time.monotonic()
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={urls[name]}",
                str(archive),
            ],
            urls[name],
        )
        say(f"restore: {archive} -> {name} ({time.monotonic() - started:.1f} s)")


# The groups whose state lives in a restored database ({group: topic}); stats' is rebuilt instead.
RESTORED_GROUPS = {
    INTAKE_TRACKING_GROUP: LIFECYCLE_TOPIC,
    RESOLUTION_CASES_GROUP: LIFECYCLE_TOPIC,
    RESOLUTION_REQUESTS_GROUP: REQUESTS_TOPIC,
    # Sign-outs made since the dump are recorded again, so a restored database refuses their cookies.
    SESSIONS_GROUPS["intake"]: SESSIONS_TOPIC,
    SESSIONS_GROUPS["resolution"]: SESSIONS_TOPIC,
}


async def rewind(bootstrap: str, at: datetime, groups: dict[str, str] = RESTORED_GROUPS) -> int:
    """Commit, for each group, the first offset at or after `at` on each partition (never
    forward of what the group committed). The consumers apply an event once per (dossier, seq),
    so reading again what a restored database already holds is harmless. The services must be
    stopped: Kafka refuses the commit of a group with members. Returns the records to read again."""
    moved = 0
    for group, topic in groups.items():
        parts = await topic_partitions(bootstrap, topic)
        consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(parts)
            found = await consumer.offsets_for_times(dict.fromkeys(parts, int(at.timestamp() * 1000)))
            ends = await consumer.end_offsets(parts)
            targets = {}
            for tp in parts:
                committed = await consumer.committed(tp)
                first = found[tp].offset if found[tp] is not None else ends[tp]
                targets[tp] = first if committed is None else min(first, committed)
                moved += (ends[tp] if committed is None else committed) - targets[tp]
            await consumer.commit(targets)
        finally:
            await consumer.stop()
        say(f"rewind: {group} on {topic} set to {at.isoformat()}")
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.backup", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["dump", "restore", "rewind"])
    parser.add_argument("--dir", type=Path, help="dump: where the new folder goes (backups); restore: that folder")
    parser.add_argument("--to", type=datetime.fromisoformat, help="rewind: a time with its offset (the dump's)")
    parser.add_argument("--databases", help="comma-separated (dump: all three; restore: every archive in --dir)")
    args = parser.parse_args(argv)
    urls = database_urls()
    wanted = [d.strip() for d in args.databases.split(",")] if args.databases else None
    if unknown := set(wanted or ()) - set(urls):
        parser.error(f"unknown databases {sorted(unknown)}, expected some of {sorted(urls)}")
    try:
        if args.command == "rewind":
            if args.to is None or args.to.tzinfo is None:
                parser.error("rewind needs --to with its UTC offset, e.g. 2026-12-06T02:00:00+07:00")
            bootstrap = ToolSettings().kafka_bootstrap or f"127.0.0.1:{servers.PROFILES['run'].kafka_port}"
            print(run_coro(rewind(bootstrap, args.to)))
        elif args.command == "dump":
            folder = (args.dir or Path("backups")) / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
            dump({n: u for n, u in urls.items() if wanted is None or n in wanted}, folder)
            print(folder)
        else:
            if args.dir is None:
                parser.error("restore needs --dir, the folder a dump wrote")
            archives = {p.stem: p for p in sorted(args.dir.glob(f"*{DUMP_SUFFIX}")) if p.stem in urls}
            archives = {n: p for n, p in archives.items() if wanted is None or n in wanted}
            if not archives or (wanted and set(wanted) - set(archives)):
                parser.error(f"no archive for {sorted(set(wanted or urls) - set(archives))} in {args.dir}")
            restore(archives, urls)
    except RuntimeError as exc:
        say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
