"""The one place a resolution process is wired: HTTP API and page, outbox relay, two consumers
and the deadline watcher."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from services.resolution.entrypoints import assignments_http, fees, interagency_http, results_http
from services.resolution.entrypoints import supplements as supplement_routes
from services.resolution.entrypoints.http import router
from services.resolution.entrypoints.runtime import ResolutionRuntime
from services.resolution.service import cases, supplements
from services.resolution.settings import ResolutionSettings
from services.resolution.web import routes as pages
from shared.db import TRANSIENT_DB_ERRORS
from shared.events import (
    LIFECYCLE_TOPIC,
    REQUESTS_TOPIC,
    RESOLUTION_CASES_GROUP,
    RESOLUTION_REQUESTS_GROUP,
    LifecycleEvent,
    parse_owned_event,
    parse_request,
)
from shared.retention import every

log = logging.getLogger(__name__)
TITLE = "resolution: giải quyết hồ sơ"
DESCRIPTION = "Processing workflow from acceptance to hand-over, control slips and the deadline watcher."
ASYNCAPI_DESCRIPTION = (
    "Processing workflow: consumes accepted dossiers and citizens' requests; publishes statuses "
    "4-10 and overdue notices."
)


def create_runtime(settings: ResolutionSettings | None = None) -> ResolutionRuntime:
    rt = ResolutionRuntime(settings or ResolutionSettings())
    rt.consume(
        LIFECYCLE_TOPIC,
        RESOLUTION_CASES_GROUP,
        lambda raw: rt.texts.open(parse_owned_event(raw)),
        lambda items: open_cases(rt, items),
        max_records=500,
        description="Opens a case for every accepted dossier, replaying an imported one's later history",
    )
    rt.consume(
        REQUESTS_TOPIC,
        RESOLUTION_REQUESTS_GROUP,
        parse_request,
        lambda items: cases.apply_requests(rt.units, rt.calendar, rt.clock, items),
        max_records=100,
        description="Applies citizens' withdrawals, supplements, ratings and verified online payments",
    )
    rt.jobs.append(lambda: deadline_watcher(rt))
    rt.jobs.append(lambda: every(rt.settings.retention_interval_s, rt.purge_sent_outbox))
    rt.document_publication(
        LIFECYCLE_TOPIC,
        LifecycleEvent,
        "Statuses 4-10, dossier.overdue, dossier.rated, "
        "dossier.apology_issued (form 04), dossier.assigned and dossier.approved after acceptance, imported histories replayed (via "
        "the outbox)",
    )
    return rt


async def open_cases(rt: ResolutionRuntime, items) -> list:
    rejected = await cases.open_cases(rt.units, items, rt.calendar)
    await supplements.remember_agencies(rt.units, items)  # for the forms the desk prints
    return rejected


async def deadline_watcher(rt: ResolutionRuntime) -> None:
    """Publishes `dossier.overdue` when a running clock passes its due time, so the board
    moves without anyone acting; stops the cases whose papers did not come in time."""
    while True:
        try:
            while await cases.notice_overdue(rt.units, rt.clock()) > 0:
                pass
            # Form 02's time passed with the papers still missing: processing stops (5 -> 8).
            while await supplements.stop_lapsed(rt.units, rt.calendar, rt.clock()) > 0:
                pass
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("deadline watcher: database unavailable (%s)", type(exc).__name__)
        except Exception:
            log.exception("deadline watcher failed; going on")
        await asyncio.sleep(rt.settings.deadline_watch_interval_s)


def create_app(settings: ResolutionSettings | None = None) -> FastAPI:
    rt = create_runtime(settings)
    # The supplement and fee routes before the generic action route, which would take request-supplement too.
    routers = [
        assignments_http.router,
        interagency_http.router,
        supplement_routes.router,
        fees.router,
        results_http.router,
    ]
    routers += [router, pages.router]
    return rt.create_app(TITLE, DESCRIPTION, routers, pages.STATIC)
