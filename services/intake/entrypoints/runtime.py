"""What an intake process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.uploads import MAX_TOTAL_BYTES
from services.intake.service.catalogue import CurrentProcedures
from services.intake.service.imports import MAX_BYTES as IMPORT_MAX_BYTES
from services.intake.settings import IntakeSettings
from shared.event_text import EventTexts
from shared.runtime import Runtime
from shared.uow import pg_units

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
IMPORTS = "/api/v1/imports"
UPLOADS = "/api/v1/uploads/"  # uploads have a prefix of their own, so their body cap can give them room


class IntakeRuntime(Runtime):
    settings: IntakeSettings

    def __init__(self, settings: IntakeSettings):
        super().__init__(settings, MIGRATIONS, with_outbox=True)
        self.procedures = CurrentProcedures()
        # Staff's words leave sealed and are opened as this service reads them (shared/event_text.py).
        self.texts = EventTexts(settings.event_key_ring())
        self.units = pg_units(lambda: self.db, IntakeRepository, self.texts.seal)
        # The shared body cap lets a legacy file through (the import answers with its own words
        # above its own cap), and a citizen's scans with room for the multipart framing.
        self.body_limits[IMPORTS] = IMPORT_MAX_BYTES + 1
        self.body_limits[UPLOADS] = MAX_TOTAL_BYTES + 1024 * 1024


def runtime_of(request: Request) -> IntakeRuntime:
    runtime: IntakeRuntime = request.app.state.runtime
    return runtime
