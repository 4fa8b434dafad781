"""The resolution process: HTTP API, outbox relay, two consumers and the deadline watcher."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from services.resolution.entrypoints.http import router
from services.resolution.service import cases
from shared.calendar import default_calendar
from shared.consumer import AssignmentTracker, BatchProcessor, subscribe_batches
from shared.db import TRANSIENT_DB_ERRORS
from shared.events import DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, LifecycleEvent, REQUESTS_TOPIC, parse_event, parse_request
from shared.http import consumer_check
from shared.runtime import Runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
log = logging.getLogger(__name__)


def build(settings: Settings | None = None) -> Runtime:
    rt = Runtime(settings or Settings.from_env("resolution"), MIGRATIONS, with_outbox=True)
    rt.calendar = default_calendar()
    lifecycle_tracker, requests_tracker = AssignmentTracker(), AssignmentTracker()
    rt.health_checks["lifecycle_consumer"] = consumer_check(lifecycle_tracker)
    rt.health_checks["requests_consumer"] = consumer_check(requests_tracker)
    accepted = BatchProcessor("resolution", rt.broker, rt.registry, parse_event,
                              lambda items: cases.open_cases(rt.db, items, rt.calendar))
    requests = BatchProcessor("resolution", rt.broker, rt.registry, parse_request,
                              lambda items: cases.apply_requests(rt.db, rt.calendar, rt.clock, items))

    subscribe_batches(rt.broker, LIFECYCLE_TOPIC, "resolution-cases", accepted, lifecycle_tracker, max_records=500,
                      description="Opens a case for every accepted dossier, replaying an imported one's later history")

    subscribe_batches(rt.broker, REQUESTS_TOPIC, "resolution-requests", requests, requests_tracker, max_records=100,
                      description="Applies citizens' withdrawals, supplements and ratings")

    rt.jobs.append(deadline_watcher)
    rt.document_publication(LIFECYCLE_TOPIC, LifecycleEvent, "Statuses 4-10, dossier.overdue and dossier.rated after acceptance, imported histories replayed (via the outbox)")
    rt.document_publication(DEAD_LETTER_TOPIC, bytes, "Messages that can never be applied, with the reason and origin in headers")
    return rt


async def deadline_watcher(rt: Runtime, interval: float = 0.5) -> None:
    """Publishes `dossier.overdue` when a running clock passes its due time, so the board
    moves without anyone acting."""
    while True:
        try:
            while await cases.notice_overdue(rt.db, rt.clock()) > 0:
                pass
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("deadline watcher: database unavailable (%s)", type(exc).__name__)
        except Exception:
            log.exception("deadline watcher failed; going on")
        await asyncio.sleep(interval)


runtime = build()
app = runtime.app("resolution: giải quyết hồ sơ",
                  "Processing workflow from acceptance to hand-over, control slips and the deadline watcher.")
app.include_router(router)

ASYNCAPI_DESCRIPTION = "Processing workflow: consumes accepted dossiers and citizens' requests; publishes statuses 4-10 and overdue notices."
