"""Reception rules: what a new dossier looks like and what accepting or refusing it does."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field, field_validator, model_validator

from services.intake.domain.catalogue import Agency, Procedure
from services.intake.domain.digitisation import Mark
from services.intake.domain.placement import Placement
from services.intake.domain.uploads import Upload
from shared.events import AcceptedPayload, Channel, Deadline, Dimensions
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
    # The applicant's choice of notices (services/notifier): by e-mail, SMS, both or none.
    notify: list[Literal["email", "sms"]] = Field(
        default_factory=list, max_length=2, description="Notices wanted: email, sms, both or none"
    )

    @model_validator(mode="after")
    def _contact_for_notices(self) -> Applicant:
        if "email" in self.notify and not self.email:
            raise ValueError(
                "notices by e-mail need an e-mail address / nhận thông báo qua thư điện tử cần địa chỉ thư"
            )
        if "sms" in self.notify and not self.phone:
            raise ValueError("notices by SMS need a phone number / nhận thông báo qua SMS cần số điện thoại")
        return self

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("name is blank")
        return v.strip()


# What replaces an applicant's name, ID number and own words once their retention period is over
# (never 12 digits, so the dossier can no longer be opened by a citizen).
PURGED = "[đã xoá]"
# What events say of a refusal (form 03): the clerk's words may name the applicant, so they stay
# here (dossiers.refusal_reason, printed on the form and shown to the applicant), never on Kafka.
REFUSAL_REASON = "Không được tiếp nhận, lý do ghi trong phiếu từ chối (mẫu 03)"


def masked_id(id_number: str) -> str:
    return "*" * 8 + id_number[-4:]


@dataclass(frozen=True)
class HandedIn:
    """What the applicant hands in (or submits): the procedure asked for, how, by whom, with what."""

    procedure_code: str
    channel: Channel
    applicant: Applicant
    documents: list[str]
    agency_id: str | None = None  # the competent agency asked for; None: the clerk's own or the only one
    # Issue 15, at the counter: how each document came (same order as `documents`), and the scans.
    marks: tuple[Mark, ...] = ()
    scans: tuple[Upload, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NewDossier:
    """A dossier handed in, before the day's number gives it its code."""

    agency_id: str
    procedure_code: str
    procedure_version: str
    channel: Channel
    status: Status
    applicant: Applicant
    documents: list[str]
    received_by: str | None
    submitted_at: datetime
    accepted_at: datetime | None = None
    due_at: datetime | None = None
    rule_version: str | None = None
    last_seq: int = 1
    receiving_agency_id: str | None = None  # None: the competent agency received it itself

    @property
    def numbering_agency(self) -> str:
        """Whose code prefix and day numbers the dossier takes: the receiving agency's."""
        return self.receiving_agency_id or self.agency_id


@dataclass(frozen=True, kw_only=True)
class Dossier(NewDossier):
    """A dossier as intake holds it: what it wrote itself (status, last_seq: statuses 1-3), and
    what the lifecycle topic says happened since (tracked_*: resolution's statuses 4-10)."""

    code: str
    refusal_reason: str | None = None
    withdrawal_reason: str | None = None  # the applicant's own words: kept here, never on an event
    tracking_pin: str | None = None  # the secret on the slip; None only before it was read back
    updated_at: datetime
    tracked_status: Status | None = None
    tracked_seq: int = 0
    tracked_due_at: datetime | None = None
    import_source: str | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    new_appointment_at: datetime | None = None
    apology_reason: str | None = None
    result_kind: str | None = None  # electronic or paper, once decided (from the resolved event)

    @property
    def shown_status(self) -> Status:
        """The status as the citizen should see it: the topic's, once it has seen more than intake
        wrote (resolution's events after acceptance), else intake's own."""
        if self.tracked_status is not None and self.tracked_seq > self.last_seq:
            return self.tracked_status
        return self.status

    @property
    def shown_due_at(self) -> datetime | None:
        return self.tracked_due_at or self.due_at

    def is_applicants(self, id_number: str) -> bool:
        """Whether `id_number` is the applicant's (compared in constant time)."""
        return hmac.compare_digest(self.applicant.id_number.encode(), id_number.encode())

    def opens_with(self, id_number: str, pin: str) -> bool:
        """Whether the applicant's ID number and the slip's tracking secret both match (constant
        time, both compared whatever the first gives; spaces, dashes and case in the secret ignored)."""
        given = pin.replace(" ", "").replace("-", "").upper().encode()
        pin_ok = hmac.compare_digest((self.tracking_pin or "").encode(), given) and self.tracking_pin is not None
        return self.is_applicants(id_number) & pin_ok


class HistoryEntry(NamedTuple):
    """One event of a dossier as tracking shows it."""

    code: str
    seq: int
    type: str
    status: int | None
    occurred_at: datetime
    actor: str | None
    reason: str | None


class TrackedEvent(NamedTuple):
    """An event from the lifecycle topic for the tracking view: its history entry and the due
    time it carries, if any."""

    entry: HistoryEntry
    due_at: datetime | None


class TrackingPosition(NamedTuple):
    """Where a dossier's tracking stands: the last seq recorded and the last status recorded."""

    seq: int
    status: int | None


class Apology(NamedTuple):
    """Form 04 as tracking shows it: the new appointment and why."""

    code: str
    seq: int
    new_appointment_at: datetime
    reason: str


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


def dimensions(
    procedure: Procedure, channel: Channel, applicant_type: int, placement: Placement, agencies: dict[str, Agency]
) -> Dimensions:
    """What a dossier's events carry for counting: the competent agency, procedure, channel, and
    what reports group and judge them by (names, the agency's level and parent, the receiving
    agency when another one took the papers in, the procedure's field and online level)."""
    agency, receiving = placement.competent, placement.receiving if placement.on_behalf else None
    parent = agencies.get(agency.parent_id) if agency.parent_id else None
    return Dimensions(
        agency_id=agency.id,
        procedure_code=procedure.code,
        channel=channel,
        applicant_type=applicant_type,
        procedure_name=procedure.name,
        agency_name=agency.name,
        agency_level=agency.level,
        agency_parent_id=parent.id if parent else None,
        agency_parent_name=parent.name if parent else None,
        receiving_agency_id=receiving.id if receiving else None,
        receiving_agency_name=receiving.name if receiving else None,
        field=procedure.field,
        online_level=procedure.online_level,
    )


def accepted_payload(procedure: Procedure, **fields) -> AcceptedPayload:
    """The accepted event, with the process and approval rule resolution will follow."""
    fields.setdefault("to_status", Status.ACCEPTED)
    return AcceptedPayload(**fields, process=procedure.process, requires_approval=procedure.requires_approval)


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
