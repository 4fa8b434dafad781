"""What a resolution process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography import x509
from fastapi import Request

from services.resolution.adapters.repository import ResolutionRepository
from services.resolution.settings import ResolutionSettings
from shared.event_text import EventTexts
from shared.runtime import Runtime
from shared.uow import pg_units

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
RESULTS = "/api/v1/results/"  # a prefix of its own, so the body cap can give the signed PDF room


class ResolutionRuntime(Runtime):
    settings: ResolutionSettings

    def __init__(self, settings: ResolutionSettings):
        super().__init__(settings, MIGRATIONS, with_outbox=True)
        # Staff's words leave sealed and are opened as this service reads them (shared/event_text.py).
        self.texts = EventTexts(settings.event_key_ring())
        self.units = pg_units(lambda: self.db, ResolutionRepository, self.texts.seal)
        # An electronic result travels as base64 in JSON (4 characters per 3 bytes), with room for the rest.
        self.body_limits[RESULTS] = settings.result_max_bytes * 4 // 3 + 64 * 1024
        # Read once at start: a bad file stops the service rather than every signed result.
        roots = settings.result_trust_roots
        self.result_roots = x509.load_pem_x509_certificates(roots.read_bytes()) if roots else None


def runtime_of(request: Request) -> ResolutionRuntime:
    runtime: ResolutionRuntime = request.app.state.runtime
    return runtime


def correlation_of(request: Request) -> str:
    """The caller's X-Correlation-ID (so a clerk's click and its events share one id), else a new one."""
    return (request.headers.get("X-Correlation-ID") or str(uuid.uuid4()))[:100]
