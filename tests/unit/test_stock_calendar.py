"""End-of-day stocks on the real working calendar: lifecycles whose pauses cross day ends, month
ends and public holidays, with due times computed and moved as resolution moves them (a pause of
a "pause" clock moves the due time later by the working time spent waiting). Every day's end is
compared with a plain recomputation from the status history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.calendar import default_calendar
from shared.local_time import VN, local_day
from tests.unit.test_stocks import end_of_day_stocks, events_of, state_at_end_of

CAL = default_calendar()
# Days just before a month end, Tết 2026, Reunification Day and May Day, National Day, New Year.
ANCHORS = [date(2026, 1, 30), date(2026, 2, 13), date(2026, 4, 28), date(2026, 8, 31), date(2026, 12, 30)]
HOURS = [0, 4, 8, 16, 24, 40]  # 0 is a same-day procedure
MINUTES = st.integers(0, 3 * 24 * 60)  # up to three days between two moves


@st.composite
def calendar_lifecycles(draw):
    """(status, at, due_at) steps: accepted (maybe after an online submission), into processing,
    paused and resumed a few times, then maybe resolved, withdrawn or stopped."""
    day = draw(st.sampled_from(ANCHORS)) + timedelta(days=draw(st.integers(0, 3)))
    at = datetime.combine(day, time(7, 0), VN) + timedelta(minutes=draw(st.integers(0, 11 * 60)))
    steps = []
    if draw(st.booleans()):
        steps.append((1, at, None))
        at += timedelta(minutes=draw(MINUTES))
    due = CAL.due_time(at, draw(st.sampled_from(HOURS)))
    steps.append((2, at, due))
    at += timedelta(minutes=draw(st.integers(0, 120)))
    steps.append((4, at, due))
    for _ in range(draw(st.integers(0, 3))):
        paused = at + timedelta(minutes=draw(MINUTES))
        resumed = paused + timedelta(minutes=draw(MINUTES))
        steps.append((draw(st.sampled_from([5, 6])), paused, due))
        due = CAL.extend_for_pause(due, paused, resumed)
        steps.append((4, resumed, due))
        at = resumed
    end = draw(st.sampled_from([None, 9, 7, 8]))
    if end is not None:
        steps.append((end, at + timedelta(minutes=draw(MINUTES)), due))
    if draw(st.booleans()) and steps[-1][0] == 4:  # still waiting at the end of the history
        steps.append((draw(st.sampled_from([5, 6])), at + timedelta(minutes=draw(MINUTES)), due))
    return steps


@settings(max_examples=400, deadline=None)
@given(calendar_lifecycles())
def test_every_days_end_stock_matches_the_status_history_on_the_real_calendar(steps):
    first = local_day(steps[0][1]) - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(40)]
    for day, stock in end_of_day_stocks(events_of(steps), days):
        expected = state_at_end_of(day, steps)
        assert stock == ({expected: 1} if expected else {}), (day, steps)


def test_the_generator_reaches_the_cases_the_report_names():
    """Pauses that cross a day end and a month end, and ones across holidays, are generated."""
    seen = set()

    @settings(max_examples=300, deadline=None)
    @given(calendar_lifecycles())
    def collect(steps):
        for (s1, a, _), (s2, b, _) in pairwise(steps):
            if s1 in (5, 6) and s2 == 4:
                if local_day(a) != local_day(b):
                    seen.add("day")
                if local_day(a).month != local_day(b).month:
                    seen.add("month")
                if any(not CAL.is_working_day(local_day(a) + timedelta(days=i)) for i in range(1, 3)):
                    seen.add("holiday")

    collect()
    assert seen == {"day", "month", "holiday"}
