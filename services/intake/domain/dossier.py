"""Reception rules: what a new dossier looks like and what accepting or refusing it does."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from shared.events import Channel, Deadline
from shared.lifecycle import Status


class Applicant(BaseModel):
    """Personal data: kept by intake only, never logged or published."""
    type: Literal[0, 1, 2] = Field(0, description="0 citizen, 1 enterprise, 2 household business")
    name: str = Field(min_length=1, max_length=200)
    id_number: str = Field(pattern=r"^\d{12}$", description="CCCD: 12 digits")
    phone: str | None = Field(None, pattern=r"^\+?\d{9,12}$")
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: str | None = Field(None, max_length=500)
    representative: str | None = Field(None, max_length=200)

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name is blank")
        return v.strip()


def shown_status(status: int, last_seq: int, tracked_status: int | None, tracked_seq: int | None) -> int:
    """The dossier's status as the citizen should see it: the topic's, once it has seen more
    than intake wrote (resolution's events after acceptance), else intake's own."""
    return tracked_status if (tracked_seq or 0) > last_seq and tracked_status is not None else status


def masked_id(id_number: str) -> str:
    return "*" * 8 + id_number[-4:]


@dataclass(frozen=True)
class Reception:
    """What happens at the moment a dossier is handed in."""
    status: Status
    accepted: bool


def reception_for(channel: Channel) -> Reception:
    # Decision: counter and post dossiers are entered by a clerk who has checked the papers,
    # so they are accepted at once; online ones wait for a clerk's check (status 1).
    if channel is Channel.ONLINE:
        return Reception(Status.SUBMITTED, accepted=False)
    return Reception(Status.ACCEPTED, accepted=True)


def deadline_at_acceptance(procedure, channel: Channel, accepted_at: datetime, calendar) -> Deadline:
    """The due time printed on the slip, and the rule version that produced it."""
    hours = procedure.hours_for(channel)
    return Deadline(
        due_at=calendar.due_time(accepted_at, hours, procedure.time_type),
        processing_hours=hours,
        time_type=procedure.time_type,
        clock_policy=procedure.clock_policy,
        rule_version=f"{calendar.version}|{procedure.code}@{procedure.version}",
    )
