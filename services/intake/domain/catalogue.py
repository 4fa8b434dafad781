"""The procedure catalogue as the domain sees it: what a procedure promises."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from shared.events import Channel, ProcessStep

AGENCY_ID_PATTERN = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"

# A province after the two-level reform: the province's People's Committee at the top, its
# departments (sở) and province-level branches (chi cục, văn phòng đăng ký đất đai...) under a
# department, and the communes and wards (xã, phường) directly under the province.
AgencyLevel = Literal["province", "department", "branch", "commune"]
PerformingLevel = Literal["department", "branch", "commune"]
LEVEL_NAMES_VI = {
    "province": "Cấp tỉnh",
    "department": "Sở, ban, ngành",
    "branch": "Chi nhánh, đơn vị trực thuộc",
    "commune": "Cấp xã",
}


class Agency(BaseModel):
    id: str = Field(pattern=AGENCY_ID_PATTERN)
    name: str
    short_name: str | None = None
    # Catalogues before levels said "province" for a department; read as such.
    level: AgencyLevel | None = None
    parent_id: str | None = Field(None, pattern=AGENCY_ID_PATTERN)


class Procedure(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str
    # Who performs it: the agencies named, and every agency of the levels named (a commune-level
    # procedure is performed by every commune). The catalogue expands `levels` into `agencies`.
    agencies: list[str] = []
    levels: list[PerformingLevel] = []
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
    # The internal process (quy trình nội bộ): steps with their share of the time, and whether a
    # leader must approve before the decision.
    process: list[ProcessStep] = []
    requires_approval: bool = False
    source: str | None = Field(None, description="Where the national code and its rules were checked")

    @model_validator(mode="before")
    @classmethod
    def _one_agency_of_old(cls, data):
        """Catalogues before many performers named one `agency_id`."""
        if isinstance(data, dict) and "agency_id" in data:
            data = dict(data)
            old = data.pop("agency_id")
            data["agencies"] = [*data.get("agencies", []), *([old] if old else [])]
        return data

    @model_validator(mode="after")
    def _process_fits(self) -> Procedure:
        if self.process and self.processing_hours and sum(s.hours for s in self.process) > self.processing_hours:
            raise ValueError(f"{self.code}: the process steps take longer than the procedure's time")
        return self

    @property
    def commune_level(self) -> bool:
        return "commune" in self.levels

    def performed_by(self, agency_id: str) -> bool:
        return agency_id in self.agencies

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
        by_id = {a.id: a for a in self.agencies}
        if len(by_id) != len(self.agencies):
            raise ValueError("agency ids repeat")
        for a in self.agencies:
            if a.parent_id is not None and a.parent_id not in by_id:
                raise ValueError(f"agency {a.id}: unknown parent {a.parent_id}")
            seen, up = {a.id}, a.parent_id
            while up is not None:
                if up in seen:
                    raise ValueError(f"agency {a.id}: its parents form a cycle")
                seen.add(up)
                up = by_id[up].parent_id
        codes = [p.code for p in self.procedures]
        if len(codes) != len(set(codes)):
            raise ValueError("procedure codes repeat")
        for p in self.procedures:
            for agency_id in p.agencies:
                if agency_id not in by_id:
                    raise ValueError(f"{p.code}: unknown agency {agency_id}")
            for step in p.process:  # liên thông: the agency that performs a step must be one we know
                if step.agency_id is not None and step.agency_id not in by_id:
                    raise ValueError(f"{p.code}: step {step.name!r} names unknown agency {step.agency_id}")
            named = set(p.agencies)
            p.agencies = [*p.agencies, *(a.id for a in self.agencies if a.level in p.levels and a.id not in named)]
            if not p.agencies:
                raise ValueError(f"{p.code}: no agency performs it")
        return self


def version_on(versions: list[Procedure], day: date) -> Procedure | None:
    """The version of one procedure in force on `day`. For a day before its first version (an
    imported dossier older than our catalogue), the earliest version: the first rules we know."""
    if not versions:
        return None
    ordered = sorted(versions, key=lambda p: (p.effective_from or date.min, p.version))
    in_force = [p for p in ordered if (p.effective_from or date.min) <= day]
    return in_force[-1] if in_force else ordered[0]
