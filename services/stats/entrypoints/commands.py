"""Operator commands of the stats service.

    python -m services.stats.entrypoints.commands rebuild     replay the topic into new tables, then switch
    python -m services.stats.entrypoints.commands reconcile   counters vs facts vs resolution; exit 1 on mismatch

They use the same settings as the service (StatsSettings: STATS_DATABASE_URL,
KAFKA_BOOTSTRAP_SERVERS, RESOLUTION_URL, STATS_REBUILD_WORKERS, …) and may run while it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

from services.stats.adapters import generations
from services.stats.entrypoints.runtime import MIGRATIONS
from services.stats.service import rebuild as rebuild_service
from services.stats.service import reconcile_runs
from services.stats.settings import StatsSettings
from shared.db import create_pool, migrate
from shared.events import LIFECYCLE_TOPIC
from shared.runtime import tune_gc


def _bar(p: rebuild_service.Progress) -> None:
    total = max(p.total, p.applied, 1)
    done = int(30 * p.applied / total)
    print(
        f"\r  [{'#' * done}{'.' * (30 - done)}] {p.applied:,}/{total:,} events  {p.rate:,.0f}/s",
        end="",
        file=sys.stderr,
        flush=True,
    )


async def _pool(settings: StatsSettings):
    pool = await create_pool(settings.owner_database_url, max_size=4)  # migrates, makes generations
    await migrate(pool, MIGRATIONS)
    await generations.ensure_active(pool)
    return pool


async def rebuild(settings: StatsSettings) -> int:
    pool = await _pool(settings)
    tune_gc()
    try:
        print(f"rebuild: replaying {LIFECYCLE_TOPIC} from {settings.kafka_bootstrap} into new tables…", file=sys.stderr)
        result = await rebuild_service.rebuild(
            pool,
            settings.owner_database_url,
            settings.kafka_bootstrap,
            LIFECYCLE_TOPIC,
            _bar,
            workers=settings.rebuild_workers,
        )
    finally:
        await pool.close()
    print(file=sys.stderr)
    print(
        f"rebuild: {result['events']:,} events in {result['seconds']} s ({result['events_per_second']:,}/s); "
        f"now serving {result['generation']} (replaced {result['replaced']}); "
        f"undecodable {result['skipped_bad']}, not applicable {result['rejected']}",
        file=sys.stderr,
    )
    print(json.dumps(result))
    return 0


async def reconcile(settings: StatsSettings, resolution_url: str | None, scope: str) -> int:
    pool = await _pool(settings)
    try:
        asked = reconcile_runs.Request(scope, resolution_url is not None, "command")
        try:
            run, task = await reconcile_runs.start(
                pool,
                settings.owner_database_url,
                lambda: datetime.now(UTC),
                resolution_url,
                settings.kafka_bootstrap,
                settings.reconcile_settle_s,
                asked,
                resolution_token=settings.service_credential(),
            )
        except reconcile_runs.RunInProgress as exc:
            print(f"reconcile: {exc.en}", file=sys.stderr)
            return 2
        print(f"reconcile: run {run.id} ({scope}) started…", file=sys.stderr)
        result = await task
        if result is None:
            failed, _ = await reconcile_runs.read(pool, run.id)
            print(f"reconcile: run {run.id} failed: {failed.error if failed else '?'}", file=sys.stderr)
            return 2
    finally:
        await pool.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"reconcile: {result['mismatches']} mismatches {result['by_check']}", file=sys.stderr)
    return 1 if result["mismatches"] else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.stats.entrypoints.commands")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild", help="rebuild the projections from the lifecycle topic, then switch")
    rec = sub.add_parser("reconcile", help="compare counters, facts and resolution's statuses")
    settings = StatsSettings()
    rec.add_argument(
        "--resolution-url",
        default=settings.resolution_url,
        help="resolution's base URL; empty to skip the status comparison",
    )
    rec.add_argument(
        "--changes", action="store_true", help="only what was written since the last run (default: a full sweep)"
    )
    args = parser.parse_args(argv)
    if args.command == "rebuild":
        return asyncio.run(rebuild(settings))
    return asyncio.run(reconcile(settings, args.resolution_url or None, "changes" if args.changes else "full"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
