"""Inside the competent agency: who holds a case, at which step of the procedure's process, until
when, and the leader's approval. Pure: accounts and the calendar are handed in.

Rules (docs/domain.md, "Inside an agency"):
- A case's process is the one its accepted event carried; old events carry none and the case has
  one implicit step, "Xử lý", with the whole time. Steps of role clerk (reception, hand-back) are
  the counter's and are never assigned here: a case starts at the first other step.
- A step's allowance runs from when the step opens: the first one at acceptance, later ones at the
  hand-over that opens them (its working hours on the service's calendar); the legal due time of
  the case never moves for it.
- A hand-over to another step closes the current one: on time when it happens no later than the
  step's due time. A hand-over to another person inside the same step keeps the step's due time.
- A leader's step goes to a leader; other steps to an officer or a leader of the case's agency.
- By rule (`auto`), the case goes to the active account of the step's role in the agency holding
  the fewest open cases, ties broken by username.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from services.resolution.domain.case import Case, Outcome, SlipEntry
from shared.errors import Conflict, Forbidden, InvalidRequest
from shared.events import ApprovedPayload, AssignedPayload, EventType, ProcessStep
from shared.lifecycle import OPEN, Status

IMPLICIT_STEP_NAME = "Xử lý"
STAFF_ROLES = ("officer", "leader")


class Staffer(NamedTuple):
    """An account as assignment needs it: who, which role, which agency, whether it may sign in."""

    username: str
    role: str
    agency_id: str | None
    active: bool = True


class AssignmentRefused(Conflict):
    """A hand-over or approval the case's state does not allow (final, resolved, approved already)."""


def steps(case: Case) -> tuple[ProcessStep, ...]:
    """The case's process, or the one implicit step for cases from old events."""
    if case.process:
        return case.process
    return (ProcessStep(name=IMPLICIT_STEP_NAME, role="officer", hours=float(case.processing_hours)),)


def first_step(process: tuple[ProcessStep, ...]) -> int:
    """The first step resolution works: reception steps (role clerk) were done at the counter."""
    return next((i for i, s in enumerate(process) if s.role != "clerk"), 0)


def step_due(calendar, start: datetime, hours: float) -> datetime:
    """When a step of `hours` working hours opened at `start` runs out, on the service's calendar."""
    if float(hours).is_integer():
        return calendar.due_time(start, int(hours))
    return calendar.add_working_time(start, hours)


def with_first_step(case: Case, calendar) -> Case:
    """A new case's first step and its due time (from acceptance). The implicit step has the whole time."""
    if not case.process:
        return replace(case, step=0, step_due_at=case.due_at)
    first = first_step(case.process)
    return replace(case, step=first, step_due_at=step_due(calendar, case.accepted_at, case.process[first].hours))


def current_step_due(case: Case) -> datetime:
    return case.step_due_at or case.due_at


def _ensure_open(case: Case, what_vi: str, what_en: str) -> None:
    if case.status not in OPEN or case.resolved_at is not None:
        raise AssignmentRefused(
            f"Không thể {what_vi} khi hồ sơ ở trạng thái {int(case.status)}",
            f"Cannot {what_en} a case in status {int(case.status)}",
            current_status=int(case.status),
        )


def _check_step(case: Case, step: int) -> ProcessStep:
    process = steps(case)
    if not 0 <= step < len(process) or process[step].role == "clerk":
        valid = [i for i, s in enumerate(process) if s.role != "clerk"]
        raise InvalidRequest(
            f"Bước {step} không có trong quy trình của hồ sơ; các bước giao được: {valid}",
            f"Step {step} is not a step of this case's process that can be assigned; steps: {valid}",
            field="step",
        )
    return process[step]


def check_assignee(case: Case, who: Staffer | None, username: str, step: ProcessStep) -> Staffer:
    """The account must exist, be active, belong to the case's agency and fit the step's role."""
    if who is None or not who.active or who.agency_id != case.agency_id or who.role not in STAFF_ROLES:
        raise InvalidRequest(
            f"Tài khoản {username} không phải chuyên viên hoặc lãnh đạo đang hoạt động của cơ quan {case.agency_id}",
            f"Account {username} is not an active officer or leader of agency {case.agency_id}",
            field="assignee",
        )
    if step.role == "leader" and who.role != "leader":
        raise InvalidRequest(
            f"Bước “{step.name}” do lãnh đạo thực hiện; tài khoản {username} không phải lãnh đạo",
            f"Step '{step.name}' is a leader's; account {username} is not a leader",
            field="assignee",
        )
    return who


def choose_by_rule(case: Case, step: ProcessStep, loads: list[tuple[Staffer, int]]) -> Staffer:
    """The least-loaded active account of the step's role (officer, or leader for a leader's step)
    in the case's agency: fewest open cases held, then username."""
    role = "leader" if step.role == "leader" else "officer"
    fits = [(n, s.username, s) for s, n in loads if s.active and s.role == role and s.agency_id == case.agency_id]
    if not fits:
        raise InvalidRequest(
            f"Cơ quan {case.agency_id} không có {'lãnh đạo' if role == 'leader' else 'chuyên viên'} nào đang hoạt động",
            f"Agency {case.agency_id} has no active {role} to assign to",
            field="auto",
        )
    return min(fits, key=lambda f: (f[0], f[1]))[2]


def hand_over(case: Case, *, actor: str, to: Staffer, step: int | None, now: datetime, calendar) -> Outcome:
    """Give the case to `to` for `step` (default: the current step). Another step closes the current
    one (on time if now is not after its due time) and opens `step` with its allowance from now."""
    _ensure_open(case, "giao, chuyển", "assign or transfer")
    target = case.step if step is None else step
    process_step = _check_step(case, target)
    check_assignee(case, to, to.username, process_step)
    if case.assignee == to.username and target == case.step:
        raise AssignmentRefused(
            f"Hồ sơ đang do {to.username} xử lý ở bước này",
            f"{to.username} already holds the case at this step",
        )
    new_step = target != case.step
    due = step_due(calendar, now, process_step.hours) if new_step else current_step_due(case)
    on_time = (now <= current_step_due(case)) if case.assignee is not None or new_step else None
    payload = AssignedPayload(
        actor=actor,
        assignee=to.username,
        from_assignee=case.assignee,
        step=target,
        step_name=process_step.name,
        step_due_at=due,
        previous_step_on_time=on_time,
    )
    new = replace(case, assignee=to.username, step=target, step_due_at=due, last_seq=case.last_seq + 1)
    return Outcome(new, EventType.ASSIGNED, payload, actor=actor)


def self_assignment(
    case: Case, username: str, role: str, agency_id: str | None, now: datetime, calendar
) -> Outcome | None:
    """An officer (or leader) of the case's agency who starts processing an unassigned case takes it,
    when the current step is one of their role; None otherwise (the case stays as it is). Cases from
    old events (no process) keep their behaviour: starting them assigns nobody."""
    if not case.process or case.assignee is not None or agency_id != case.agency_id or role not in STAFF_ROLES:
        return None
    if steps(case)[case.step].role == "leader" and role != "leader":
        return None
    me = Staffer(username, role, agency_id, True)
    return hand_over(case, actor=username, to=me, step=None, now=now, calendar=calendar)


def may_transfer(case: Case, username: str, role: str) -> bool:
    return role == "leader" or case.assignee == username


def ensure_may_transfer(case: Case, username: str, role: str) -> None:
    if not may_transfer(case, username, role):
        raise Forbidden(
            f"Chỉ người đang xử lý hồ sơ {case.code} hoặc lãnh đạo mới chuyển được hồ sơ",
            f"Only the holder of case {case.code} or a leader may transfer it",
        )


def approve(case: Case, *, actor: str, now: datetime) -> Outcome:
    """A leader's approval of the result, while the case is being processed (4), once."""
    if case.status is not Status.PROCESSING:
        raise AssignmentRefused(
            f"Chỉ phê duyệt được hồ sơ đang xử lý; hồ sơ đang ở trạng thái {int(case.status)}",
            f"Only a case in processing can be approved; status is {int(case.status)}",
            current_status=int(case.status),
        )
    if case.approved_at is not None:
        raise AssignmentRefused(
            f"Hồ sơ đã được {case.approved_by} phê duyệt", f"The case was already approved by {case.approved_by}"
        )
    new = replace(case, approved_by=actor, approved_at=now, last_seq=case.last_seq + 1)
    return Outcome(new, EventType.APPROVED, ApprovedPayload(actor=actor), actor=actor)


def assignment_slip_entry(outcome: Outcome, at: datetime) -> SlipEntry:
    """The control slip's line of a hand-over or approval, with what happened in words."""
    p = outcome.payload
    if isinstance(p, AssignedPayload):
        reason = f"{p.from_assignee or '—'} → {p.assignee}: {p.step_name}"
    else:
        reason = "Lãnh đạo phê duyệt kết quả"
    entry = outcome.slip_entry(at)
    return entry._replace(reason=reason)


# --- the control slip's lines per hand-over (form 06 of Circular 03/2025) ----------------------


class Handover(NamedTuple):
    """One hand-over as stored: it opens a holder's share of a step."""

    code: str
    seq: int
    step: int
    step_name: str
    from_assignee: str | None
    assignee: str
    actor: str
    at: datetime
    step_due_at: datetime | None


def handover_of(outcome: Outcome, at: datetime) -> Handover:
    p = outcome.payload
    assert isinstance(p, AssignedPayload)
    return Handover(
        outcome.case.code,
        outcome.case.last_seq,
        p.step,
        p.step_name,
        p.from_assignee,
        p.assignee,
        p.actor,
        at,
        p.step_due_at,
    )


class ControlLine(NamedTuple):
    step: int
    step_name: str
    from_assignee: str | None
    assignee: str
    actor: str
    handed_at: datetime
    step_due_at: datetime | None
    ended_at: datetime | None  # when this holder handed it on, or the decision; None while held
    result: str | None  # early, on_time, late; None while held and not past the step's due time


RESULT_VI = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", None: "Đang xử lý"}


def control_lines(case: Case, handovers: list[Handover], now: datetime, calendar) -> list[ControlLine]:
    """One line per hand-over: its step, from whom to whom, when, the step's due time and whether
    the holder handed it on (or decided) within it. A line still held past its due time is late."""
    lines = []
    ordered = sorted(handovers, key=lambda h: h.seq)
    for i, h in enumerate(ordered):
        ended = ordered[i + 1].at if i + 1 < len(ordered) else case.resolved_at
        due = h.step_due_at
        if ended is not None and due is not None:
            result: str | None = calendar.compliance(ended, due)
        elif ended is None and due is not None and now > due and case.status in OPEN:
            result = "late"
        else:
            result = None
        lines.append(ControlLine(h.step, h.step_name, h.from_assignee, h.assignee, h.actor, h.at, due, ended, result))
    return lines
