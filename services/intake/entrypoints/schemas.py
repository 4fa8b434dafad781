"""The shapes of intake's requests and answers: what a client may send and what it gets back."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from services.intake.domain.catalogue import Procedure
from services.intake.domain.digitisation import Kind, Mark
from services.intake.domain.dossier import Applicant, Dossier, HandedIn, HistoryEntry, masked_id
from services.intake.domain.payments import DossierFee
from services.intake.domain.uploads import Upload
from shared.events import Channel
from shared.lifecycle import STATUS_NAMES_VI, Status

ShortText = Annotated[str, Field(min_length=1, max_length=300)]


class MarkIn(BaseModel):
    kind: Kind = Field(description="scanned (its file sent with it), reused (from an earlier dossier) or paper")
    reused_from: str | None = Field(
        None, min_length=1, max_length=64, description="For `reused`: the code of the same applicant's earlier dossier"
    )


class DossierIn(BaseModel):
    procedure_code: str = Field(min_length=1, max_length=40, examples=["1.001193"])
    channel: Channel
    applicant: Applicant
    documents: list[ShortText] = Field(default_factory=list, max_length=50)
    # The receiving clerk is the signed-in account; a `received_by` field sent by older clients is ignored.
    agency_id: str | None = Field(
        None,
        max_length=40,
        description="The competent agency, for a procedure several agencies perform (a commune receiving for "
        "another commune); default: the clerk's own agency when it performs it, else the only one that does",
    )

    digitisation: list[MarkIn] = Field(
        default_factory=list,
        max_length=50,
        description="Counter and post: how each document of `documents` came, in the same order (none: not "
        "marked). `scanned` ones need their files, so they go through POST /api/v1/uploads/counter",
    )

    def handed_in(self, scans: tuple[Upload, ...] = ()) -> HandedIn:
        marks = tuple(Mark(m.kind, m.reused_from) for m in self.digitisation)
        return HandedIn(self.procedure_code, self.channel, self.applicant, self.documents, self.agency_id, marks, scans)


class DecisionIn(BaseModel):
    # Who decides is the signed-in account; a `by` field sent by older clients is ignored.
    reason: str | None = Field(None, max_length=2000)


class RefusalIn(DecisionIn):
    reason: str = Field(min_length=1, max_length=2000, description="Why the dossier is refused (form 03)")


class CitizenIn(BaseModel):
    id_number: str = Field(pattern=r"^\d{12}$", description="The applicant's CCCD number, as on the dossier")
    pin: str = Field(
        min_length=6, max_length=20, description="The tracking secret on the appointment slip or the online answer"
    )


class WithdrawalIn(CitizenIn):
    reason: str | None = Field(None, max_length=2000)


class RatingIn(CitizenIn):
    score: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: str | None = Field(None, max_length=1000, description="Kept at intake only, never published")


class DossierOut(BaseModel):
    code: str
    status: int
    status_name: str
    channel: Channel
    agency_id: str = Field(description="The competent agency, which resolves it")
    receiving_agency_id: str | None = Field(description="The agency that received it on the competent one's behalf")
    procedure_code: str
    procedure_version: str
    applicant_name: str
    applicant_id_masked: str
    documents: list[str]
    received_by: str | None = Field(description="The clerk's account (counter, post, or who accepted online)")
    submitted_at: AwareDatetime
    accepted_at: AwareDatetime | None
    due_at: AwareDatetime | None
    rule_version: str | None
    refusal_reason: str | None
    withdrawal_reason: str | None = Field(None, description="The applicant's reason for withdrawing, if given")
    tracking_pin: str | None = Field(
        None, description="The tracking secret: in the answer to its creation and to staff reading one dossier"
    )
    tracked_status: int | None = Field(description="Status as last seen on the lifecycle topic")
    new_appointment_at: AwareDatetime | None = Field(None, description="A new appointment after an apology (form 04)")
    apology_reason: str | None = None
    result_kind: str | None = Field(
        None, description="electronic (the applicant downloads the signed PDF) or paper, once decided"
    )


def dossier_out(d: Dossier, *, with_pin: bool = False) -> DossierOut:
    status = d.shown_status
    return DossierOut(
        code=d.code,
        status=int(status),
        status_name=STATUS_NAMES_VI[status],
        channel=d.channel,
        agency_id=d.agency_id,
        receiving_agency_id=d.receiving_agency_id,
        procedure_code=d.procedure_code,
        procedure_version=d.procedure_version,
        applicant_name=d.applicant.name,
        applicant_id_masked=masked_id(d.applicant.id_number),
        documents=d.documents,
        received_by=d.received_by,
        submitted_at=d.submitted_at,
        accepted_at=d.accepted_at,
        due_at=d.shown_due_at,
        rule_version=d.rule_version,
        refusal_reason=d.refusal_reason,
        withdrawal_reason=d.withdrawal_reason,
        tracking_pin=d.tracking_pin if with_pin else None,
        tracked_status=int(d.tracked_status) if d.tracked_status is not None else None,
        new_appointment_at=d.new_appointment_at,
        apology_reason=d.apology_reason,
        result_kind=d.result_kind,
    )


class AgencyOut(BaseModel):
    id: str
    name: str
    short_name: str | None
    level: str | None = Field(description="province, department, branch or commune")
    parent_id: str | None = Field(None, description="The agency one level up")


class CatalogueOut(BaseModel):
    agencies: list[AgencyOut]
    procedures: list[Procedure]


class HistoryOut(BaseModel):
    code: str
    seq: int
    type: str = Field(description="The event's type, e.g. dossier.accepted")
    status: int | None = Field(description="The status it moved the dossier to (none for a notice)")
    occurred_at: AwareDatetime
    actor: str | None
    reason: str | None
    status_name: str | None


class FeeOut(BaseModel):
    """The fee asked for on the dossier (issue 15) and its payment, as the tracking view shows it."""

    amount: int = Field(description="Whole VND")
    collection: str = Field(description="at_intake, at_supplement or at_return")
    requested_at: AwareDatetime
    paid: bool
    paid_method: str | None = Field(description="cash or online")
    paid_amount: int | None
    receipt_no: str | None
    paid_at: AwareDatetime | None


class TrackingOut(BaseModel):
    dossier: DossierOut
    history: list[HistoryOut]
    fee: FeeOut | None = Field(None, description="The latest fee asked for, if any")


class RequestRecordedOut(BaseModel):
    code: str
    request_id: str | None = Field(description="The request passed on to resolution, when it was")
    forwarded: bool = Field(description="Whether resolution (the owner after acceptance) records it")
    message: str


class RatingRecordedOut(BaseModel):
    code: str
    request_id: str
    message: str


def history_out(entries: list[HistoryEntry]) -> list[HistoryOut]:
    return [
        HistoryOut(**e._asdict(), status_name=STATUS_NAMES_VI[Status(e.status)] if e.status else None) for e in entries
    ]


class CounterRefusalIn(DossierIn):
    reason: str = Field(min_length=1, max_length=2000, description="Why the papers are refused (form 03)")


def fee_out(fee: DossierFee | None) -> FeeOut | None:
    if fee is None:
        return None
    return FeeOut(
        amount=fee.amount,
        collection=fee.collection.value,
        requested_at=fee.requested_at,
        paid=fee.paid_at is not None,
        paid_method=fee.paid_method.value if fee.paid_method else None,
        paid_amount=fee.paid_amount,
        receipt_no=fee.receipt_no,
        paid_at=fee.paid_at,
    )
