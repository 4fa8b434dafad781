"""The daily stock deltas add up, on every day, to the state a dossier was in at that day's end."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.domain.projection import project
from shared.events import EVENT_FOR_STATUS, EventType, make_event
from shared.local_time import local_day

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


def events(steps):
    out, prev = [], None
    for seq, (status, t, due) in enumerate(steps, 1):
        at, due_at = T0 + timedelta(hours=t), (T0 + timedelta(hours=due) if due is not None else None)
        type_ = EVENT_FOR_STATUS[status]
        p = {"from_status": prev, "to_status": status, "actor": "x"}
        if seq == 1 or type_ in (EventType.REFUSED,):
            p["dimensions"] = DIMS
        if type_ is EventType.ACCEPTED:
            p.update(
                dimensions=DIMS,
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
            p.update(due_at=due_at, compliance="early", working_hours_used=1.0)
        out.append(
            make_event(type_, dossier_code="X", seq=seq, occurred_at=at, producer="t", correlation_id="c", payload=p)
        )
        prev = status
    return out


def state_at_end_of(day, steps):
    """The straightforward answer, as recompute.py asks it of the database."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone(timedelta(hours=7)))
    last, since = None, None
    accepted = False
    for status, t, due in steps:
        if T0 + timedelta(hours=t) < end:
            last, since = (status, due), T0 + timedelta(hours=t)
            accepted = accepted or status == 2
    if last is None:
        return None
    status, due = last
    due_at = T0 + timedelta(hours=due) if due is not None else None
    if status == 1 or (status == 5 and not accepted):  # papers asked for before acceptance
        return "awaiting"
    if status in (2, 4):
        return "processing_overdue" if due_at < end else "processing_within"
    if status in (5, 6):
        return "paused_overdue" if due_at is not None and due_at <= since else "paused_within"
    return None


@settings(max_examples=300, deadline=None)
@given(lifecycles())
def test_stock_deltas_give_the_state_at_every_days_end(steps):
    fact, deltas = None, Counter()
    for e in events(steps):
        change = project(fact, e)
        fact = change.fact
        for day, _dims, metric, n in change.daily:
            if metric.startswith("stock_"):
                deltas[(day, metric[6:])] += n
    first = local_day(T0) - timedelta(days=1)
    for i in range(70):
        day = first + timedelta(days=i)
        stock = Counter()
        for (d, state), n in deltas.items():
            if d <= day:
                stock[state] += n
        expected = state_at_end_of(day, steps)
        assert +stock == (Counter({expected: 1}) if expected else Counter()), (day, steps)
