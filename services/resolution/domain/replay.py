"""Replaying an imported dossier's history through the case's own rules. Pure.

Each recorded status change becomes the action that makes it, applied by `act` at the
time it happened, so the events are the ones resolution would have written live. A step
the rules refuse ends the replay there; the case keeps what was replayed before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.resolution.domain.case import Case, Outcome, RatingRefused, act, rate
from shared.events import ImportedHistory
from shared.lifecycle import Status, TransitionRefused, action_for


@dataclass
class Replayed:
    case: Case
    outcomes: list[tuple[Outcome, datetime]] = field(default_factory=list)  # (outcome, occurred_at)
    refused: str | None = None  # why the replay stopped early; no personal data


def replay(case: Case, imported: ImportedHistory, calendar) -> Replayed:
    out = Replayed(case)
    for n, step in enumerate(imported.steps, start=1):
        current = out.case.status
        try:
            to = Status(step.to_status)
            action = action_for(current, to, accepted_before=True)
            if action is None:
                out.refused = f"step {n}: no action moves a case from {int(current)} to {int(to)}"
                return out
            outcome = act(out.case, action, actor=step.actor, reason=step.reason, now=step.at, calendar=calendar)
        except (TransitionRefused, ValueError) as exc:  # ValueError: a time the calendar cannot use
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
