"""Property-based tests (hypothesis) for the deadline engine.

Besides algebraic properties (monotonic, additive, round trips), due times are checked
against a deliberately naive reference implementation written here: it walks day by day
through the office-hour periods using its own list of 2025-2026 non-working days (the
government's announcements), sharing no code with shared/calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shared.calendar import OfficeHours, Overrides, WorkingCalendar

ICT = timezone(timedelta(hours=7))
UTC = UTC
HCM = ZoneInfo("Asia/Ho_Chi_Minh")

CAL = WorkingCalendar(OfficeHours(), Overrides.load())
PERIODS = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))

SETTINGS = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])

# -- the reference model ----------------------------------------------------------------
_OFF = {
    # 2025: New Year; Tết Ất Tỵ 25/1-2/2; Hùng Kings; 30/4-4/5 with the 2/5 swap; National Day
    "2025-01-01",
    "2025-01-27",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-04-07",
    "2025-04-30",
    "2025-05-01",
    "2025-05-02",
    "2025-09-01",
    "2025-09-02",
    # 2026: New Year 1-4/1 with the 2/1 swap; Tết Bính Ngọ 14-22/2; Hùng Kings observed;
    # 30/4, 1/5; National Day 29/8-2/9 with the 31/8 swap; Vietnam Cultural Day 24/11
    "2026-01-01",
    "2026-01-02",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",
    "2026-04-27",
    "2026-04-30",
    "2026-05-01",
    "2026-08-31",
    "2026-09-01",
    "2026-09-02",
    "2026-11-24",
}
REF_OFF = {date.fromisoformat(s) for s in _OFF}
REF_MAKEUP = {date(2025, 4, 26), date(2026, 1, 10), date(2026, 8, 22)}
REF_FIRST, REF_LAST = date(2025, 1, 1), date(2026, 12, 31)


def ref_working(d: date) -> bool:
    assert REF_FIRST <= d <= REF_LAST, f"reference model only knows 2025-2026, asked {d}"
    return d in REF_MAKEUP or (d.weekday() < 5 and d not in REF_OFF)


def ref_local(dt: datetime) -> datetime:
    return dt.astimezone(HCM).replace(tzinfo=None)


def ref_next_working(d: date) -> date:
    d += timedelta(days=1)
    while not ref_working(d):
        d += timedelta(days=1)
    return d


def ref_clock_start(t: datetime) -> datetime:
    if ref_working(t.date()):
        for s, e in PERIODS:
            if t.time() < s:
                return datetime.combine(t.date(), s)
            if t.time() < e:
                return t
    return datetime.combine(ref_next_working(t.date()), PERIODS[0][0])


def ref_due(accepted: datetime, hours: int, time_type: str) -> datetime:
    """Naive local due time, by walking the calendar."""
    t = ref_local(accepted)
    close = PERIODS[-1][1]
    if time_type == "calendar" and hours:
        d = ref_clock_start(t).date() + timedelta(days=hours // 24)
        while not ref_working(d):
            d += timedelta(days=1)
        return datetime.combine(d, close)
    if hours == 0:
        cs = ref_clock_start(t)
        d = cs.date() if cs.time() <= time(15, 0) else ref_next_working(cs.date())
        return datetime.combine(d, close)
    remaining = timedelta(hours=hours)
    cur = t
    day = t.date()
    while True:
        if ref_working(day):
            for s, e in PERIODS:
                lo = max(cur, datetime.combine(day, s))
                hi = datetime.combine(day, e)
                if lo >= hi:
                    continue
                if remaining <= hi - lo:
                    return lo + remaining
                remaining -= hi - lo
        day += timedelta(days=1)
        cur = datetime.combine(day, time(0))


# -- strategies ---------------------------------------------------------------------------
ZONES = st.sampled_from([UTC, ICT, HCM, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])


def instants(lo=datetime(2024, 1, 1), hi=datetime(2027, 12, 31)):
    return st.datetimes(min_value=lo, max_value=hi, timezones=ZONES)


# Instants inside 2025 .. Oct 2026 so that the reference model covers the due times.
ref_instants = instants(datetime(2025, 1, 2), datetime(2026, 10, 31))
working_hours = st.integers(min_value=1, max_value=120)
any_hours = st.integers(min_value=0, max_value=120)
calendar_hours = st.integers(min_value=0, max_value=45).map(lambda n: n * 24)
procedures = st.one_of(
    st.tuples(any_hours, st.just("working")),
    st.tuples(calendar_hours, st.just("calendar")),
)


@st.composite
def office_hour_starts(draw):
    """An instant inside office hours on a working day (per the reference model)."""
    d = draw(st.dates(min_value=date(2025, 1, 2), max_value=date(2026, 10, 31)))
    assume(ref_working(d))
    s, e = draw(st.sampled_from(PERIODS))
    span = (datetime.combine(d, e) - datetime.combine(d, s)) // timedelta(minutes=1)
    minute = draw(st.integers(min_value=0, max_value=span - 1))
    return (datetime.combine(d, s) + timedelta(minutes=minute)).replace(tzinfo=ICT)


def in_office_hours(local: datetime) -> bool:
    """Inside a period, the period's end included (a due time can be 11:30 or 17:00)."""
    return any(s < local.time() <= e for s, e in PERIODS)


# -- properties ---------------------------------------------------------------------------
@SETTINGS
@given(t=ref_instants, proc=procedures)
def test_due_time_matches_reference_model(t, proc):
    hours, time_type = proc
    due = CAL.due_time(t, hours, time_type)
    assert due.tzinfo is UTC
    assert ref_local(due) == ref_due(t, hours, time_type)


@SETTINGS
@given(t=ref_instants, proc=procedures)
def test_due_time_is_inside_office_hours_on_a_working_day(t, proc):
    hours, time_type = proc
    local = ref_local(CAL.due_time(t, hours, time_type))
    assert ref_working(local.date()), f"due on non-working day {local:%a %Y-%m-%d}"
    assert in_office_hours(local), f"due at {local:%H:%M:%S.%f}, outside office hours"
    assert local > ref_local(t) or (hours == 0 and local >= ref_local(t))


@SETTINGS
@given(t=instants(), proc=procedures)
def test_due_time_inside_office_hours_any_year(t, proc):
    # Outside the reference years, check against the engine's own notion of working day.
    hours, time_type = proc
    due = CAL.due_time(t, hours, time_type)
    local = ref_local(due)
    assert CAL.is_working_day(local.date())
    assert in_office_hours(local)


@SETTINGS
@given(t=instants(), h=working_hours)
def test_elapsed_working_time_equals_procedure_time(t, h):
    due = CAL.due_time(t, h)
    assert CAL.working_hours_between(CAL.clock_start(t), due) == h
    assert CAL.working_hours_between(t, due) == h  # waiting for the opening costs nothing


@SETTINGS
@given(t=instants(), h=st.integers(min_value=0, max_value=120), k=st.integers(min_value=0, max_value=24 * 60))
def test_due_time_monotonic_in_acceptance(t, h, k):
    later = t + timedelta(minutes=k)
    assert CAL.due_time(t, h) <= CAL.due_time(later, h)


@SETTINGS
@given(t=instants(), a=st.integers(min_value=0, max_value=6000), b=st.integers(min_value=0, max_value=6000))
def test_add_working_time_monotonic_in_hours(t, a, b):
    a, b = sorted((a, b))
    ta = CAL.add_working_time(t, a / 60)
    tb = CAL.add_working_time(t, b / 60)
    assert ta <= tb
    if a < b:
        assert ta < tb


@SETTINGS
@given(t=office_hour_starts(), a=st.integers(min_value=0, max_value=6000), b=st.integers(min_value=0, max_value=6000))
def test_add_working_time_is_additive(t, a, b):
    # a, b in minutes of working time
    step = CAL.add_working_time(CAL.add_working_time(t, a / 60), b / 60)
    assert step == CAL.add_working_time(t, (a + b) / 60)


@SETTINGS
@given(t=office_hour_starts(), a=st.integers(min_value=1, max_value=80), b=st.integers(min_value=1, max_value=80))
def test_due_of_due_is_due_of_sum(t, a, b):
    # due(due(t, a), b) == due(t, a + b) for office-hour starts (whole working hours)
    assert CAL.due_time(CAL.due_time(t, a), b) == CAL.due_time(t, a + b)


@SETTINGS
@given(t=ref_instants, h=working_hours)
def test_add_working_time_round_trip(t, h):
    start = CAL.clock_start(t)
    end = CAL.add_working_time(start, h)
    assert end == CAL.due_time(t, h)
    assert CAL.working_hours_between(start, end) == h


@SETTINGS
@given(t=instants(), proc=procedures, offset_min=st.integers(min_value=-30 * 24 * 60, max_value=30 * 24 * 60))
def test_compliance_is_consistent_with_the_due_day(t, proc, offset_min):
    hours, time_type = proc
    due = CAL.due_time(t, hours, time_type)
    resolved = due + timedelta(minutes=offset_min)
    c = CAL.compliance(resolved, due)
    due_day, resolved_day = ref_local(due).date(), ref_local(resolved).date()
    if resolved > due:
        assert c == "late"
    elif resolved_day < due_day:
        assert c == "early"
    else:
        assert resolved_day == due_day and c == "on_time"
    # the three outcomes come in order as the resolution time moves later
    order = {"early": 0, "on_time": 1, "late": 2}
    assert order[CAL.compliance(resolved - timedelta(minutes=1), due)] <= order[c]
    assert CAL.compliance(due, due) == "on_time"
    assert CAL.compliance(due + timedelta(microseconds=1), due) == "late"


@SETTINGS
@given(t=instants(), h=any_hours, now_offset=st.integers(min_value=-20 * 24 * 60, max_value=3 * 24 * 60))
def test_deadline_state_consistent(t, h, now_offset):
    due = CAL.due_time(t, h)
    now = due + timedelta(minutes=now_offset)
    state = CAL.deadline_state(now, due)
    if now > due:
        assert state == "overdue"
    elif CAL.working_hours_between(now, due) < 8:
        assert state == "due_soon"
    else:
        assert state == "within"


@SETTINGS
@given(t=instants(), h=working_hours, p=instants(), wait_min=st.integers(min_value=0, max_value=10 * 24 * 60))
def test_pause_moves_due_by_the_working_time_waited(t, h, p, wait_min):
    due = CAL.due_time(t, h)
    resumed = p + timedelta(minutes=wait_min)
    waited = CAL.working_hours_between(p, resumed)
    new_due = CAL.extend_for_pause(due, p, resumed)
    assert new_due >= due
    assert CAL.working_hours_between(due, new_due) == waited


@SETTINGS
@given(
    t=instants(),
    h=working_hours,
    p1=instants(),
    w1=st.integers(min_value=0, max_value=5 * 24 * 60),
    p2=instants(),
    w2=st.integers(min_value=0, max_value=5 * 24 * 60),
)
def test_pauses_add_up(t, h, p1, w1, p2, w2):
    due = CAL.due_time(t, h)
    r1, r2 = p1 + timedelta(minutes=w1), p2 + timedelta(minutes=w2)
    both = CAL.extend_for_pause(CAL.extend_for_pause(due, p1, r1), p2, r2)
    total = CAL.working_hours_between(p1, r1) + CAL.working_hours_between(p2, r2)
    assert both == CAL.add_working_time(due, total)


@SETTINGS
@given(t=instants())
def test_clock_start_is_an_opening_or_unchanged(t):
    cs = CAL.clock_start(t)
    assert cs >= t
    assert CAL.working_hours_between(t, cs) == 0
    local = ref_local(cs)
    assert CAL.is_working_day(local.date())
    assert any(s <= local.time() < e for s, e in PERIODS)
    if cs != t:
        assert local.time() in (PERIODS[0][0], PERIODS[1][0])


@SETTINGS
@given(d=st.dates(min_value=REF_FIRST, max_value=REF_LAST))
def test_is_working_day_matches_reference(d):
    assert CAL.is_working_day(d) == ref_working(d)
