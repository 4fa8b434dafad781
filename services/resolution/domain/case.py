"""A case in resolution: the status graph from acceptance on, and what each action does
to its clock. Pure: the calendar is handed in, nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, NamedTuple

from pydantic import BaseModel

from shared.errors import Conflict
from shared.events import (
    EVENT_FOR_STATUS,
    ApologyPayload,
    ClosedPayload,
    EventType,
    OverduePayload,
    PausedPayload,
    ProcessingStartedPayload,
    ProcessStep,
    RatedPayload,
    ResolvedPayload,
)
from shared.lifecycle import (
    CLOCK_RUNNING,
    OPEN,
    PAUSED,
    RESOLUTION_ACTIONS,
    Action,
    Status,
    allowed_actions,
    target_status,
)


@dataclass(frozen=True)
class Case:
    code: str
    agency_id: str
    procedure_code: str
    channel: str
    status: Status
    accepted_at: datetime
    due_at: datetime
    processing_hours: int
    time_type: str
    clock_policy: str
    rule_version: str
    last_seq: int
    paused_at: datetime | None = None
    paused_hours: float = 0.0  # working hours spent waiting for supplements or fees
    overdue_notified: bool = False  # the overdue event for the current due time was published
    resolved_at: datetime | None = None
    compliance: str | None = None
    rating: int | None = None  # the citizen's score (1-5), once, after the hand-over
    rated_at: datetime | None = None
    new_appointment_at: datetime | None = None  # form 04's new date; `due_at` stays the legal one
    apology_reason: str | None = None
    procedure_name: str | None = None  # as the catalogue had it at acceptance (for people, not rules)
    # Inside the agency (domain/assignment.py): the process carried by the accepted event (empty for
    # old events: one implicit step), who holds the case now, its current step and that step's due
    # time, and the leader's approval.
    process: tuple[ProcessStep, ...] = ()
    requires_approval: bool = False
    assignee: str | None = None
    step: int = 0
    step_due_at: datetime | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    # Between agencies (domain/interagency.py): the other agency holding the case for a step, since
    # when, and whether the legal time runs while it is there.
    away_agency_id: str | None = None
    away_since: datetime | None = None
    away_step: int | None = None
    away_clock: str | None = None

    def actions(self) -> list[Action]:
        return allowed_actions(self.status, accepted_before=True, among=RESOLUTION_ACTIONS)


class SlipEntry(NamedTuple):
    """One line of the control slip (phiếu kiểm soát): who moved the case, when, from what, why."""

    code: str
    seq: int
    event_type: str
    from_status: int | None
    to_status: int | None
    actor: str | None
    reason: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class Outcome:
    case: Case
    event_type: EventType
    payload: BaseModel
    actor: str = "system"  # for the control slip when the payload names no actor

    def slip_entry(self, at: datetime) -> SlipEntry:
        p = self.payload
        return SlipEntry(
            self.case.code,
            self.case.last_seq,
            self.event_type.value,
            getattr(p, "from_status", None),
            getattr(p, "to_status", None),
            getattr(p, "actor", self.actor),
            getattr(p, "reason", None),
            at,
        )


class DecisionNotReady(Conflict):
    """A decision (resolve) before what the procedure requires: a leader's approval, an assignee."""


def missing_for_decision(case: Case) -> list[str]:
    """What a case lacks before it may be resolved: "assignment" when its procedure has a process and
    nobody holds it, "approval" when the procedure requires a leader's approval not given yet. Cases
    from old events (no process, no approval rule) lack nothing."""
    missing = []
    if case.process and case.assignee is None:
        missing.append("assignment")
    if case.requires_approval and case.approved_at is None:
        missing.append("approval")
    if case.away_agency_id is not None:
        missing.append("at_other_agency")
    return missing


_MISSING_VI = {
    "assignment": "chưa giao cho người xử lý",
    "approval": "chưa được lãnh đạo phê duyệt",
    "at_other_agency": "đang ở cơ quan khác (liên thông)",
}


def act(
    case: Case,
    action: Action,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    calendar,
    recorded: bool = False,
    result_kind: Literal["electronic", "paper"] | None = None,
) -> Outcome:
    """Apply `action` at `now`; TransitionRefused when the graph does not allow it, DecisionNotReady
    when a decision lacks what the procedure requires. A `recorded` decision (an imported history's)
    is kept without them: it was taken, and old systems seldom recorded who held or approved it.
    `result_kind` (a decision's): how its result is issued, put on the resolved event."""
    to = target_status(action, case.status, accepted_before=True, among=RESOLUTION_ACTIONS)
    if to is Status.RESOLVED and not recorded and (missing := missing_for_decision(case)):
        raise DecisionNotReady(
            "Chưa thể kết thúc xử lý: hồ sơ " + ", ".join(_MISSING_VI[m] for m in missing),
            "The case cannot be resolved yet; missing: " + ", ".join(missing),
            missing=missing,
        )
    base = {"from_status": int(case.status), "to_status": int(to), "actor": actor, "reason": reason}
    due, paused_at, paused_hours = case.due_at, case.paused_at, case.paused_hours
    resolved_at = compliance = None
    if to in PAUSED:
        paused_at = now
        payload: BaseModel = PausedPayload(**base, due_at=due)
    elif to is Status.PROCESSING:
        if case.status in PAUSED and paused_at is not None:
            paused_hours += calendar.working_hours_between(paused_at, now)
            if case.clock_policy == "restart":
                due = calendar.restart(now, case.processing_hours, case.time_type)
            else:
                due = calendar.extend_for_pause(due, paused_at, now)
            paused_at = None
        payload = ProcessingStartedPayload(**base, due_at=due)
    elif to is Status.RESOLVED:
        resolved_at, compliance = now, calendar.compliance(now, due)
        used = max(0.0, calendar.working_hours_between(case.accepted_at, now) - paused_hours)
        payload = ResolvedPayload(
            **base, due_at=due, compliance=compliance, working_hours_used=round(used, 2), result_kind=result_kind
        )
    else:
        payload = ClosedPayload(**base)
    new = replace(
        case,
        status=to,
        due_at=due,
        paused_at=paused_at,
        paused_hours=paused_hours,
        last_seq=case.last_seq + 1,
        # a new due time may pass again; the old one's notice no longer counts
        overdue_notified=case.overdue_notified and due == case.due_at,
        resolved_at=resolved_at or case.resolved_at,
        compliance=compliance or case.compliance,
    )
    return Outcome(new, EVENT_FOR_STATUS[int(to)], payload)


def overdue(case: Case, now: datetime) -> Outcome | None:
    """The notice that a running clock has passed its due time, once per due time."""
    if case.status not in CLOCK_RUNNING or case.overdue_notified or case.due_at > now:
        return None
    new = replace(case, overdue_notified=True, last_seq=case.last_seq + 1)
    return Outcome(new, EventType.OVERDUE, OverduePayload(due_at=case.due_at, status=int(case.status)))


class RatingRefused(Conflict):
    """A rating for a dossier not handed over yet, or rated already."""


def rate(case: Case, score: int, *, now: datetime) -> Outcome:
    """The citizen's rating: once, and only after the result was handed over (10)."""
    if case.status is not Status.RETURNED:
        raise RatingRefused(
            f"Chỉ đánh giá được khi đã trả kết quả; hồ sơ đang ở trạng thái {int(case.status)}",
            f"A dossier can be rated only after its result was handed over; status is {int(case.status)}",
        )
    if case.rating is not None:
        raise RatingRefused("Hồ sơ đã được đánh giá", "The dossier has already been rated")
    new = replace(case, rating=score, rated_at=now, last_seq=case.last_seq + 1)
    return Outcome(new, EventType.RATED, RatedPayload(score=score), actor="citizen")


# An apology is owed while the result is still to come: the clock runs or is paused.
APOLOGY_STATUSES = OPEN


class ApologyRefused(Conflict):
    """Form 04 at a status that owes no apology, or with a new appointment that is not later."""


def may_apologise(case: Case) -> bool:
    return case.status in APOLOGY_STATUSES


def apologise(case: Case, *, actor: str, reason: str, new_appointment_at: datetime, now: datetime) -> Outcome:
    """Form 04: an apology and a new appointment, later than the due time and any earlier promise.
    The status and the due time do not change (statistics count against the original one)."""
    if not may_apologise(case):
        raise ApologyRefused(
            f"Không thể xin lỗi, hẹn lại khi hồ sơ ở trạng thái {int(case.status)}",
            f"No apology can be issued in status {int(case.status)}",
            current_status=int(case.status),
        )
    floor = max(now, case.due_at, case.new_appointment_at or case.due_at)
    if new_appointment_at <= floor:
        raise ApologyRefused(
            "Ngày hẹn mới phải sau hạn trả kết quả hiện tại và sau thời điểm hiện tại",
            "The new appointment must be later than the current due time and than now",
            current_status=int(case.status),
        )
    new = replace(case, new_appointment_at=new_appointment_at, apology_reason=reason, last_seq=case.last_seq + 1)
    return Outcome(
        new,
        EventType.APOLOGY_ISSUED,
        ApologyPayload(actor=actor, reason=reason, new_appointment_at=new_appointment_at),
        actor=actor,
    )
