"""The procedure catalogue as the domain sees it: what a procedure promises."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shared.events import Channel

AGENCY_ID_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"


class Agency(BaseModel):
    id: str = Field(pattern=AGENCY_ID_PATTERN)
    name: str
    short_name: str | None = None
    level: str | None = None


class Procedure(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str
    agency_id: str = Field(pattern=AGENCY_ID_PATTERN)
    field: str | None = None
    processing_hours: int = Field(
        ge=0, description="Working hours (8 = one working day, 0 = same day); for calendar-day procedures, days x 24"
    )
    time_type: Literal["working", "calendar"] = "working"
    online_processing_hours: int | None = Field(None, ge=0)
    fee_vnd: int = Field(0, ge=0)
    fee_note: str | None = None
    online_level: Literal["toan_trinh", "mot_phan"] = "mot_phan"
    clock_policy: Literal["pause", "restart"] = "pause"
    documents: list[str] = []
    legal_basis: str | None = None
    version: str = ""
    effective_from: date | None = None

    @model_validator(mode="after")
    def _calendar_hours_are_days(self) -> Procedure:
        if self.time_type == "calendar":
            for h in (self.processing_hours, self.online_processing_hours):
                if h is not None and h % 24:
                    raise ValueError(f"{self.code}: calendar-day time must be a multiple of 24 hours")
        return self

    def hours_for(self, channel: Channel) -> int:
        if channel is Channel.ONLINE and self.online_processing_hours is not None:
            return self.online_processing_hours
        return self.processing_hours


class Catalogue(BaseModel):
    version: str
    effective_from: date
    agencies: list[Agency]
    procedures: list[Procedure]

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        ids = {a.id for a in self.agencies}
        codes = [p.code for p in self.procedures]
        if len(codes) != len(set(codes)):
            raise ValueError("procedure codes repeat")
        for p in self.procedures:
            if p.agency_id not in ids:
                raise ValueError(f"{p.code}: unknown agency {p.agency_id}")
        return self


def version_on(versions: list[Procedure], day: date) -> Procedure | None:
    """The version of one procedure in force on `day`. For a day before its first version (an
    imported dossier older than our catalogue), the earliest version: the first rules we know."""
    if not versions:
        return None
    ordered = sorted(versions, key=lambda p: (p.effective_from or date.min, p.version))
    in_force = [p for p in ordered if (p.effective_from or date.min) <= day]
    return in_force[-1] if in_force else ordered[0]
