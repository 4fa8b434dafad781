"""What a notifier process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import Request
from prometheus_client import Counter, Gauge

from services.notifier.adapters import repository
from services.notifier.adapters.contacts import IntakeContacts
from services.notifier.adapters.sms import EsmsSender
from services.notifier.adapters.smtp import SmtpSender
from services.notifier.service.sender import Sender
from services.notifier.settings import NotifierSettings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


class NotifierRuntime(Runtime):
    settings: NotifierSettings

    def __init__(self, settings: NotifierSettings):
        super().__init__(settings, MIGRATIONS, with_outbox=True)  # its sign-outs reach the others
        self.http = httpx.AsyncClient()
        contacts = IntakeContacts(settings.intake_url, "", self.http)
        self.contacts = contacts
        sms = EsmsSender(settings, self.http) if settings.sms_provider == "esms" else None
        outcomes = Counter(
            "notifier_messages_total",
            "Messages by channel and outcome (sent, skipped, retry, dead)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.sender = Sender(
            lambda: self.db,
            settings,
            contacts.contact,
            SmtpSender(settings).send,
            sms.send if sms else None,
            lambda channel, outcome: outcomes.labels(channel, outcome).inc(),
        )
        self.states = Gauge("notifier_deliveries", "Rows of the sent-log by state", ["state"], registry=self.registry)
        self.stale = Counter(
            "notifier_stale_notices",
            "Notices not told because their event was older than NOTIFIER_MAX_EVENT_AGE_S when read",
            registry=self.registry,
        )
        self.on_started.append(self._read_token)

    async def _read_token(self) -> None:
        # The services' token is read at start-up, like every secret (a missing one fails the start).
        self.contacts.token = self.settings.service_credential()

    async def refresh_states(self) -> None:
        for state, n in (await repository.counts(self.db)).items():
            self.states.labels(state).set(n)

    async def stop(self) -> None:
        await super().stop()
        await self.http.aclose()


def runtime_of(request: Request) -> NotifierRuntime:
    runtime: NotifierRuntime = request.app.state.runtime
    return runtime
