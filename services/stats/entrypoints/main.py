"""The stats process: the batch consumer of the lifecycle topic and the board's API."""
from __future__ import annotations

from pathlib import Path

from services.stats.entrypoints.http import router
from services.stats.service import ingest
from shared.calendar import default_calendar
from shared.consumer import AssignmentTracker, BatchProcessor, subscribe_batches
from shared.events import DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, parse_event
from shared.http import consumer_check
from shared.runtime import Runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def build(settings: Settings | None = None) -> Runtime:
    rt = Runtime(settings or Settings.from_env("stats"), MIGRATIONS, with_outbox=False)
    rt.calendar = default_calendar()
    tracker = AssignmentTracker()
    rt.health_checks["kafka_consumer"] = consumer_check(tracker)
    processor = BatchProcessor("stats", rt.broker, rt.registry, parse_event,
                               lambda items: ingest.apply_batch(rt.db, items))

    subscribe_batches(rt.broker, LIFECYCLE_TOPIC, "stats-projections", processor, tracker, max_records=2000,
                      description="Facts and counters, one transaction per batch")

    rt.document_publication(DEAD_LETTER_TOPIC, bytes, "Messages that can never be applied, with the reason and origin in headers")
    return rt


runtime = build()
app = runtime.app("stats: thống kê hồ sơ", "Live board and statistics built only from lifecycle events.")
app.include_router(router)

ASYNCAPI_DESCRIPTION = "Statistics: consumes the lifecycle topic into facts and counters; publishes nothing but dead letters."
