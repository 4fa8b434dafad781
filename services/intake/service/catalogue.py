"""The catalogue: loading a file (data, not code) into intake's database, and reading what is in force."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.catalogue import Agency, Catalogue, Procedure
from shared.uow import Units

SHIPPED_CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "hanoi_catalogue.json"


def read_catalogue(path: Path) -> Catalogue:
    return Catalogue.model_validate(json.loads(path.read_text(encoding="utf-8")))


async def load(units: Units[IntakeRepository], path: Path) -> int:
    """Idempotent: loading the same version again adds nothing."""
    catalogue = read_catalogue(path)
    async with units() as uow, uow.transaction():
        return await uow.repo.load_catalogue(catalogue)


class CurrentProcedures:
    """The procedure in force on a day, and the agencies, read through a short cache: every
    reception needs them, and they change only when a catalogue version is loaded (at an
    instance's start; another instance sees a new version within `ttl_s`)."""

    MAX_ENTRIES = 10_000  # codes x days; unknown codes are never cached, so this is a safety net

    def __init__(self, ttl_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.clock = ttl_s, clock
        self._entries: dict[tuple[str, date], tuple[float, Procedure]] = {}
        self._agencies: tuple[float, dict[str, Agency]] = (0.0, {})

    async def get(self, repo: IntakeRepository, code: str, day: date) -> Procedure | None:
        entry = self._entries.get((code, day))
        if entry is not None and entry[0] > self.clock():
            return entry[1]
        procedure = await repo.current_procedure(code, day)
        if procedure is None:
            return None
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[(code, day)] = (self.clock() + self.ttl_s, procedure)
        return procedure

    async def agencies(self, repo: IntakeRepository) -> dict[str, Agency]:
        """Every agency by id (a province has a few hundred)."""
        expires, by_id = self._agencies
        if expires <= self.clock():
            by_id = {a.id: a for a in await repo.agencies()}
            self._agencies = (self.clock() + self.ttl_s, by_id)
        return by_id
