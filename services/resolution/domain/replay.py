"""Replaying an imported dossier's history through the case's own rules. Pure.

Each recorded status change becomes the action that makes it, applied by `act` at the
time it happened (a recorded hand-over or approval goes through domain/assignment.py's rules, a
trip to another agency and back through domain/interagency.py's), so the events are the ones
resolution would have written live. A step the rules refuse ends the replay there; the case keeps
what was replayed before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.resolution.domain import interagency
from services.resolution.domain.assignment import Handover, Staffer, approve, hand_over, steps
from services.resolution.domain.case import Case, Outcome, RatingRefused, act, rate
from shared.errors import DomainError, InvalidRequest
from shared.events import ImportedHistory, ImportedStep
from shared.lifecycle import Status, TransitionRefused, action_for


@dataclass
class Replayed:
    case: Case
    outcomes: list[tuple[Outcome, datetime]] = field(default_factory=list)  # (outcome, occurred_at)
    refused: str | None = None  # why the replay stopped early; no personal data
    trips: list[Handover] = field(default_factory=list)  # form 06's lines of trips to other agencies


def _trip(case: Case, step: ImportedStep, calendar) -> Outcome:
    """An imported trip to another agency or back, through the same rules as a live one. As with
    hand-overs, the old system's accounts are trusted: the sender as a leader of the competent agency,
    the one sending back as staff of the agency it was at."""
    if step.action == "send_back":
        if step.agency_id is not None and step.agency_id != case.away_agency_id:
            raise InvalidRequest(
                f"Hồ sơ không ở cơ quan {step.agency_id}", f"The case is not at agency {step.agency_id}"
            )
        return interagency.send_back(
            case, actor=step.actor, role="officer", actor_agency_id=None, now=step.at, calendar=calendar
        )
    outcome = interagency.send(
        case, actor=step.actor, role="leader", actor_agency_id=case.agency_id, step=step.step, now=step.at
    )
    if step.agency_id is not None and step.agency_id != outcome.case.away_agency_id:
        raise InvalidRequest(
            f"Bước liên thông do cơ quan {outcome.case.away_agency_id} thực hiện, không phải {step.agency_id}",
            f"That step is performed by agency {outcome.case.away_agency_id}, not {step.agency_id}",
        )
    return outcome


def _inside_agency(case: Case, step: ImportedStep, calendar) -> Outcome:
    """An imported hand-over or approval, through the same rules as a live one. The old system's
    accounts are not ours: the assignee is taken as of the case's agency, in the role its step needs."""
    if step.action == "approve":
        return approve(case, actor=step.actor, now=step.at)
    assert step.assignee is not None  # ImportedStep requires it for "assign"
    target = case.step if step.step is None else step.step
    process = steps(case)
    role = "leader" if 0 <= target < len(process) and process[target].role == "leader" else "officer"
    to = Staffer(step.assignee, role, case.agency_id)
    return hand_over(case, actor=step.actor, to=to, step=step.step, now=step.at, calendar=calendar)


def replay(case: Case, imported: ImportedHistory, calendar) -> Replayed:
    out = Replayed(case)
    for n, step in enumerate(imported.steps, start=1):
        current = out.case.status
        try:
            if step.action in ("send", "send_back"):
                outcome = _trip(out.case, step, calendar)
                out.trips.append(interagency.trip_handover(out.case, outcome, step.at, calendar))
                out.outcomes.append((outcome, step.at))
                out.case = outcome.case
                continue
            if step.action is not None:
                outcome = _inside_agency(out.case, step, calendar)
                out.outcomes.append((outcome, step.at))
                out.case = outcome.case
                continue
            assert step.to_status is not None  # ImportedStep: a status change or an action
            to = Status(step.to_status)
            action = action_for(current, to, accepted_before=True)
            if action is None:
                out.refused = f"step {n}: no action moves a case from {int(current)} to {int(to)}"
                return out
            outcome = act(
                out.case, action, actor=step.actor, reason=step.reason, now=step.at, calendar=calendar, recorded=True
            )
        except (TransitionRefused, DomainError, ValueError) as exc:  # ValueError: a time the calendar cannot use
            out.refused = f"step {n}: {exc}"
            return out
        out.outcomes.append((outcome, step.at))
        out.case = outcome.case
    if imported.rating is not None:
        at = imported.rated_at or (imported.steps[-1].at if imported.steps else out.case.accepted_at)
        try:
            outcome = rate(out.case, imported.rating, now=at)
        except RatingRefused as exc:
            out.refused = f"rating: {exc.en}"
            return out
        out.outcomes.append((outcome, at))
        out.case = outcome.case
    return out
