"""What a portal_sync process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import Request
from prometheus_client import Counter, Gauge

from services.portal_sync.adapters.portal import PortalClient
from services.portal_sync.service.sender import Sender
from services.portal_sync.settings import PortalSyncSettings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
CRASH_EXIT_CODE = 70


class PortalSyncRuntime(Runtime):
    settings: PortalSyncSettings

    def __init__(self, settings: PortalSyncSettings):
        super().__init__(settings, MIGRATIONS, with_outbox=True)  # its sign-outs reach the others
        token = settings.portal_token.get_secret_value() if settings.portal_token else None
        self.portal = PortalClient(settings.portal_url, token, settings.portal_timeout_s)
        self.skipped = Counter(
            "portal_sync_skipped_events",
            "Lifecycle events that make no portal call, by reason (duplicate, not_synchronised, unknown_dossier)",
            ["reason"],
            registry=self.registry,
        )
        self.backlog = Gauge(
            "portal_sync_backlog",
            "Portal calls taken from the lifecycle topic and not yet acknowledged by the portal",
            registry=self.registry,
        )
        self.calls = Counter(
            "portal_sync_calls_total",
            "Portal calls by kind and outcome (sent, rejected, retried)",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.mismatches = Gauge(
            "portal_sync_reconciliation_mismatches",
            "Dossiers whose portal status differed from the journal at the last reconciliation",
            registry=self.registry,
        )
        self.sender = Sender(
            lambda: self.db,
            settings.database_url,
            self.portal,
            self.clock,
            backlog=self.backlog,
            calls=self.calls,
            retry_max_s=settings.retry_max_s,
            poll_interval_s=settings.poll_interval_s,
            after_send=self._crash_after(settings.fault_crash_after_send),
        )

    @staticmethod
    def _crash_after(key: str):
        def check(sent: str) -> None:
            if key and sent == key:
                os._exit(CRASH_EXIT_CODE)  # no clean-up on purpose: a crash between send and record

        return check

    async def stop(self) -> None:
        await super().stop()
        await self.portal.close()


def runtime_of(request: Request) -> PortalSyncRuntime:
    runtime: PortalSyncRuntime = request.app.state.runtime
    return runtime
