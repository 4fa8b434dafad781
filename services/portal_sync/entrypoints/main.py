"""The one place a portal_sync process is wired: the lifecycle consumer that queues portal calls,
the sender that makes them, the nightly reconciliation and the operator API."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from fastapi import FastAPI

from services.portal_sync.domain.reconcile import seconds_until
from services.portal_sync.entrypoints.http import router
from services.portal_sync.entrypoints.runtime import PortalSyncRuntime
from services.portal_sync.service import ingest, reconcile
from services.portal_sync.settings import PortalSyncSettings
from shared.consumer import Item
from shared.events import LIFECYCLE_TOPIC, PORTAL_SYNC_GROUP, Event, parse_owned_event
from shared.local_time import VN
from shared.web import ASSETS

log = logging.getLogger(__name__)
TITLE = "portal_sync: đồng bộ Cổng Dịch vụ công quốc gia"
DESCRIPTION = "Synchronises every dossier's lifecycle with the national public-service portal."
ASYNCAPI_DESCRIPTION = (
    "National-portal connector: consumes the lifecycle topic into a journal of portal calls, sent in order "
    "and once each; publishes nothing but dead letters."
)
BATCH_RECORDS = 500


def create_runtime(settings: PortalSyncSettings | None = None) -> PortalSyncRuntime:
    rt = PortalSyncRuntime(settings or PortalSyncSettings())

    async def take(items: list[Item[Event]]) -> list[tuple[Item[Event], str]]:
        skipped: Counter = Counter()
        rejected = await ingest.apply_batch(rt.db, items, skipped)
        for reason, n in skipped.items():
            rt.skipped.labels(reason).inc(n)
        rt.sender.wake.set()
        return rejected

    rt.consume(
        LIFECYCLE_TOPIC,
        PORTAL_SYNC_GROUP,
        parse_owned_event,
        take,
        max_records=BATCH_RECORDS,
        description="Portal calls queued in the connector's journal, one transaction per batch",
    )
    rt.jobs.append(rt.sender.run)
    rt.jobs.append(lambda: nightly_reconciliation(rt))
    return rt


async def nightly_reconciliation(rt: PortalSyncRuntime) -> None:
    """At `reconcile_at` local time every night; the mismatch gauge shows the last run's count."""
    while True:
        await asyncio.sleep(seconds_until(rt.clock().astimezone(VN), rt.settings.reconcile_at))
        try:
            result = await reconcile.run(rt.db, rt.portal, rt.clock, rt.settings.reconcile_batch, "schedule")
            rt.mismatches.set(result["mismatches"])
            log.info("reconciliation: %d dossiers, %d mismatches", result["checked"], result["mismatches"])
        except Exception as exc:  # the next night tries again; the gauge keeps its last value
            log.warning("reconciliation failed: %s", exc)


def create_app(settings: PortalSyncSettings | None = None) -> FastAPI:
    rt = create_runtime(settings)
    return rt.create_app(TITLE, DESCRIPTION, [router], ASSETS)  # no pages of its own
