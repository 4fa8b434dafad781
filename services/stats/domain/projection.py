"""The stats projection: one fact row per dossier, moved by its events in seq order, and
the counter changes each move makes. Pure: the same events always give the same rows.

Two kinds of counters come out of a move:
- board buckets: where each dossier is *now* (the live board);
- daily counters, per local day: flows (received, resolved early/on time/late, ...) and
  signed stock deltas (`stock_*`), whose running sum up to a day is how many dossiers were in
  that state at the end of that day. Period reports of any past period are sums of these.

A dossier is *received for resolution* when it is accepted (form 06 counts it on that day);
before that it is awaiting acceptance, and a refusal or a withdrawal then ends it outside the
form. From acceptance on it is in processing (its clock running or paused) until it is
*resolved*: decided (9), withdrawn (7) or stopped (8), each dated and judged early, on time or
late against its due time (docs/decisions.md, "Form 06").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from shared.calendar import compliance_of
from shared.events import NON_STAFF_ACTORS, EventType
from shared.lifecycle import CLOCK_RUNNING, PAUSED, OutOfSequence, Status, is_next
from shared.local_time import local_day

# Board buckets: each dossier is in exactly one at any time.
BUCKETS = (
    "awaiting",
    "processing_within",
    "processing_overdue",
    "paused_within",
    "paused_overdue",
    "waiting_handover",
    "returned",
    "withdrawn",
    "refused",
    "stopped",
)
# Daily flows: what happened on a local day.
DAILY_METRICS = (
    "received",  # accepted: received for resolution
    "submitted_online",  # an online submission, before the counter's check
    "decided",  # reached 9 (the working time of these is averaged)
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "returned",
    "withdrawn",  # after acceptance: resolved, of which withdrawn
    "withdrawn_before",  # before acceptance: never received for resolution
    "refused",
    "stopped",
    "rated",
    "rated_satisfied",
    "rating_points",
    "resolved_centihours",
    # Issue 15, Decision 766's digitisation group: counted from the accepted and resolved events.
    "digitised_dossiers",  # accepted with at least one document scanned or reused
    "digitised_scanned_documents",
    "digitised_reused_dossiers",  # accepted with at least one document reused from an earlier dossier
    "digitised_reused_documents",
    "result_electronic",  # decided (9) with a signed electronic result
)
# Unfinished states of the period report, each kept as a running stock of daily deltas.
STOCKS = ("awaiting", "processing_within", "processing_overdue", "paused_within", "paused_overdue")
_CLOSING = {10: "returned", 7: "withdrawn", 3: "refused", 8: "stopped"}
SATISFIED_FROM = 4  # a rating of 4 or 5 out of 5 counts as satisfied
# Recorded by their owners; they move no count (an apology keeps the original due time, an
# approval only lets the decision come).
_NO_STATUS_CHANGE = {
    EventType.RATED.value,
    EventType.APOLOGY_ISSUED.value,
    EventType.APPROVED.value,
    EventType.SENT_TO_AGENCY.value,  # liên thông: still the competent agency's case, counted once, there
}
_BACK = EventType.BACK_FROM_AGENCY.value
_SENT = EventType.SENT_TO_AGENCY.value
_ASSIGNED = EventType.ASSIGNED.value
# Plain strings: the hot loop compares millions of event types.
_OVERDUE, _RATED, _ACCEPTED, _RESOLVED = (
    EventType.OVERDUE.value,
    EventType.RATED.value,
    EventType.ACCEPTED.value,
    EventType.RESOLVED.value,
)
_STARTED = EventType.PROCESSING_STARTED.value
_FEE_REQUESTED = EventType.FEE_REQUESTED.value
_PAUSING = {EventType.SUPPLEMENT_REQUESTED.value, _FEE_REQUESTED}

Dims = tuple[str, str, str]


class Rejected(Exception):
    """An event this projection can never apply (its reason goes to the dead-letter topic)."""


class Fact(NamedTuple):  # a tuple: _replace is several times faster than dataclasses.replace
    code: str
    agency_id: str
    procedure_code: str
    channel: str
    status: int
    overdue: bool  # the board's view: its running due time has passed
    received_at: datetime
    state_since: datetime  # when the current status was reached
    accepted_at: datetime | None
    due_at: datetime | None  # the running due time (moved by pauses, renewed by a restart)
    resolved_at: datetime | None
    compliance: str | None
    working_hours: float | None  # working time used, when resolved
    rating: int | None
    last_seq: int
    # The staff account that last moved it before its decision: who holds it, then who decided it
    # (the clerk handing the result over does not take it). Never a citizen.
    handler: str | None = None
    # At another agency for a step whose clock pauses (liên thông): counted as paused until it is back.
    away: bool = False

    @property
    def bucket(self) -> str:
        return bucket_of(self.status, self.overdue, self.accepted_at is not None, self.away)

    @property
    def dims(self) -> Dims:
        return (self.agency_id, self.procedure_code, self.channel)


def bucket_of(status: int, overdue: bool, accepted: bool, away: bool = False) -> str:
    if status == Status.SUBMITTED or (status in PAUSED and not accepted):  # papers asked for before acceptance
        return "awaiting"
    if status in CLOCK_RUNNING and not away:
        return "processing_overdue" if overdue else "processing_within"
    if status in PAUSED or status in CLOCK_RUNNING:  # paused, or away with its clock paused
        return "paused_overdue" if overdue else "paused_within"
    if status == Status.RESOLVED:
        return "waiting_handover"
    return _CLOSING[status]


def paused_overdue(due_at: datetime | None, paused_at: datetime) -> bool:
    """A paused dossier is overdue when its due time had passed before the clock stopped."""
    return due_at is not None and due_at <= paused_at


def stock_entry(fact: Fact) -> list[tuple[date, str, int]]:
    """The stock deltas of being in the fact's current status from `state_since` on, for good.

    A running clock turns overdue on its due day: at the end of a day D a dossier is overdue
    when its due time is not after the end of D, i.e. when the due day is D or earlier.
    """
    day = local_day(fact.state_since)
    if fact.status == Status.SUBMITTED or (fact.status in PAUSED and fact.accepted_at is None):
        return [(day, "stock_awaiting", 1)]
    if fact.status in CLOCK_RUNNING and not fact.away:
        assert fact.due_at is not None, "a running clock has a due time"
        due_day = local_day(fact.due_at)
        if due_day <= day:
            return [(day, "stock_processing_overdue", 1)]
        return [
            (day, "stock_processing_within", 1),
            (due_day, "stock_processing_within", -1),
            (due_day, "stock_processing_overdue", 1),
        ]
    if fact.status in PAUSED or fact.status in CLOCK_RUNNING:  # paused, or away with its clock paused
        kind = "overdue" if paused_overdue(fact.due_at, fact.state_since) else "within"
        return [(day, f"stock_paused_{kind}", 1)]
    return []


def stock_exit(fact: Fact, at: datetime) -> list[tuple[date, str, int]]:
    """Cancels `stock_entry(fact)` from the local day of `at` on; days before keep it."""
    day = local_day(at)
    return [(max(d, day), metric, -n) for d, metric, n in stock_entry(fact)]


@dataclass
class Change:
    fact: Fact
    buckets: list[tuple[Dims, str, int]]  # (dims, bucket, +1/-1)
    daily: list[tuple[date, Dims, str, int]]  # (day, dims, metric, signed n)
    # (seq, status, at, due_at, away) of a status change, or of leaving or coming back with a paused clock
    step: tuple[int, int, datetime, datetime | None, bool] | None


def project(fact: Fact | None, event) -> Change | None:
    """Apply one event; None for a duplicate (already applied), Rejected for one that cannot be."""
    seq, p, at = event.seq, event.payload, event.occurred_at
    try:
        if not is_next(
            event.dossier_code,
            fact.last_seq if fact else 0,
            fact.status if fact else None,
            seq,
            event.type,
            getattr(p, "from_status", None),
        ):
            return None  # already applied: a redelivery
    except OutOfSequence as exc:
        raise Rejected(str(exc)) from None
    daily: list = []
    step = None
    if fact is None:
        if not hasattr(p, "dimensions"):
            raise Rejected(f"{event.type} for unknown dossier {event.dossier_code}")
        d = p.dimensions
        new = Fact(
            code=event.dossier_code,
            agency_id=d.agency_id,
            procedure_code=d.procedure_code,
            channel=d.channel.value,
            status=p.to_status,
            overdue=False,
            received_at=at,
            state_since=at,
            accepted_at=None,
            due_at=None,
            resolved_at=None,
            compliance=None,
            working_hours=None,
            rating=None,
            last_seq=seq,
            handler=_staff(p.actor),
        )
        new = _status_change(new, event)
        dims = new.dims
        if new.accepted_at is not None:
            daily.append((local_day(at), dims, "received", 1))
            daily += [(local_day(at), dims, m, n) for m, n in _digitisation(event)]
        elif new.channel == "online":
            daily.append((local_day(at), dims, "submitted_online", 1))
        daily += [(day, dims, m, n) for day, m, n in stock_entry(new)]
        step = (seq, new.status, at, new.due_at, new.away)
    elif event.type == _OVERDUE:  # (none is sent while away with a paused clock)
        new = fact._replace(last_seq=seq, overdue=fact.overdue or (fact.status in CLOCK_RUNNING and not fact.away))
    elif event.type == _RATED:
        new = fact._replace(last_seq=seq, rating=p.score)
        day, dims = local_day(at), fact.dims
        daily += [(day, dims, "rated", 1), (day, dims, "rating_points", p.score)]
        if p.score >= SATISFIED_FROM:
            daily.append((day, dims, "rated_satisfied", 1))
    elif event.type == _ASSIGNED:  # the assignee holds it now (until its decision names who decided)
        new = fact._replace(last_seq=seq, handler=p.assignee if fact.resolved_at is None else fact.handler)
    elif event.type == _SENT and p.clock == "pauses" and fact.status in CLOCK_RUNNING:
        # Away with the clock paused: counted as a paused dossier (judged by its due time as it
        # leaves) until it is back, in the stocks, the board and the steps recompute reads.
        new = fact._replace(last_seq=seq, state_since=at, away=True, overdue=paused_overdue(fact.due_at, at))
        daily += _restocked(fact, new, at)
        step = (seq, new.status, at, new.due_at, True)
    elif event.type in _NO_STATUS_CHANGE:
        new = fact._replace(last_seq=seq)
    elif event.type == _BACK and (fact.away or p.due_at != fact.due_at):
        # Back from another agency whose step paused the clock: the due time moves, the status stays
        # (4), the clock runs again. Stocks and the step are rewritten as a restart in the same status
        # would, so recompute, which reads the last step, agrees (docs/decisions.md, "Between agencies").
        # (A fact projected before `away` existed comes here by its moved due time.)
        new = fact._replace(last_seq=seq, state_since=at, due_at=p.due_at, overdue=p.due_at <= at, away=False)
        daily += _restocked(fact, new, at)
        step = (seq, new.status, at, new.due_at, False)
    elif event.type == _BACK:
        new = fact._replace(last_seq=seq)
    else:
        new = _status_change(fact, event, last_seq=seq, state_since=at)
        dims, today = fact.dims, local_day(at)  # a dossier's dimensions never change
        daily += [(day, dims, m, n) for day, m, n in stock_exit(fact, at) + stock_entry(new)]
        daily += [(today, dims, m, n) for m, n in _flows(fact, new, at) + _fee_flows(event)]
        if event.type == _ACCEPTED or event.type == _RESOLVED:
            daily += [(today, dims, m, n) for m, n in _digitisation(event)]
        step = (seq, new.status, at, new.due_at, new.away)
    buckets = []
    if fact is None:
        buckets.append((new.dims, new.bucket, 1))
    elif fact.bucket != new.bucket:
        buckets += [(fact.dims, fact.bucket, -1), (new.dims, new.bucket, 1)]
    return Change(new, buckets, daily, step)


def _restocked(before: Fact, after: Fact, at: datetime) -> list[tuple[date, Dims, str, int]]:
    """The stock deltas of leaving `before`'s state at `at` for `after`'s (same dimensions)."""
    dims = before.dims
    return [(day, dims, m, n) for day, m, n in stock_exit(before, at) + stock_entry(after)]


def _flows(before: Fact, after: Fact, at: datetime) -> list[tuple[str, int]]:
    """What a status change adds to the day's flows."""
    status = after.status
    if status == Status.ACCEPTED and before.accepted_at is None:
        return [("received", 1)]
    if status == Status.RESOLVED and after.compliance:
        return [
            ("decided", 1),
            ("resolved_" + after.compliance, 1),
            ("resolved_centihours", round((after.working_hours or 0) * 100)),
        ]
    if status in (Status.WITHDRAWN, Status.STOPPED) and before.accepted_at is not None:
        # Resolved as well, judged at the moment its clock stopped (a paused clock stopped earlier).
        assert before.due_at is not None, "an accepted dossier has a due time"
        stopped_at = before.state_since if before.status in PAUSED or before.away else at
        return [(_CLOSING[status], 1), ("resolved_" + compliance_of(stopped_at, before.due_at), 1)]
    if status == Status.WITHDRAWN:
        return [("withdrawn_before", 1)]
    if status in _CLOSING:
        return [(_CLOSING[status], 1)]
    return []


def _fee_flows(event) -> list[tuple[str, int]]:
    """Fees (issue 15): one asked for, and one paid online (the method the 6 -> 4 event carries),
    for the quality index's online payment; who paid is never on the event."""
    if event.type == _FEE_REQUESTED:
        return [("fee_requested", 1)]
    if event.type == _STARTED and getattr(event.payload, "payment_method", None) == "online":
        return [("paid_online", 1)]
    return []


def _digitisation(event) -> list[tuple[str, int]]:
    """What an accepted or resolved event adds to the digitisation flows (counts on the event only)."""
    p = event.payload
    if event.type == _RESOLVED:
        return [("result_electronic", 1)] if p.result_kind == "electronic" else []
    scanned, reused = p.documents_scanned, p.documents_reused
    flows = [("digitised_dossiers", 1)] if scanned or reused else []
    if scanned:
        flows.append(("digitised_scanned_documents", scanned))
    if reused:
        flows += [("digitised_reused_dossiers", 1), ("digitised_reused_documents", reused)]
    return flows


def _status_change(fact: Fact, event, **changes) -> Fact:
    """The fact after a status change, with `changes` besides (one _replace: it is not cheap)."""
    p, at = event.payload, event.occurred_at
    changes["status"] = p.to_status
    if (staff := _staff(p.actor)) is not None and fact.resolved_at is None:
        changes["handler"] = staff
    kind = event.type
    if kind == _ACCEPTED:
        changes.update(accepted_at=p.accepted_at, due_at=p.deadline.due_at, overdue=p.deadline.due_at <= at)
    elif kind == _STARTED:
        changes.update(due_at=p.due_at, overdue=p.due_at <= at)
    elif kind in _PAUSING:
        due = p.due_at if p.due_at is not None else fact.due_at
        changes.update(due_at=due, overdue=paused_overdue(due, at))
    elif kind == _RESOLVED:
        changes.update(
            resolved_at=at, compliance=p.compliance, due_at=p.due_at, overdue=False, working_hours=p.working_hours_used
        )
    else:
        changes.update(overdue=False)
    return fact._replace(**changes)


def _staff(actor: str) -> str | None:
    """The staff account behind a move; None for the citizen's own requests and the system's."""
    return None if actor in NON_STAFF_ACTORS else actor
