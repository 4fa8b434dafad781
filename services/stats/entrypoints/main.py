"""The one place a stats process is wired: the batch consumer of the lifecycle topic, the board's
API and page, the change listener and the periodic reconciliation."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from services.stats.adapters import generations
from services.stats.adapters.fast_events import decode_owned_event
from services.stats.entrypoints.http import router
from services.stats.entrypoints.runtime import StatsRuntime
from services.stats.service import ingest, reconcile, reconcile_runs
from services.stats.settings import StatsSettings
from services.stats.web import routes as pages
from shared.events import LIFECYCLE_TOPIC, STATS_GROUP
from shared.retention import every

log = logging.getLogger(__name__)
TITLE = "stats: thống kê hồ sơ"
DESCRIPTION = "Live board and statistics built only from lifecycle events."
ASYNCAPI_DESCRIPTION = (
    "Statistics: consumes the lifecycle topic into facts and counters; publishes only dead letters and sign-outs."
)


def create_runtime(settings: StatsSettings | None = None) -> StatsRuntime:
    rt = StatsRuntime(settings or StatsSettings())

    rt.on_migrated.append(generations.ensure_active)  # creates schemas and tables: the owner's work
    rt.jobs.append(lambda: rt.board_changes.listen(rt.settings.database_url))
    if rt.settings.reconcile_interval_s > 0:
        rt.jobs.append(lambda: reconciliation_job(rt))
    rt.consume(
        LIFECYCLE_TOPIC,
        STATS_GROUP,
        decode_owned_event,
        lambda items: ingest.apply_batch(rt.db, items),
        max_records=ingest.BATCH_RECORDS,
        description="Facts and counters, one transaction per batch",
    )
    rt.jobs.append(lambda: every(rt.settings.retention_interval_s, rt.purge_sent_outbox))
    return rt


async def reconciliation_job(rt: StatsRuntime) -> None:
    """Keeps the mismatch gauge current, so an alert can fire on it: the changes at every round, a
    full sweep when the last one is older than its interval. Every instance runs the job; one run
    at a time goes ahead, and each instance's gauge shows the last run done, whoever ran it."""
    settings = rt.settings
    while True:
        await asyncio.sleep(settings.reconcile_interval_s)
        try:
            swept = await reconcile.last_sweep(rt.db)
            sweep_due = swept is None or (rt.clock() - swept).total_seconds() >= settings.reconcile_sweep_interval_s
            asked = reconcile_runs.Request("full" if sweep_due else "changes", True, "schedule")
            _, task = await reconcile_runs.start(
                rt.db,
                settings.database_url,
                rt.clock,
                settings.resolution_url,
                settings.kafka_bootstrap,
                settings.reconcile_settle_s,
                asked,
                resolution_token=settings.service_credential(),
            )
            await task
        except reconcile_runs.RunInProgress:
            pass  # another instance's run, or one an operator asked for
        except Exception as exc:  # the next round tries again; the gauge keeps its last value
            log.warning("reconciliation could not start: %s", exc)
        try:
            last, _ = await reconcile_runs.read(rt.db)
            if last is not None and last.result is not None:
                rt.reconciliation_gauge.set(last.result["mismatches"])
        except Exception as exc:
            log.warning("reconciliation outcome unreadable: %s", exc)


def create_app(settings: StatsSettings | None = None) -> FastAPI:
    rt = create_runtime(settings)
    return rt.create_app(TITLE, DESCRIPTION, [router, pages.router], pages.STATIC)
