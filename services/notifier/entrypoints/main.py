"""The one place a notifier process is wired: its consumer of the lifecycle topic (into the
sent-log), the sender that works the sent-log off, and the operator API."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import FastAPI

from services.notifier.entrypoints.http import router
from services.notifier.entrypoints.runtime import NotifierRuntime
from services.notifier.service import consume
from services.notifier.settings import NotifierSettings
from shared.consumer import Item
from shared.events import LIFECYCLE_TOPIC, NOTIFIER_GROUP, Event, parse_owned_event
from shared.web import ASSETS

log = logging.getLogger(__name__)
TITLE = "notifier: thông báo cho công dân"
DESCRIPTION = "E-mail and SMS to citizens who asked for them, one per lifecycle event that concerns them."
ASYNCAPI_DESCRIPTION = (
    "Notifications: consumes the lifecycle topic into its sent-log (e-mail and SMS go out from there); "
    "publishes nothing but dead letters."
)
STATES_INTERVAL_S = 15.0


def create_runtime(settings: NotifierSettings | None = None) -> NotifierRuntime:
    rt = NotifierRuntime(settings or NotifierSettings())

    async def apply(items: list[Item[Event]]) -> list[tuple[Item[Event], str]]:
        told_since = rt.clock() - timedelta(seconds=rt.settings.max_event_age_s)
        rejected, stale = await consume.apply_batch(rt.db, items, told_since)
        rt.stale.inc(stale)
        rt.sender.wake.set()
        return rejected

    rt.consume(
        LIFECYCLE_TOPIC,
        NOTIFIER_GROUP,
        parse_owned_event,
        apply,
        max_records=500,
        description="Acceptance, supplement and fee requests, apology, result and refusal into the sent-log",
    )
    rt.jobs.append(rt.sender.run)
    rt.jobs.append(lambda: states_job(rt))
    return rt


async def states_job(rt: NotifierRuntime) -> None:
    """Keeps the sent-log's gauge current (a growing `dead` or `pending` is worth an alert)."""
    while True:
        try:
            await rt.refresh_states()
        except Exception as exc:  # the next round tries again
            log.warning("sent-log states unreadable: %s", type(exc).__name__)
        await asyncio.sleep(STATES_INTERVAL_S)


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    rt = create_runtime(settings)
    return rt.create_app(TITLE, DESCRIPTION, [router], ASSETS)
