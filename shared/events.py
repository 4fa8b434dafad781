"""The event contract of docs/design.md: one envelope, payloads as a union discriminated on `type`.

Events carry what consumers need to count and never personal data (no ID number, phone,
e-mail, address or name). Old schema versions are upcast on read (`UPCASTERS`), never
rewritten on the topic.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from shared.payment import MAX_FEE_VND, CollectionMoment, PaymentMethod

LIFECYCLE_TOPIC = "dossier.lifecycle.v1"
REQUESTS_TOPIC = "dossier.requests.v1"
DEAD_LETTER_TOPIC = "dossier.lifecycle.v1.dlt"

# The consumer groups, part of the contract: stats' reconciliation waits for the two that build
# what it compares (its own projection and resolution's cases) before it counts a difference.
INTAKE_TRACKING_GROUP = "intake-tracking"
RESOLUTION_CASES_GROUP = "resolution-cases"
RESOLUTION_REQUESTS_GROUP = "resolution-requests"
STATS_GROUP = "stats-projections"
NOTIFIER_GROUP = "notifier-messages"  # e-mail and SMS to citizens (services/notifier)
PORTAL_SYNC_GROUP = "portal-sync"  # the national-portal connector (issue 15)


class Channel(StrEnum):
    COUNTER = "counter"
    ONLINE = "online"
    POST = "post"


CHANNEL_CODES = {Channel.COUNTER: 1, Channel.ONLINE: 2, Channel.POST: 3}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dimensions(_Frozen):
    """What a dossier is counted by. Sent with the first event a consumer may see."""

    agency_id: str
    procedure_code: str
    channel: Channel
    applicant_type: int = Field(ge=0, le=2, description="0 citizen, 1 enterprise, 2 household business")
    # Names as the catalogue had them, so reports need no lookup in another service's data.
    agency_name: str | None = Field(None, max_length=300)
    procedure_name: str | None = Field(None, max_length=500)
    # What reports group and judge by; absent in events written before they were carried.
    agency_level: str | None = Field(
        None, max_length=40, description="department, branch or commune (events before levels had 'province')"
    )
    # The agency one level up (a branch's department, a department's or commune's province), for
    # roll-ups; and where the papers were handed in when another commune received them on its behalf.
    agency_parent_id: str | None = Field(None, max_length=40)
    agency_parent_name: str | None = Field(None, max_length=300)
    receiving_agency_id: str | None = Field(None, max_length=40, description="Absent: the competent agency itself")
    receiving_agency_name: str | None = Field(None, max_length=300)
    field: str | None = Field(None, max_length=300, description="The procedure's field (lĩnh vực)")
    online_level: Literal["toan_trinh", "mot_phan"] | None = Field(
        None, description="How far the procedure is offered online: fully (toàn trình) or in part (một phần)"
    )


class Deadline(_Frozen):
    """The clock of an accepted dossier and the rule version it was computed under."""

    due_at: AwareDatetime
    processing_hours: int = Field(ge=0)
    time_type: Literal["working", "calendar"]
    clock_policy: Literal["pause", "restart"]
    rule_version: str


# Staff's free text travels sealed (shared/sealed_text.py, shared/event_text.py): `reason_sealed`
# replaces `reason` on the topic; `reason` is read on events written before (never rewritten).
SEALED_MAX = 12_000  # a 2000-character text in 4-byte UTF-8, sealed and in base64, with room to spare
SealedText = Annotated[
    str | None,
    Field(
        max_length=SEALED_MAX,
        description="`reason` sealed for intake and resolution (v1.<key id>.<base64>); stats never reads it",
    ),
]


NON_STAFF_ACTORS = frozenset({"citizen", "system"})  # every other actor is a staff account


class StatusChange(_Frozen):
    from_status: int | None = Field(None, ge=1, le=10)
    to_status: int = Field(ge=1, le=10)
    actor: str = Field(description="Staff account or 'citizen' or 'system'; never a personal ID")
    reason: str | None = Field(None, description="In clear only on events written before texts were sealed")
    reason_sealed: SealedText = None


class SubmittedPayload(StatusChange):
    dimensions: Dimensions


# What a legacy history step may record besides a status change: a hand-over inside the agency, a
# leader's approval, a trip to another agency for a step of the process (liên thông) and its return.
HistoryAction = Literal["assign", "approve", "send", "send_back"]


def check_step_kind(status: int | None, action: str | None, assignee: str | None) -> None:
    """A history step is either a status change or an action (assign, which names its assignee, approve,
    send, send_back)."""
    if (action is None) == (status is None):
        raise ValueError("a step is either a status change or an action (assign, approve, send, send_back)")
    if action == "assign" and assignee is None:
        raise ValueError("a hand-over names its assignee")


class ImportedStep(_Frozen):
    """One status change of a legacy dossier after its acceptance, as the old system recorded it."""

    to_status: int | None = Field(None, ge=1, le=10, description="Absent for a hand-over or an approval")
    at: AwareDatetime
    actor: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(None, max_length=2000)
    reason_sealed: SealedText = None
    # A hand-over inside the agency (to `assignee`, at process `step`), a leader's approval, or a trip to
    # the agency performing process `step` (`agency_id`, checked against the process) and back, instead
    # of a status change; files from before these were recorded have none.
    action: HistoryAction | None = None
    assignee: str | None = Field(None, min_length=1, max_length=100)
    step: int | None = Field(None, ge=0, le=29)
    agency_id: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_kind(self) -> ImportedStep:
        check_step_kind(self.to_status, self.action, self.assignee)
        return self


class ImportedHistory(_Frozen):
    """What happened to an imported dossier after acceptance: resolution replays it through its
    own rules (the seq owner after acceptance), so the later events are the ones it would have written."""

    source: str = Field(max_length=200, description="The legacy system or file it came from")
    steps: list[ImportedStep] = Field(default_factory=list, max_length=100)
    rating: int | None = Field(None, ge=1, le=5)
    rated_at: AwareDatetime | None = None


class ProcessStep(_Frozen):
    """One step of a procedure's internal process (quy trình nội bộ) and its share of the time."""

    name: str = Field(min_length=1, max_length=200)
    role: Literal["clerk", "officer", "leader"]
    hours: float = Field(ge=0, le=10_000, description="Working hours this step is allowed")
    # Liên thông: another agency performs this step (e.g. the tax office) and sends the case back.
    agency_id: str | None = Field(None, max_length=64, description="The other agency that performs this step")
    clock: Literal["runs", "pauses"] = Field(
        "runs", description="Whether the legal time runs while the case is at the other agency"
    )


class AcceptedPayload(StatusChange):
    dimensions: Dimensions
    accepted_at: AwareDatetime
    deadline: Deadline
    imported: ImportedHistory | None = None
    # The catalogue's process and approval rule at acceptance, so resolution needs no catalogue.
    process: list[ProcessStep] = Field(default_factory=list, max_length=30)
    requires_approval: bool = False
    # Digitisation at reception (issue 15): counts only, never a file or a document's name; 0 on
    # events written before they were carried and for dossiers nobody marked.
    documents_total: int = Field(0, ge=0, le=50, description="Documents on the dossier's list")
    documents_scanned: int = Field(0, ge=0, le=50, description="Of them, scanned at reception")
    documents_reused: int = Field(
        0, ge=0, le=50, description="Of them, reused from an earlier dossier's digitised copy"
    )


class RefusedPayload(StatusChange):
    dimensions: Dimensions


class ProcessingStartedPayload(StatusChange):
    due_at: AwareDatetime = Field(description="Current due time: moved by a pause, renewed by a restart")
    # The fee paid (6 -> 4): how, how much and the e-receipt's number; never who paid.
    payment_method: PaymentMethod | None = Field(None, description="cash at the counter or online (gateway)")
    payment_amount: int | None = Field(None, gt=0, le=MAX_FEE_VND, description="Paid, in whole VND")
    receipt_no: str | None = Field(None, max_length=64, description="The e-receipt's number")
    gateway_txn: str | None = Field(None, max_length=64, description="The gateway's transaction number (online)")


class PausedPayload(StatusChange):
    """Supplement (5) or fee (6) requested: the clock stops. No due time before acceptance."""

    due_at: AwareDatetime | None
    # Form 02: what is missing and by when it must come (names of documents, never their content).
    missing_documents: list[Annotated[str, Field(max_length=500)]] = Field(default_factory=list, max_length=50)
    supplement_due_at: AwareDatetime | None = None
    # A fee (6): how much, in whole VND, and when it is collected; absent on older events.
    fee_amount: int | None = Field(None, gt=0, le=MAX_FEE_VND, description="The fee asked for, in whole VND")
    fee_collection: CollectionMoment | None = Field(None, description="When the fee is collected")


class ClosedPayload(StatusChange):
    """Withdrawn (7), stopped (8) or returned (10)."""


class ResolvedPayload(StatusChange):
    due_at: AwareDatetime
    compliance: Literal["early", "on_time", "late"]
    working_hours_used: float = Field(ge=0)
    # Issue 15: how the result is issued; absent on events written before it was recorded.
    result_kind: Literal["electronic", "paper"] | None = Field(
        None, description="electronic: a signed PDF the applicant downloads; paper: handed over on paper"
    )


class OverduePayload(_Frozen):
    due_at: AwareDatetime
    status: int = Field(ge=1, le=10)


class RatedPayload(_Frozen):
    """The citizen's rating of the service (1-5), once, after the result was handed over."""

    score: int = Field(ge=1, le=5)


class ApologyPayload(_Frozen):
    """Form 04: an apology and a new appointment for a dossier that will be late. Statistics
    still count it against the original due time."""

    actor: str
    reason: str | None = Field(None, min_length=1, max_length=2000)
    reason_sealed: SealedText = None
    new_appointment_at: AwareDatetime

    @model_validator(mode="after")
    def _has_reason(self) -> ApologyPayload:
        if self.reason is None and self.reason_sealed is None:
            raise ValueError("an apology gives its reason (form 04)")
        return self


class AssignedPayload(_Frozen):
    """A hand-over inside the competent agency: the case goes to `assignee` for step `step` of the
    process (the first assignment has no `from_assignee`). Form 06 has one line per hand-over."""

    actor: str = Field(min_length=1, max_length=100, description="Who handed it over: a leader, the holder or 'system'")
    assignee: str = Field(min_length=1, max_length=100, description="Staff account that holds the case now")
    from_assignee: str | None = Field(None, max_length=100)
    step: int = Field(ge=0, le=29, description="Index into the process of the accepted event")
    step_name: str = Field(max_length=200)
    step_due_at: AwareDatetime | None = Field(None, description="When this step's allowance runs out")
    previous_step_on_time: bool | None = Field(None, description="The step handed over from ended within its time")


class ApprovedPayload(_Frozen):
    """A leader approved (signed) the result; resolve needs it when the procedure requires it."""

    actor: str = Field(min_length=1, max_length=100)


class SentToAgencyPayload(_Frozen):
    """Liên thông: the case went to another agency for step `step`; its status stays 4 and it stays
    the competent agency's case (and count)."""

    actor: str = Field(min_length=1, max_length=100)
    to_agency_id: str = Field(min_length=1, max_length=64)
    to_agency_name: str | None = Field(None, max_length=300)
    step: int = Field(ge=0, le=29)
    step_name: str = Field(max_length=200)
    clock: Literal["runs", "pauses"] = "runs"
    reason: str | None = Field(None, max_length=2000)
    reason_sealed: SealedText = None


class BackFromAgencyPayload(_Frozen):
    """Liên thông: the other agency sent the case back; `due_at` is the case's legal due time now
    (moved by the working time away when the step's clock paused, unchanged when it ran)."""

    actor: str = Field(min_length=1, max_length=100)
    from_agency_id: str = Field(min_length=1, max_length=64)
    step: int = Field(ge=0, le=29)
    due_at: AwareDatetime
    reason: str | None = Field(None, max_length=2000)
    reason_sealed: SealedText = None


class EventType(StrEnum):
    SUBMITTED = "dossier.submitted"
    ACCEPTED = "dossier.accepted"
    REFUSED = "dossier.refused"
    PROCESSING_STARTED = "dossier.processing_started"
    SUPPLEMENT_REQUESTED = "dossier.supplement_requested"
    FEE_REQUESTED = "dossier.fee_requested"
    WITHDRAWN = "dossier.withdrawn"
    STOPPED = "dossier.stopped"
    RESOLVED = "dossier.resolved"
    RETURNED = "dossier.returned"
    OVERDUE = "dossier.overdue"
    RATED = "dossier.rated"
    APOLOGY_ISSUED = "dossier.apology_issued"
    ASSIGNED = "dossier.assigned"
    APPROVED = "dossier.approved"
    SENT_TO_AGENCY = "dossier.sent_to_agency"
    BACK_FROM_AGENCY = "dossier.back_from_agency"


CURRENT_SCHEMA_VERSION = 1


class Event(_Frozen):
    """The envelope every lifecycle event shares; one subclass per type adds `type` and `payload`."""

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    # Only the current version validates as is; older ones take parse_event's upcasting path.
    schema_version: int = Field(CURRENT_SCHEMA_VERSION, ge=CURRENT_SCHEMA_VERSION, le=CURRENT_SCHEMA_VERSION)
    dossier_code: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1, description="This dossier's event number: 1, 2, 3 ... with no gaps")
    occurred_at: AwareDatetime
    producer: str
    correlation_id: str

    if TYPE_CHECKING:  # declared by each type's subclass (below), for the type checker only
        type: str
        payload: Any


def _event(type_: EventType, payload: type[BaseModel]) -> type[Event]:
    return type(  # one envelope class per event type, so pydantic can discriminate on `type`
        "Event_" + type_.name.title().replace("_", ""),
        (Event,),
        {"__annotations__": {"type": Literal[type_.value], "payload": payload}},
    )


EVENT_CLASSES: dict[EventType, type[Event]] = {
    EventType.SUBMITTED: _event(EventType.SUBMITTED, SubmittedPayload),
    EventType.ACCEPTED: _event(EventType.ACCEPTED, AcceptedPayload),
    EventType.REFUSED: _event(EventType.REFUSED, RefusedPayload),
    EventType.PROCESSING_STARTED: _event(EventType.PROCESSING_STARTED, ProcessingStartedPayload),
    EventType.SUPPLEMENT_REQUESTED: _event(EventType.SUPPLEMENT_REQUESTED, PausedPayload),
    EventType.FEE_REQUESTED: _event(EventType.FEE_REQUESTED, PausedPayload),
    EventType.WITHDRAWN: _event(EventType.WITHDRAWN, ClosedPayload),
    EventType.STOPPED: _event(EventType.STOPPED, ClosedPayload),
    EventType.RESOLVED: _event(EventType.RESOLVED, ResolvedPayload),
    EventType.RETURNED: _event(EventType.RETURNED, ClosedPayload),
    EventType.OVERDUE: _event(EventType.OVERDUE, OverduePayload),
    EventType.RATED: _event(EventType.RATED, RatedPayload),
    EventType.APOLOGY_ISSUED: _event(EventType.APOLOGY_ISSUED, ApologyPayload),
    EventType.ASSIGNED: _event(EventType.ASSIGNED, AssignedPayload),
    EventType.APPROVED: _event(EventType.APPROVED, ApprovedPayload),
    EventType.SENT_TO_AGENCY: _event(EventType.SENT_TO_AGENCY, SentToAgencyPayload),
    EventType.BACK_FROM_AGENCY: _event(EventType.BACK_FROM_AGENCY, BackFromAgencyPayload),
}

# The event for reaching each status, for the producers.
EVENT_FOR_STATUS: dict[int, EventType] = {
    1: EventType.SUBMITTED,
    2: EventType.ACCEPTED,
    3: EventType.REFUSED,
    4: EventType.PROCESSING_STARTED,
    5: EventType.SUPPLEMENT_REQUESTED,
    6: EventType.FEE_REQUESTED,
    7: EventType.WITHDRAWN,
    8: EventType.STOPPED,
    9: EventType.RESOLVED,
    10: EventType.RETURNED,
}

# Every lifecycle event, discriminated on `type` (for decoding and for the AsyncAPI document);
# code that handles one annotates it as `Event`.
LifecycleEvent = Annotated[Union[tuple(EVENT_CLASSES.values())], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007 - a union built at run time
_LIFECYCLE: TypeAdapter[Event] = TypeAdapter(LifecycleEvent)  # type: ignore[arg-type]

# (type, version) -> function turning that version's dict into the next version's dict.
UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {}


class BadEvent(ValueError):
    """A message that can never be applied: it goes to the dead-letter topic."""


def make_event(
    type_: EventType,
    *,
    dossier_code: str,
    seq: int,
    occurred_at: datetime,
    producer: str,
    correlation_id: str,
    payload: BaseModel | dict,
) -> Event:
    return EVENT_CLASSES[type_](
        type=type_.value,
        dossier_code=dossier_code,
        seq=seq,
        occurred_at=occurred_at,
        producer=producer,
        correlation_id=correlation_id,
        payload=payload,
    )


def parse_event(raw: bytes | str) -> Event:
    """Decode one lifecycle message, upcasting old versions; BadEvent says why it cannot be."""
    try:  # the hot path: a current event, validated straight from its bytes (twice as fast)
        return _LIFECYCLE.validate_json(raw)
    except ValueError:
        pass  # an old version, or a bad message: the slow path upcasts or says what is wrong
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadEvent(f"not JSON: {exc}") from None
    except RecursionError:  # nested deeper than the parser goes: poison, not a crash of every reader
        raise BadEvent("not JSON: nested too deeply") from None
    if not isinstance(data, dict):
        raise BadEvent("not a JSON object")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1 or version > CURRENT_SCHEMA_VERSION:
        raise BadEvent(f"unknown schema_version {version!r}")
    while version < CURRENT_SCHEMA_VERSION:
        upcast = UPCASTERS.get((str(data.get("type")), version))
        if upcast is None:
            raise BadEvent(f"no upcaster for {data.get('type')!r} v{version}")
        data, version = upcast(data), version + 1
        data["schema_version"] = version
    try:
        return _LIFECYCLE.validate_python(data)
    except ValueError as exc:
        raise BadEvent(f"invalid event: {_short(exc)}") from None


def _short(exc: Exception, limit: int = 500) -> str:
    if isinstance(exc, ValidationError):  # without the input values: they may be personal data (logs, DLT headers)
        text = "; ".join(
            ": ".join(filter(None, [".".join(map(str, e["loc"])), e["msg"]])) for e in exc.errors(include_input=False)
        )
    else:
        text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[:limit] + "…"


def encode(event: BaseModel) -> bytes:
    return event.model_dump_json().encode()


# ---- Citizen requests (intake -> resolution), topic dossier.requests.v1 ----


class RequestType(StrEnum):
    WITHDRAWAL = "request.withdrawal"
    SUPPLEMENT_PROVIDED = "request.supplement_provided"
    RATING = "request.rating"
    FEE_PAID = "request.fee_paid"


class CitizenRequest(_Frozen):
    request_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: RequestType
    schema_version: int = 1
    dossier_code: str = Field(min_length=1, max_length=64)
    occurred_at: AwareDatetime
    producer: str
    correlation_id: str
    reason: str | None = Field(None, max_length=2000)
    score: int | None = Field(None, ge=1, le=5, description="For request.rating only")
    # request.fee_paid only: a payment the gateway confirmed with a verified signature (no payer data).
    amount: int | None = Field(None, gt=0, le=MAX_FEE_VND, description="Paid, in whole VND")
    payment_method: PaymentMethod | None = None
    receipt_no: str | None = Field(None, max_length=64)
    gateway_txn: str | None = Field(None, max_length=64)


# Who may write each event type: intake owns a dossier until acceptance (and a refusal or a
# withdrawal or a request for papers before it), resolution owns it from acceptance on. A consumer
# dead-letters an event whose producer is not an owner of its type: without the broker's ACLs
# anyone could write the topic, and with them a service's own bug must not pass as another's work.
_INTAKE_ONLY = frozenset({EventType.SUBMITTED, EventType.ACCEPTED, EventType.REFUSED})
_EITHER = frozenset({EventType.SUPPLEMENT_REQUESTED, EventType.WITHDRAWN})


def owners(type_: EventType) -> frozenset[str]:
    if type_ in _INTAKE_ONLY:
        return frozenset({"intake"})
    return frozenset({"intake", "resolution"}) if type_ in _EITHER else frozenset({"resolution"})


def parse_owned_event(raw: bytes | str) -> Event:
    """parse_event, and BadEvent when the event's producer may not write its type."""
    event = parse_event(raw)
    if event.producer not in owners(EventType(event.type)):
        raise BadEvent(f"{event.type} written by {event.producer[:40]!r}, which does not own it")
    return event


def parse_request(raw: bytes | str) -> CitizenRequest:
    try:
        return CitizenRequest.model_validate_json(raw)
    except ValueError as exc:
        raise BadEvent(f"invalid request: {_short(exc)}") from None
