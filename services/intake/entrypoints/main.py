"""The one place an intake process is wired: HTTP API and pages, outbox relay, tracking consumer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.adapters.retention_sql import purge_attachments, purge_personal_fields
from services.intake.entrypoints import bench_bare, imports, logbook, payments, supplements, uploads
from services.intake.entrypoints.http import router
from services.intake.entrypoints.runtime import IntakeRuntime
from services.intake.service import catalogue, tracking
from services.intake.service.supplements import refuse_lapsed
from services.intake.settings import IntakeSettings
from services.intake.web import routes as pages
from shared.events import (
    INTAKE_TRACKING_GROUP,
    LIFECYCLE_TOPIC,
    REQUESTS_TOPIC,
    CitizenRequest,
    LifecycleEvent,
    parse_owned_event,
)
from shared.retention import every, purge_idempotency_keys, purge_sent_outbox

TITLE = "intake: tiếp nhận hồ sơ"
DESCRIPTION = "Reception of administrative-procedure dossiers: catalogue, counter, online, post."
ASYNCAPI_DESCRIPTION = (
    "Reception of dossiers: publishes the first lifecycle events and citizens' requests; "
    "consumes the lifecycle topic for tracking."
)


def create_runtime(settings: IntakeSettings | None = None) -> IntakeRuntime:
    rt = IntakeRuntime(settings or IntakeSettings())
    rt.consume(
        LIFECYCLE_TOPIC,
        INTAKE_TRACKING_GROUP,
        lambda raw: rt.texts.open(parse_owned_event(raw)),
        lambda items: tracking.apply_events(rt.units, items),
        max_records=500,
        description="Keeps each dossier's current status for tracking",
    )

    async def load_catalogue() -> None:
        await catalogue.load(rt.units, rt.settings.catalogue_file or catalogue.SHIPPED_CATALOGUE)

    rt.on_started.append(load_catalogue)
    rt.jobs.append(
        lambda: every(
            rt.settings.supplement_watch_interval_s, lambda: refuse_lapsed(rt.units, rt.clock(), rt.procedures)
        )
    )
    rt.jobs.append(lambda: every(rt.settings.retention_interval_s, lambda: purge_expired(rt)))
    rt.document_publication(
        LIFECYCLE_TOPIC,
        LifecycleEvent,
        "dossier.submitted, dossier.accepted, dossier.refused, "
        "and before acceptance dossier.supplement_requested (imports) and dossier.withdrawn "
        "(via the outbox)",
    )
    rt.document_publication(
        REQUESTS_TOPIC,
        CitizenRequest,
        "Citizens' withdrawals, supplements, ratings and gateway-verified fee payments for dossiers "
        "resolution owns (via the outbox)",
    )
    return rt


async def purge_expired(rt: IntakeRuntime) -> int:
    now, settings = rt.clock(), rt.settings
    return (
        await purge_sent_outbox(rt.db, now - timedelta(seconds=settings.outbox_keep_sent_s))
        + await purge_idempotency_keys(rt.db, now - timedelta(seconds=settings.idempotency_keep_s))
        + await purge_attachments(rt.db, now - timedelta(days=settings.keep_attachments_days))
        + await purge_personal_fields(rt.db, now - timedelta(days=settings.keep_personal_days), now)
    )


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    rt = create_runtime(settings)
    routers = [router, imports.router, uploads.router, supplements.api, logbook.api, pages.api, pages.router]
    routers += [supplements.pages, payments.api, payments.pages]
    if rt.settings.bench_bare:  # `make bench` only: the one-INSERT floor reception is compared with
        routers.append(bench_bare.routes(rt))
    return rt.create_app(TITLE, DESCRIPTION, routers, pages.STATIC)
