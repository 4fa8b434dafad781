"""Form 06 as the circular defines it: received for resolution means accepted, on the day of
acceptance; every dossier received is either resolved or in processing at the period's end, so
(3) = (7) + (11) on every row, whatever the lifecycles and the period."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.domain.projection import project
from services.stats.domain.report import GroupSums, row_for, unaccounted
from shared.calendar import default_calendar
from shared.events import EVENT_FOR_STATUS, EventType, make_event
from shared.local_time import VN, local_day
from tests.unit.test_stocks import events, lifecycles


def sums(dossiers: list[list], start: date, end: date) -> GroupSums:
    """What the counters of these events give a period, as the report adapter reads them."""
    flows, stocks = Counter(), Counter()
    for evs in dossiers:
        fact = None
        for e in evs:
            change = project(fact, e)
            fact = change.fact
            for day, (_, _, channel), metric, n in change.daily:
                if metric.startswith("stock_"):
                    stocks[(day, metric[6:])] += n
                elif start <= day <= end:
                    flows[
                        "received_" + ("online" if channel == "online" else "direct")
                        if metric == "received"
                        else metric
                    ] += n

    def at_end_of(last: date) -> Counter:
        out: Counter = Counter()
        for (day, state), n in stocks.items():
            if day <= last:
                out[state] += n
        return +out

    return GroupSums(flows, at_end_of(start - timedelta(days=1)), at_end_of(end))


@settings(max_examples=200, deadline=None)
@given(st.lists(lifecycles(), min_size=1, max_size=6), st.integers(0, 40), st.integers(0, 40))
def test_received_equals_resolved_plus_in_processing_on_every_period(steps, a, b):
    first = local_day(datetime(2026, 3, 2, tzinfo=UTC))
    start, end = first + timedelta(days=min(a, b)), first + timedelta(days=max(a, b))
    row = row_for(sums([events(s) for s in steps], start, end))
    assert unaccounted(row) == 0, row
    assert row["paused_total"] <= row["in_processing_total"]
    assert row["withdrawn"] + row["stopped"] <= row["resolved_total"]


def _ev(seq: int, type_: EventType, at: datetime, **payload):
    return make_event(
        type_, dossier_code="M", seq=seq, occurred_at=at, producer="t", correlation_id="c", payload=payload
    )


DIMS = {"agency_id": "000.00.31.H26", "procedure_code": "P", "channel": "online", "applicant_type": 0}


def _accepted(seq: int, at: datetime, due: datetime, frm: int | None = 1):
    return _ev(
        seq,
        EventType.ACCEPTED,
        at,
        from_status=frm,
        to_status=2,
        actor="c",
        dimensions=DIMS,
        accepted_at=at,
        deadline={
            "due_at": due,
            "processing_hours": 40,
            "time_type": "working",
            "clock_policy": "pause",
            "rule_version": "v",
        },
    )


def test_a_dossier_submitted_in_february_and_accepted_in_march_is_received_in_march():
    submitted, accepted = datetime(2026, 2, 27, 9, 0, tzinfo=VN), datetime(2026, 3, 2, 9, 0, tzinfo=VN)
    evs = [
        _ev(1, EventType.SUBMITTED, submitted, to_status=1, actor="citizen", dimensions=DIMS),
        _accepted(2, accepted, accepted + timedelta(days=7)),
    ]
    february = row_for(sums([evs], date(2026, 2, 1), date(2026, 2, 28)))
    march = row_for(sums([evs], date(2026, 3, 1), date(2026, 3, 31)))
    assert (february["received_total"], february["submitted_online"], february["awaiting"]) == (0, 1, 1)
    assert (march["received_online"], march["carried_over"], march["in_processing_total"]) == (1, 0, 1)
    assert march["submitted_online"] == 0 and march["awaiting"] == 0


def test_withdrawn_and_stopped_after_acceptance_are_resolved_before_it_they_are_beside_the_form():
    t = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
    due = t + timedelta(days=7)
    withdrawn_after = [
        _accepted(1, t, due, frm=None),
        _ev(2, EventType.WITHDRAWN, t + timedelta(days=1), from_status=2, to_status=7, actor="citizen"),
    ]
    stopped_late = [
        _accepted(1, t, due, frm=None),
        _ev(2, EventType.PROCESSING_STARTED, t, from_status=2, to_status=4, actor="o", due_at=due),
        _ev(3, EventType.STOPPED, t + timedelta(days=9), from_status=4, to_status=8, actor="l"),
    ]
    withdrawn_before = [
        _ev(1, EventType.SUBMITTED, t, to_status=1, actor="citizen", dimensions=DIMS),
        _ev(2, EventType.WITHDRAWN, t, from_status=1, to_status=7, actor="citizen"),
    ]
    row = row_for(sums([withdrawn_after, stopped_late, withdrawn_before], date(2026, 3, 1), date(2026, 3, 31)))
    assert (row["received_total"], row["resolved_total"], row["in_processing_total"]) == (2, 2, 0)
    assert (row["resolved_early"], row["resolved_late"], row["withdrawn"], row["stopped"]) == (1, 1, 1, 1)
    assert (row["withdrawn_before"], row["submitted_online"]) == (1, 1)


def test_a_paused_dossier_is_in_processing_within_or_overdue_by_its_due_time():
    t = datetime(2026, 3, 2, 9, 0, tzinfo=VN)
    evs = [
        _accepted(1, t, t + timedelta(hours=2), frm=None),
        _ev(2, EventType.PROCESSING_STARTED, t, from_status=2, to_status=4, actor="o", due_at=t + timedelta(hours=2)),
        _ev(
            3,
            EventType.FEE_REQUESTED,
            t + timedelta(hours=1),
            from_status=4,
            to_status=6,
            actor="o",
            due_at=t + timedelta(hours=2),
        ),
    ]
    row = row_for(sums([evs], date(2026, 3, 1), date(2026, 3, 31)))
    assert (row["in_processing_total"], row["in_processing_within"], row["paused_total"]) == (1, 1, 1)
    assert unaccounted(row) == 0


def test_a_paused_clock_that_moves_the_due_time_past_the_day_end_is_within_at_that_days_end():
    """The same-day procedure of the report: accepted 08:57, in processing 09:12, waiting for a
    fee 10:12-14:12; the wait moves its due time to 09:00 on the next working day. Here that day
    is across the month end and the 30/4-1/5 holidays, so every day's end until then says within."""
    cal = default_calendar()
    day = date(2026, 4, 29)
    accepted, started = datetime(2026, 4, 29, 8, 57, tzinfo=VN), datetime(2026, 4, 29, 9, 12, tzinfo=VN)
    fee, paid = datetime(2026, 4, 29, 10, 12, tzinfo=VN), datetime(2026, 4, 29, 14, 12, tzinfo=VN)
    due = cal.due_time(accepted, 0)
    moved = cal.extend_for_pause(due, fee, paid)
    assert moved == datetime(2026, 5, 4, 9, 0, tzinfo=VN)
    move = {"actor": "o", "due_at": due}
    evs = [
        _accepted(1, accepted, due, frm=None),
        _ev(2, EventType.PROCESSING_STARTED, started, from_status=2, to_status=4, **move),
        _ev(3, EventType.FEE_REQUESTED, fee, from_status=4, to_status=6, **move),
        _ev(4, EVENT_FOR_STATUS[4], paid, from_status=6, to_status=4, actor="o", due_at=moved),
    ]
    for start, end in [(day, day), (date(2026, 4, 1), date(2026, 4, 30))]:
        row = row_for(sums([evs], start, end))
        assert (row["in_processing_within"], row["in_processing_overdue"]) == (1, 0), (start, end)
    for last in (date(2026, 5, 1), date(2026, 5, 3)):
        assert row_for(sums([evs], day, last))["in_processing_within"] == 1, last
    assert row_for(sums([evs], day, date(2026, 5, 4)))["in_processing_overdue"] == 1
    # decided on the due day before 09:00: on time in the quarter, never overdue on a day's end
    resolved = datetime(2026, 5, 4, 8, 30, tzinfo=VN)
    evs.append(
        _ev(
            5,
            EventType.RESOLVED,
            resolved,
            from_status=4,
            to_status=9,
            actor="o",
            due_at=moved,
            compliance=cal.compliance(resolved, moved),
            working_hours_used=0.5,
        )
    )
    quarter = row_for(sums([evs], date(2026, 4, 1), date(2026, 6, 30)))
    assert (quarter["received_total"], quarter["resolved_on_time"], quarter["in_processing_total"]) == (1, 1, 0)
