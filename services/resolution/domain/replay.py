"""Replaying an imported dossier's history through the case's own rules. Pure.

Each recorded status change becomes the action that makes it, applied by `act` at the
time it happened (a recorded hand-over or approval goes through domain/assignment.py's rules), so the events are the ones resolution would have written live. A step
the rules refuse ends the replay there; the case keeps what was replayed before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.resolution.domain.assignment import Staffer, approve, hand_over, steps
from services.resolution.domain.case import Case, Outcome, RatingRefused, act, rate
from shared.errors import DomainError
from shared.events import ImportedHistory, ImportedStep
from shared.lifecycle import Status, TransitionRefused, action_for


@dataclass
class Replayed:
    case: Case
    outcomes: list[tuple[Outcome, datetime]] = field(default_factory=list)  # (outcome, occurred_at)
    refused: str | None = None  # why the replay stopped early; no personal data


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
