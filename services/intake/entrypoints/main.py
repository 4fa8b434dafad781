"""The intake process: HTTP API, outbox relay, and the tracking consumer."""
from __future__ import annotations

import os
from pathlib import Path

from services.intake.service import catalogue, tracking
from services.intake.domain.uploads import MAX_TOTAL_BYTES
from services.intake.entrypoints import bench_bare, imports, uploads
from services.intake.entrypoints.http import router
from services.intake.web import routes as pages
from shared.web import mount_assets
from shared.calendar import default_calendar
from shared.consumer import AssignmentTracker, BatchProcessor, subscribe_batches
from shared.events import DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, REQUESTS_TOPIC, CitizenRequest, LifecycleEvent, parse_event
from shared.http import consumer_check
from shared.runtime import Runtime
from shared.settings import Settings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def build(settings: Settings | None = None) -> Runtime:
    rt = Runtime(settings or Settings.from_env("intake"), MIGRATIONS, with_outbox=True)
    rt.calendar = default_calendar()
    rt.procedures = catalogue.CurrentProcedures()
    tracker = AssignmentTracker()
    rt.health_checks["kafka_consumer"] = consumer_check(tracker)
    processor = BatchProcessor("intake", rt.broker, rt.registry, parse_event,
                               lambda items: tracking.apply_events(rt.db, items))

    subscribe_batches(rt.broker, LIFECYCLE_TOPIC, "intake-tracking", processor, tracker, max_records=500,
                      description="Keeps each dossier's current status for tracking")

    async def load_catalogue() -> None:
        path = os.environ.get("CATALOGUE_FILE") or str(catalogue.DEMO_CATALOGUE)
        await catalogue.load(rt.db, Path(path))

    rt.on_started.append(load_catalogue)
    rt.document_publication(LIFECYCLE_TOPIC, LifecycleEvent, "dossier.submitted, dossier.accepted, dossier.refused, and before acceptance dossier.supplement_requested (imports) and dossier.withdrawn (via the outbox)")
    rt.document_publication(REQUESTS_TOPIC, CitizenRequest, "Citizens' withdrawals, supplements and ratings for dossiers resolution owns (via the outbox)")
    rt.document_publication(DEAD_LETTER_TOPIC, bytes, "Messages that can never be applied, with the reason and origin in headers")
    return rt


runtime = build()
runtime.body_limits["/api/v1/imports"] = imports.BODY_LIMIT
# A citizen's scans: the upload's own cap plus room for the multipart framing.
runtime.body_limits[uploads.UPLOADS] = MAX_TOTAL_BYTES + 1024 * 1024
app = runtime.app("intake: tiếp nhận hồ sơ",
                  "Reception of administrative-procedure dossiers: catalogue, counter, online, post.")
app.include_router(router)
app.include_router(imports.router)
app.include_router(uploads.router)
app.include_router(pages.api)
app.include_router(pages.router)
mount_assets(app, pages.STATIC)

ASYNCAPI_DESCRIPTION = "Reception of dossiers: publishes the first lifecycle events and citizens' requests; consumes the lifecycle topic for tracking."

if bench_bare.enabled():  # `make bench` only: the one-INSERT floor reception is compared with
    bench_bare.install(app, runtime)
