"""The stats process: the batch consumer of the lifecycle topic and the board's API."""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from prometheus_client import Gauge

from services.stats.adapters import generations
from services.stats.adapters.changes import BoardChanges
from services.stats.entrypoints.http import router
from services.stats.web import routes as pages
from shared.web import mount_assets
from services.stats.service import ingest, reconcile
from shared.calendar import default_calendar
from shared.consumer import AssignmentTracker, BatchProcessor, subscribe_batches
from shared.events import DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, parse_event
from shared.http import consumer_check
from shared.runtime import Runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
RECONCILE_EVERY_S = float(os.environ.get("STATS_RECONCILE_INTERVAL_S", "900"))  # 0 turns it off
log = logging.getLogger(__name__)


def build(settings: Settings | None = None) -> Runtime:
    rt = Runtime(settings or Settings.from_env("stats"), MIGRATIONS, with_outbox=False)
    rt.calendar = default_calendar()
    rt.board_changes = BoardChanges()
    rt.on_started.append(lambda: generations.ensure_active(rt.db))
    rt.jobs.append(lambda rt: rt.board_changes.listen(rt.settings.database_url))
    rt.reconciliation_gauge = Gauge("stats_reconciliation_mismatches",
                                    "Mismatches found by the last reconciliation (counters, facts, resolution)",
                                    registry=rt.registry)
    if RECONCILE_EVERY_S > 0:
        rt.jobs.append(reconciliation_job)
    tracker = AssignmentTracker()
    rt.health_checks["kafka_consumer"] = consumer_check(tracker)
    processor = BatchProcessor("stats", rt.broker, rt.registry, parse_event,
                               lambda items: ingest.apply_batch(rt.db, items))

    subscribe_batches(rt.broker, LIFECYCLE_TOPIC, "stats-projections", processor, tracker,
                      max_records=ingest.BATCH_RECORDS,
                      description="Facts and counters, one transaction per batch")

    rt.document_publication(DEAD_LETTER_TOPIC, bytes, "Messages that can never be applied, with the reason and origin in headers")
    return rt


async def reconciliation_job(rt: Runtime) -> None:
    """Keeps the mismatch gauge current, so an alert can fire on it."""
    while True:
        await asyncio.sleep(RECONCILE_EVERY_S)
        try:
            result = await reconcile.reconcile(rt.db, rt.clock(), rt.settings.resolution_url)
            rt.reconciliation_gauge.set(result["mismatches"])
        except Exception as exc:  # the next round tries again; the gauge keeps its last value
            log.warning("reconciliation failed: %s", exc)


runtime = build()
app = runtime.app("stats: thống kê hồ sơ", "Live board and statistics built only from lifecycle events.")
app.include_router(router)
app.include_router(pages.router)
mount_assets(app, pages.STATIC)

ASYNCAPI_DESCRIPTION = "Statistics: consumes the lifecycle topic into facts and counters; publishes nothing but dead letters."
