"""Between agencies (liên thông): a case goes to another agency for one step of its process (the tax
office determines the financial obligations between land-registration steps) and comes back. Pure:
the calendar is handed in.

Rules (docs/decisions.md, "Between agencies"):
- Only a step that names an `agency_id` goes to another agency; by default the next such step from
  the current one. The case must be in processing (4) and not away already. Its status stays 4.
- The holder of the case or a leader of the competent agency sends it; an officer or leader of the
  other agency (or a centre-wide staff account) sends it back.
- While away the case cannot be resolved ("at_other_agency").
- The step's `clock` says whether the legal time runs while away: with "pauses" the case's due time
  moves later on return by the working time away (calendar.extend_for_pause, as supplements do);
  with "runs" it does not move.
- The step's hours judge whether the other agency sent it back on time (form 06's hand-over line).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.resolution.domain.assignment import AssignmentRefused, Handover, current_step_due, step_due, steps
from services.resolution.domain.case import Case, Outcome
from shared.errors import Forbidden, InvalidRequest
from shared.events import BackFromAgencyPayload, EventType, ProcessStep, SentToAgencyPayload
from shared.lifecycle import Status

STAFF_ROLES = ("officer", "leader")


def other_agency_steps(case: Case) -> list[int]:
    return [i for i, s in enumerate(steps(case)) if s.agency_id]


def step_to_send(case: Case, step: int | None) -> tuple[int, ProcessStep]:
    """The step asked for, or the next one from the current step that names another agency."""
    process = steps(case)
    candidates = other_agency_steps(case)
    if step is None:
        after = [i for i in candidates if i >= case.step]
        if not after:
            raise InvalidRequest(
                "Quy trình của hồ sơ không còn bước nào do cơ quan khác thực hiện",
                "The case's process has no further step performed by another agency",
                field="step",
            )
        step = after[0]
    if step not in candidates:
        raise InvalidRequest(
            f"Bước {step} không do cơ quan khác thực hiện; các bước liên thông: {candidates}",
            f"Step {step} is not performed by another agency; such steps: {candidates}",
            field="step",
        )
    return step, process[step]


def may_send(case: Case, username: str, role: str, agency_id: str | None) -> bool:
    """The holder, or a leader of the competent agency (or a centre-wide leader)."""
    return case.assignee == username or (role == "leader" and agency_id in (None, case.agency_id))


def may_send_back(case: Case, role: str, agency_id: str | None) -> bool:
    """An officer or leader of the agency holding the case now, or a centre-wide staff account."""
    return role in STAFF_ROLES and agency_id in (None, case.away_agency_id)


def visiting(case: Case, role: str, agency_id: str | None) -> bool:
    """Staff of the agency a case is at now, not of the competent one: they may read the case and send
    it back, nothing else (its statuses stay the competent agency's)."""
    return (
        case.away_agency_id is not None
        and agency_id == case.away_agency_id
        and agency_id != case.agency_id
        and role in STAFF_ROLES
    )


def send(
    case: Case,
    *,
    actor: str,
    role: str,
    actor_agency_id: str | None,
    step: int | None,
    now: datetime,
    to_agency_name: str | None = None,
    reason: str | None = None,
) -> Outcome:
    if case.status is not Status.PROCESSING or case.resolved_at is not None:
        raise AssignmentRefused(
            f"Chỉ chuyển liên thông được hồ sơ đang xử lý; hồ sơ đang ở trạng thái {int(case.status)}",
            f"Only a case in processing can go to another agency; status is {int(case.status)}",
            current_status=int(case.status),
        )
    if case.away_agency_id is not None:
        raise AssignmentRefused(
            f"Hồ sơ đang ở cơ quan {case.away_agency_id}", f"The case is at agency {case.away_agency_id} already"
        )
    if not may_send(case, actor, role, actor_agency_id):
        raise Forbidden(
            f"Chỉ người đang xử lý hồ sơ {case.code} hoặc lãnh đạo cơ quan mới chuyển liên thông được",
            f"Only the holder of case {case.code} or a leader of its agency may send it to another agency",
        )
    index, process_step = step_to_send(case, step)
    assert process_step.agency_id is not None
    payload = SentToAgencyPayload(
        actor=actor,
        to_agency_id=process_step.agency_id,
        to_agency_name=to_agency_name,
        step=index,
        step_name=process_step.name,
        clock=process_step.clock,
        reason=reason,
    )
    new = replace(
        case,
        away_agency_id=process_step.agency_id,
        away_since=now,
        away_step=index,
        away_clock=process_step.clock,
        last_seq=case.last_seq + 1,
    )
    return Outcome(new, EventType.SENT_TO_AGENCY, payload, actor=actor)


def send_back(
    case: Case,
    *,
    actor: str,
    role: str,
    actor_agency_id: str | None,
    now: datetime,
    calendar,
    reason: str | None = None,
) -> Outcome:
    if case.away_agency_id is None or case.away_since is None or case.away_step is None:
        raise AssignmentRefused("Hồ sơ không ở cơ quan khác", "The case is not at another agency")
    if not may_send_back(case, role, actor_agency_id):
        raise Forbidden(
            f"Chỉ cán bộ của cơ quan {case.away_agency_id} mới trả kết quả liên thông được",
            f"Only staff of agency {case.away_agency_id} may send the case back",
        )
    due, paused_hours = case.due_at, case.paused_hours
    if case.away_clock == "pauses":
        due = calendar.extend_for_pause(case.due_at, case.away_since, now)
        paused_hours += calendar.working_hours_between(case.away_since, now)
    payload = BackFromAgencyPayload(
        actor=actor, from_agency_id=case.away_agency_id, step=case.away_step, due_at=due, reason=reason
    )
    new = replace(
        case,
        due_at=due,
        paused_hours=paused_hours,
        overdue_notified=case.overdue_notified and due == case.due_at,
        away_agency_id=None,
        away_since=None,
        away_step=None,
        away_clock=None,
        last_seq=case.last_seq + 1,
    )
    return Outcome(new, EventType.BACK_FROM_AGENCY, payload, actor=actor)


def watcher_may_notify(case: Case) -> bool:
    """The deadline watcher sends no overdue notice for a case whose clock is paused at another agency."""
    return not (case.away_agency_id is not None and case.away_clock == "pauses")


def back_on_time(case_away_since: datetime, step: ProcessStep, back_at: datetime, calendar) -> bool:
    """Whether the other agency sent the case back within the step's hours (form 06's line)."""
    return back_at <= step_due(calendar, case_away_since, step.hours)


def agency_party(agency_id: str) -> str:
    """How the other agency reads on form 06's hand-over line (it holds the case, not a person)."""
    return f"Cơ quan {agency_id}"


def trip_handover(before: Case, outcome: Outcome, at: datetime, calendar) -> Handover:
    """Form 06's line of a trip: to the other agency (due after the step's hours from now, so the
    return is judged on time or not), or back to the holder (the current step's due time again)."""
    p = outcome.payload
    holder = before.assignee or outcome.actor
    if isinstance(p, SentToAgencyPayload):
        step = steps(before)[p.step]
        due = step_due(calendar, at, step.hours)
        return Handover(
            before.code,
            outcome.case.last_seq,
            p.step,
            p.step_name,
            holder,
            agency_party(p.to_agency_id),
            p.actor,
            at,
            due,
        )
    assert isinstance(p, BackFromAgencyPayload)
    case = outcome.case
    return Handover(
        case.code,
        case.last_seq,
        case.step,
        steps(case)[case.step].name,
        agency_party(p.from_agency_id),
        holder,
        p.actor,
        at,
        current_step_due(case),
    )
