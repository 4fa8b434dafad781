"""Nightly reconciliation: the statuses the journal says the portal holds against what the portal
answers. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta


@dataclass(frozen=True)
class Mismatch:
    dossier_code: str
    ours: int
    portal: int | None  # None: the portal does not know the dossier

    def as_dict(self) -> dict:
        return {"dossier_code": self.dossier_code, "ours": self.ours, "portal": self.portal}


def compare(ours: dict[str, int], portal: dict[str, int | None]) -> list[Mismatch]:
    """Every dossier of `ours` whose portal status differs (or is missing), in code order."""
    return [
        Mismatch(code, status, portal.get(code)) for code, status in sorted(ours.items()) if portal.get(code) != status
    ]


def seconds_until(now: datetime, at: str) -> float:
    """Seconds from `now` (local, aware) to the next `at` ("HH:MM", same zone), at least one minute
    away so a run that ends within its minute does not start again."""
    hour, minute = (int(part) for part in at.split(":"))
    target = datetime.combine(now.date(), time(hour, minute), now.tzinfo)
    if target <= now + timedelta(minutes=1):
        target += timedelta(days=1)
    return (target - now).total_seconds()
