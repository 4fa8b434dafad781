"""The daily stock deltas add up, on every day, to the state a dossier was in at that day's end."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.domain.projection import project
from shared.calendar import compliance_of
from shared.events import EVENT_FOR_STATUS, EventType, make_event
from shared.local_time import VN, local_day

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
DIMS = {"agency_id": "A", "procedure_code": "P", "channel": "counter", "applicant_type": 0}
# Status paths through the graph of docs/domain.md (after the first status), ending anywhere.
NEXT = {1: [2, 3, 5, 7], 2: [4, 7], 4: [5, 6, 8, 9, 7], 5: [4, 7], 6: [4, 7], 9: [10]}
BEFORE_ACCEPTANCE = {1: [2, 3, 5, 7], 5: [2, 3, 7]}  # a supplement before acceptance goes back to 2


@st.composite
def lifecycles(draw):
    """(status, hours after T0, due hours after T0) steps of one dossier."""
    status = draw(st.sampled_from([1, 2]))
    t = draw(st.integers(0, 24 * 20))
    due = t + draw(st.integers(1, 24 * 15)) if status == 2 else None
    steps = [(status, t, due)]
    for _ in range(draw(st.integers(0, 6))):
        if status not in NEXT:
            break
        accepted = any(step[0] == 2 for step in steps)
        status = draw(st.sampled_from((NEXT if accepted else BEFORE_ACCEPTANCE)[status]))
        t += draw(st.integers(0, 24 * 6))
        if status == 2:
            due = t + draw(st.integers(1, 24 * 15))
        elif status == 4 and steps[-1][0] in (5, 6):
            due += draw(st.integers(0, 24 * 5))  # a pause moves the due time later
        steps.append((status, t, due))
    return steps


def timed(steps):
    """Hour offsets as instants: (status, at, due_at) steps."""
    return [(s, T0 + timedelta(hours=t), T0 + timedelta(hours=due) if due is not None else None) for s, t, due in steps]


def events(steps):
    return events_of(timed(steps))


def events_of(steps, dims=DIMS, code="X"):
    """The events resolution emits for (status, at, due_at) steps of one dossier."""
    out, prev = [], None
    for seq, (status, at, due_at) in enumerate(steps, 1):
        type_ = EVENT_FOR_STATUS[status]
        p = {"from_status": prev, "to_status": status, "actor": "x"}
        if seq == 1 or type_ in (EventType.REFUSED,):
            p["dimensions"] = dims
        if type_ is EventType.ACCEPTED:
            p.update(
                dimensions=dims,
                accepted_at=at,
                deadline={
                    "due_at": due_at,
                    "processing_hours": 8,
                    "time_type": "working",
                    "clock_policy": "pause",
                    "rule_version": "v",
                },
            )
        elif type_ in (EventType.PROCESSING_STARTED, EventType.SUPPLEMENT_REQUESTED, EventType.FEE_REQUESTED):
            p["due_at"] = due_at
        elif type_ is EventType.RESOLVED:
            p.update(due_at=due_at, compliance=compliance_of(at, due_at), working_hours_used=1.0)
        out.append(
            make_event(type_, dossier_code=code, seq=seq, occurred_at=at, producer="t", correlation_id="c", payload=p)
        )
        prev = status
    return out


def state_at_end_of(day, steps):
    """The straightforward answer from the (status, at, due_at) history, as recompute.py asks it
    of the database: the last status reached before the day's end, judged by its due time."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), VN)
    before = [step for step in steps if step[1] < end]
    if not before:
        return None
    status, since, due_at = before[-1]
    accepted = any(step[0] == 2 for step in before)
    if status == 1 or (status == 5 and not accepted):  # papers asked for before acceptance
        return "awaiting"
    if status in (2, 4):
        return "processing_overdue" if due_at < end else "processing_within"
    if status in (5, 6):
        return "paused_overdue" if due_at is not None and due_at <= since else "paused_within"
    return None


def end_of_day_stocks(evs, days):
    """Per day, the running sum of the projection's stock deltas up to that day's end."""
    fact, deltas = None, Counter()
    for e in evs:
        change = project(fact, e)
        fact = change.fact
        for day, _dims, metric, n in change.daily:
            if metric.startswith("stock_"):
                deltas[(day, metric[6:])] += n
    for day in days:
        stock = Counter()
        for (d, state), n in deltas.items():
            if d <= day:
                stock[state] += n
        yield day, +stock


@settings(max_examples=300, deadline=None)
@given(lifecycles())
def test_stock_deltas_give_the_state_at_every_days_end(steps):
    first = local_day(T0) - timedelta(days=1)
    at = timed(steps)
    for day, stock in end_of_day_stocks(events_of(at), [first + timedelta(days=i) for i in range(70)]):
        expected = state_at_end_of(day, at)
        assert stock == (Counter({expected: 1}) if expected else Counter()), (day, steps)
