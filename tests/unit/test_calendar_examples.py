"""Worked examples for the deadline engine (docs/domain.md, "Deadlines").

Every expected value below was worked out by hand from the rules, with the reasoning in
the comment next to it; none was copied from the implementation's output.

Default office hours: 07:00-11:30 (4.5 h) and 13:30-17:00 (3.5 h), Monday-Friday = 8 h.
Times are Asia/Ho_Chi_Minh local time (UTC+7) unless written with Z.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from shared.calendar import (
    DEFAULT_OVERRIDES_PATH,
    OfficeHours,
    Overrides,
    WorkingCalendar,
    default_calendar,
)
from shared.settings import CalendarSettings

ICT = timezone(timedelta(hours=7))
UTC = UTC


def L(s: str) -> datetime:
    """Local Asia/Ho_Chi_Minh time, e.g. L("2026-03-06 16:30")."""
    return datetime.fromisoformat(s).replace(tzinfo=ICT)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(OfficeHours(), Overrides.load(DEFAULT_OVERRIDES_PATH))


# ---------------------------------------------------------------------------------------
# due_time: (accepted local, hours, time type, expected due local)
DUE_EXAMPLES = [
    # Friday 16:30 is inside the afternoon period: the clock starts at once.
    # Fri 16:30-17:00 = 0.5 h; Mon 9/3 8 h (8.5); Tue 10/3 8 h (16.5);
    # Wed 11/3 morning 4.5 h (21) + 3 h from 13:30 -> 16:30.
    pytest.param("2026-03-06 16:30", 24, "working", "2026-03-11 16:30", id="friday-1630-3-working-days"),
    # Friday 17:30 is after closing: the clock starts Monday 07:00; 3 full days Mon, Tue, Wed
    # are used up at Wednesday's close.
    pytest.param("2026-03-06 17:30", 24, "working", "2026-03-11 17:00", id="friday-after-close-3-days"),
    # 11:45 is in the lunch break: the clock starts at 13:30. Tue 13:30-17:00 = 3.5 h;
    # Wed 07:00-11:30 = 4.5 h -> 8 h used up exactly at 11:30 (not 13:30).
    pytest.param("2026-03-10 11:45", 8, "working", "2026-03-11 11:30", id="lunch-1145-1-day"),
    # Lunch again, 4 h: Tue 13:30-17:00 = 3.5 h, then 0.5 h on Wednesday -> 07:30.
    pytest.param("2026-03-10 11:45", 4, "working", "2026-03-11 07:30", id="lunch-1145-4-hours"),
    # 06:30 is before opening: the clock starts at 07:00; 4 h -> 11:00 the same day.
    pytest.param("2026-03-10 06:30", 4, "working", "2026-03-10 11:00", id="before-opening-4-hours"),
    # Same-day procedure (0 h) received at 15:30, after the 15:00 cutoff: due at the next
    # working day's close.
    pytest.param("2026-03-10 15:30", 0, "working", "2026-03-11 17:00", id="same-day-1530"),
    # Same-day procedure received at 10:30: due at today's close.
    pytest.param("2026-03-10 10:30", 0, "working", "2026-03-10 17:00", id="same-day-1030"),
    # Decision recorded here: exactly 15:00 is not "after 15:00" -> today's close.
    pytest.param("2026-03-10 15:00", 0, "working", "2026-03-10 17:00", id="same-day-1500-exact"),
    # Same-day at 15:30 on a Friday: the next working day is Monday.
    pytest.param("2026-03-06 15:30", 0, "working", "2026-03-09 17:00", id="same-day-friday-1530"),
    # Same-day received during lunch: the clock starts at 13:30 (< 15:00) -> today's close.
    pytest.param("2026-03-10 12:00", 0, "working", "2026-03-10 17:00", id="same-day-lunch"),
    # Same-day received at 18:00: the clock starts Wednesday 07:00 -> Wednesday's close.
    pytest.param("2026-03-10 18:00", 0, "working", "2026-03-11 17:00", id="same-day-evening"),
    # Same-day received on a Saturday: the clock starts Monday 07:00 -> Monday's close.
    pytest.param("2026-03-07 10:00", 0, "working", "2026-03-09 17:00", id="same-day-saturday"),
    # Same-day at 15:30 on the Friday before Tết 2026: next working day is Mon 23/2
    # (14/2-22/2 off: weekend + Tết 16-20/2 + weekend).
    pytest.param("2026-02-13 15:30", 0, "working", "2026-02-23 17:00", id="same-day-before-tet-2026"),
    # Across Tết 2026 (16-20 February off): Fri 13/2 16:30-17:00 = 0.5 h; Sat 14 - Sun 22
    # skipped; Mon 23 8 h (8.5); Tue 24 8 h (16.5); Wed 25 4.5 h + 3 h -> 16:30.
    pytest.param("2026-02-13 16:30", 24, "working", "2026-02-25 16:30", id="tet-2026-3-days"),
    # Thu 12/2 10:00-11:30 1.5 h + 3.5 h = 5 h; Fri 13/2 8 h (13); Tết; Mon 23/2 3 h -> 10:00.
    pytest.param("2026-02-12 10:00", 16, "working", "2026-02-23 10:00", id="tet-2026-2-days"),
    # Tết 2025 (off 25/1-2/2, including Mon 27/1): Fri 24/1 14:00-17:00 = 3 h;
    # Mon 3/2 4.5 h (7.5) + 0.5 h from 13:30 -> 14:00.
    pytest.param("2025-01-24 14:00", 8, "working", "2025-02-03 14:00", id="tet-2025-1-day"),
    # Across 30/4-1/5 2026 (Thursday, Friday): Wed 29/4 2.5 h + 3.5 h = 6 h; Thu 30/4, Fri 1/5,
    # Sat, Sun skipped; Mon 4/5 8 h (14); Tue 5/5 2 h -> 09:00.
    pytest.param("2026-04-29 09:00", 16, "working", "2026-05-05 09:00", id="30-4-2026"),
    # Across 30/4-1/5 2025 with the swap (Fri 2/5 off): Tue 29/4 14:00-17:00 = 3 h;
    # Wed 30/4, Thu 1/5, Fri 2/5 (hoán đổi), Sat 3, Sun 4 off; Mon 5/5 4.5 + 0.5 -> 14:00.
    pytest.param("2025-04-29 14:00", 8, "working", "2025-05-05 14:00", id="30-4-2025-swap"),
    # Hùng Kings 2026 falls on Sunday 26/4: nghỉ bù Monday 27/4. Fri 24/4 16:00-17:00 = 1 h;
    # Tue 28/4 4.5 h (5.5) + 2.5 h from 13:30 -> 16:00.
    pytest.param("2026-04-24 16:00", 8, "working", "2026-04-28 16:00", id="hung-kings-2026-observed"),
    # Make-up Saturday 26/4/2025 (làm bù for Fri 2/5): Fri 25/4 14:00-17:00 = 3 h;
    # Sat 26/4 is a working day, 8 h (11); Sun skipped; Mon 28/4 4.5 h (15.5) + 0.5 h -> 14:00.
    pytest.param("2025-04-25 14:00", 16, "working", "2025-04-28 14:00", id="makeup-saturday-2025-04-26"),
    # Make-up Saturday 10/1/2026: Thu 8/1 2.5 h + 3.5 h = 6 h; Fri 9/1 8 h (14);
    # Sat 10/1 8 h (22); Sun skipped; Mon 12/1 2 h -> 09:00.
    pytest.param("2026-01-08 09:00", 24, "working", "2026-01-12 09:00", id="makeup-saturday-2026-01-10"),
    # A same-day procedure received on the make-up Saturday is due that Saturday at 17:00.
    pytest.param("2026-01-10 10:00", 0, "working", "2026-01-10 17:00", id="makeup-saturday-same-day"),
    # An ordinary Saturday is not a working day: clock starts Monday 19/1 07:00, 8 h -> 17:00.
    pytest.param("2026-01-17 10:00", 8, "working", "2026-01-19 17:00", id="ordinary-saturday"),
    # New Year 2026: Thu 1/1 holiday, Fri 2/1 swapped off (made up on Sat 10/1).
    # Wed 31/12 10:00-11:30 1.5 h + 3.5 h = 5 h; Thu 1 - Sun 4 off; Mon 5/1 3 h -> 10:00.
    pytest.param("2025-12-31 10:00", 8, "working", "2026-01-05 10:00", id="new-year-2026-swap"),
    # National Day 2026: 29/8-2/9 off (Mon 31/8 swapped for Sat 22/8). Fri 28/8 10:00 ->
    # 1.5 + 3.5 = 5 h; Thu 3/9 3 h -> 10:00.
    pytest.param("2026-08-28 10:00", 8, "working", "2026-09-03 10:00", id="national-day-2026"),
    # 15 calendar days ending on a Sunday: the clock starts on the make-up Saturday 22/8/2026
    # at 09:00 (a working day); 22/8 + 15 days = Sunday 6/9 -> pushed to Monday 7/9 at close.
    pytest.param("2026-08-22 09:00", 360, "calendar", "2026-09-07 17:00", id="calendar-15-days-ending-sunday"),
    # 15 calendar days from Friday 13/3 = Saturday 28/3 -> pushed to Monday 30/3, 17:00.
    pytest.param("2026-03-13 10:00", 360, "calendar", "2026-03-30 17:00", id="calendar-15-days-ending-saturday"),
    # 15 calendar days from Monday 2/3 = Tuesday 17/3, a working day: due at its close.
    pytest.param("2026-03-02 10:00", 360, "calendar", "2026-03-17 17:00", id="calendar-15-days-working-day"),
    # 15 calendar days from Friday 30/1 = Saturday 14/2, start of the Tết break (14-22/2):
    # pushed to Monday 23/2 at close.
    pytest.param("2026-01-30 10:00", 360, "calendar", "2026-02-23 17:00", id="calendar-15-days-into-tet"),
    # Received Friday 13/3 after closing: the clock starts Monday 16/3 -> + 15 = Tuesday 31/3.
    pytest.param("2026-03-13 17:30", 360, "calendar", "2026-03-31 17:00", id="calendar-after-close"),
    # 30 calendar days from Monday 30/3 = Wednesday 29/4 (the day before 30/4): working day.
    pytest.param("2026-03-30 08:00", 720, "calendar", "2026-04-29 17:00", id="calendar-30-days"),
]


@pytest.mark.parametrize("accepted, hours, time_type, expected", DUE_EXAMPLES)
def test_due_time_examples(cal, accepted, hours, time_type, expected):
    due = cal.due_time(L(accepted), hours, time_type)
    assert due == L(expected), f"due {due.astimezone(ICT):%a %Y-%m-%d %H:%M}, expected {expected}"
    assert due.tzinfo is UTC


def test_due_time_accepts_any_timezone(cal):
    # 09:30Z = 16:30 local Friday: same as the Friday 16:30 example.
    due = cal.due_time(datetime(2026, 3, 6, 9, 30, tzinfo=UTC), 24)
    assert due == datetime(2026, 3, 11, 9, 30, tzinfo=UTC)
    from zoneinfo import ZoneInfo

    due2 = cal.due_time(datetime(2026, 3, 6, 16, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")), 24)
    assert due2 == due


# ---------------------------------------------------------------------------------------
CLOCK_START_EXAMPLES = [
    ("2026-03-10 09:00", "2026-03-10 09:00"),  # inside the morning: unchanged
    ("2026-03-10 11:45", "2026-03-10 13:30"),  # lunch -> 13:30
    ("2026-03-10 11:30", "2026-03-10 13:30"),  # the morning period ends at 11:30 (exclusive)
    ("2026-03-10 06:59", "2026-03-10 07:00"),  # before opening
    ("2026-03-10 17:00", "2026-03-11 07:00"),  # closing time itself is outside
    ("2026-03-06 16:30", "2026-03-06 16:30"),  # Friday afternoon: inside
    ("2026-03-06 17:30", "2026-03-09 07:00"),  # Friday evening -> Monday
    ("2026-02-13 18:00", "2026-02-23 07:00"),  # Friday before Tết 2026 -> Monday after it
    ("2026-01-09 18:00", "2026-01-10 07:00"),  # Friday before the make-up Saturday 10/1/2026
    ("2025-04-29 17:05", "2025-05-05 07:00"),  # 30/4-4/5/2025 break
]


@pytest.mark.parametrize("accepted, expected", CLOCK_START_EXAMPLES)
def test_clock_start_examples(cal, accepted, expected):
    assert cal.clock_start(L(accepted)) == L(expected)


# ---------------------------------------------------------------------------------------
def test_add_working_time_boundaries(cal):
    # Using up the morning ends at 11:30, not 13:30; using up the day ends at 17:00, not
    # 07:00 the next working day (the earliest instant the hours are used up).
    assert cal.add_working_time(L("2026-03-10 07:00"), 4.5) == L("2026-03-10 11:30")
    assert cal.add_working_time(L("2026-03-10 07:00"), 8) == L("2026-03-10 17:00")
    # 0 h adds nothing, even outside office hours.
    assert cal.add_working_time(L("2026-03-07 10:00"), 0) == L("2026-03-07 10:00")
    # From Saturday: Monday 07:00 + 1.25 h = 08:15.
    assert cal.add_working_time(L("2026-03-07 10:00"), 1.25) == L("2026-03-09 08:15")


WORKING_HOURS_BETWEEN = [
    ("2026-02-13 16:30", "2026-02-25 16:30", 24.0),  # the Tết example, counted back
    ("2026-03-10 11:00", "2026-03-10 14:00", 1.0),  # 11:00-11:30 + 13:30-14:00
    ("2026-03-07 08:00", "2026-03-08 16:00", 0.0),  # a weekend
    ("2026-03-06 16:00", "2026-03-09 08:00", 2.0),  # Fri 16-17 + Mon 07-08
    ("2026-03-11 10:00", "2026-03-10 10:00", 0.0),  # b before a
    ("2026-01-09 12:00", "2026-01-12 07:00", 11.5),  # Fri 3.5 h + make-up Sat 10/1 8 h
]


@pytest.mark.parametrize("a, b, expected", WORKING_HOURS_BETWEEN)
def test_working_hours_between_examples(cal, a, b, expected):
    assert cal.working_hours_between(L(a), L(b)) == expected


# ---------------------------------------------------------------------------------------
# Clock policies. A 5-working-day procedure (40 h) accepted Monday 2/3/2026 09:00:
# Mon 2.5 + 3.5 = 6 h; Tue-Fri 4 x 8 = 32 h (38); Mon 9/3 2 h -> due Mon 9/3 09:00.
FIVE_DAY_ACCEPTED = "2026-03-02 09:00"
FIVE_DAY_DUE = "2026-03-09 09:00"


def test_five_day_procedure_due(cal):
    assert cal.due_time(L(FIVE_DAY_ACCEPTED), 40) == L(FIVE_DAY_DUE)


PAUSE_EXAMPLES = [
    # Supplement requested Wed 4/3 09:00, supplied Fri 6/3 09:00: waited Wed 6 h + Thu 8 h +
    # Fri 2 h = 16 h = 2 working days. Due moves from Mon 9/3 09:00 by 16 h: Mon 6 h,
    # Tue 8 h (14), Wed 11/3 2 h -> 09:00.
    pytest.param([("2026-03-04 09:00", "2026-03-06 09:00")], "2026-03-11 09:00", id="pause-2-working-days"),
    # Two pauses of 8 h each add up to the same 16 h:
    # Tue 14:00 -> Wed 14:00 = 3 + 4.5 + 0.5 = 8 h; Thu 10:00 -> Fri 10:00 = 8 h.
    pytest.param(
        [("2026-03-03 14:00", "2026-03-04 14:00"), ("2026-03-05 10:00", "2026-03-06 10:00")],
        "2026-03-11 09:00",
        id="two-pauses-add-up",
    ),
    # A pause over the weekend counts only working time: Fri 16:00-17:00 + Mon 07:00-08:00 = 2 h.
    pytest.param([("2026-03-06 16:00", "2026-03-09 08:00")], "2026-03-09 11:00", id="pause-over-weekend"),
    # A pause outside office hours (Saturday) moves nothing.
    pytest.param([("2026-03-07 09:00", "2026-03-07 15:00")], FIVE_DAY_DUE, id="pause-on-saturday"),
]


@pytest.mark.parametrize("pauses, expected", PAUSE_EXAMPLES)
def test_pause_examples(cal, pauses, expected):
    due = cal.due_time(L(FIVE_DAY_ACCEPTED), 40)
    for paused, resumed in pauses:
        due = cal.extend_for_pause(due, L(paused), L(resumed))
    assert due == L(expected)


def test_pause_waiting_time_is_two_working_days(cal):
    assert cal.working_hours_between(L("2026-03-04 09:00"), L("2026-03-06 09:00")) == 16.0


def test_pause_of_same_day_procedure(cal):
    # Same-day due Tue 17:00; paused Tue 16:00, resumed Wed 08:00 = 1 h + 1 h -> Wed 09:00.
    due = cal.due_time(L("2026-03-10 10:00"), 0)
    assert due == L("2026-03-10 17:00")
    assert cal.extend_for_pause(due, L("2026-03-10 16:00"), L("2026-03-11 08:00")) == L("2026-03-11 09:00")


def test_pause_resumed_before_paused_is_an_error(cal):
    with pytest.raises(ValueError, match="before paused_at"):
        cal.extend_for_pause(L(FIVE_DAY_DUE), L("2026-03-05 09:00"), L("2026-03-04 09:00"))


RESTART_EXAMPLES = [
    # The 5-day procedure's supplement is accepted Thu 5/3 15:00: the full 40 h start again.
    # Thu 15:00-17:00 2 h; Fri 8 (10); Mon 8 (18); Tue 8 (26); Wed 8 (34);
    # Thu 12/3 4.5 h (38.5) + 1.5 h from 13:30 -> 15:00.
    pytest.param("2026-03-05 15:00", 40, "working", "2026-03-12 15:00", id="restart-thursday-1500"),
    # Supplement accepted on Saturday 7/3: clock restarts Monday 07:00; 5 full days -> Fri 17:00.
    pytest.param("2026-03-07 10:00", 40, "working", "2026-03-13 17:00", id="restart-on-saturday"),
    # Calendar-day procedure restarted Wed 11/3 10:00 + 10 days = Sat 21/3 -> Mon 23/3 17:00.
    pytest.param("2026-03-11 10:00", 240, "calendar", "2026-03-23 17:00", id="restart-calendar"),
]


@pytest.mark.parametrize("resumed, hours, time_type, expected", RESTART_EXAMPLES)
def test_restart_examples(cal, resumed, hours, time_type, expected):
    assert cal.restart(L(resumed), hours, time_type) == L(expected)


# ---------------------------------------------------------------------------------------
# Compliance against a due time of Wed 11/3/2026 16:30 (the Friday-16:30 example).
DUE = "2026-03-11 16:30"
COMPLIANCE_EXAMPLES = [
    pytest.param(L("2026-03-10 16:59"), "early", id="day-before"),
    pytest.param(L("2026-03-10 23:00"), "early", id="day-before-evening"),
    # 06:30 local on the due day is 23:30 UTC the day before: compared on the LOCAL date,
    # so on time, not early.
    pytest.param(datetime(2026, 3, 10, 23, 30, tzinfo=UTC), "on_time", id="due-day-early-morning-utc-trap"),
    pytest.param(L("2026-03-11 08:00"), "on_time", id="due-day-morning"),
    pytest.param(L("2026-03-11 16:30"), "on_time", id="exactly-due"),
    pytest.param(L("2026-03-11 16:30") + timedelta(seconds=1), "late", id="one-second-late"),
    pytest.param(L("2026-03-11 16:45"), "late", id="due-day-after-due-time"),
    pytest.param(L("2026-03-12 09:00"), "late", id="day-after"),
    pytest.param(L("2026-03-01 09:00"), "early", id="long-before"),
]


@pytest.mark.parametrize("resolved, expected", COMPLIANCE_EXAMPLES)
def test_compliance_examples(cal, resolved, expected):
    assert cal.compliance(resolved, L(DUE)) == expected


DEADLINE_STATE_EXAMPLES = [
    # Mon 9/3 10:00 -> Wed 11/3 16:30: Mon 1.5 + 3.5 = 5; Tue 8; Wed 4.5 + 3 = 7.5 -> 20.5 h left.
    pytest.param("2026-03-09 10:00", DUE, "within", id="20.5h-left"),
    # Tue 16:30: Tue 0.5 + Wed 7.5 = exactly 8 h left: not "less than one working day".
    pytest.param("2026-03-10 16:30", DUE, "within", id="exactly-8h-left"),
    pytest.param("2026-03-10 16:31", DUE, "due_soon", id="just-under-8h-left"),
    # Tuesday evening: 7.5 h left.
    pytest.param("2026-03-10 18:00", DUE, "due_soon", id="evening-before"),
    pytest.param("2026-03-11 16:30", DUE, "due_soon", id="at-due-time"),
    pytest.param("2026-03-11 16:31", DUE, "overdue", id="after-due-time"),
    # Friday 18:00 with due Monday 10:00: 64 calendar hours away but only 3 working hours.
    pytest.param("2026-03-06 18:00", "2026-03-09 10:00", "due_soon", id="friday-evening-monday-due"),
    # Before Tết: Fri 13/2 10:00 -> Mon 23/2 10:00 is 10 days away but 5 + 3 = 8 working h.
    pytest.param("2026-02-13 10:00", "2026-02-23 10:00", "within", id="before-tet-8h"),
    pytest.param("2026-02-13 10:01", "2026-02-23 10:00", "due_soon", id="before-tet-under-8h"),
]


@pytest.mark.parametrize("now, due, expected", DEADLINE_STATE_EXAMPLES)
def test_deadline_state_examples(cal, now, due, expected):
    assert cal.deadline_state(L(now), L(due)) == expected


# ---------------------------------------------------------------------------------------
# The working days of 2025 and 2026, written out from the government's announcements
# (see shared/data/calendar/vn-overrides.toml for sources). This pins the holidays package
# and the override file together: a different `holidays` release or an edited override
# file that changes a shipped year fails here.
NON_WORKING_WEEKDAYS = {
    # 2025
    "2025-01-01",  # Tết Dương lịch (Wed)
    "2025-01-27",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",  # Tết Ất Tỵ 25/1-2/2
    "2025-04-07",  # Giỗ Tổ Hùng Vương (Mon)
    "2025-04-30",
    "2025-05-01",
    "2025-05-02",  # 30/4, 1/5, Fri 2/5 swapped for Sat 26/4
    "2025-09-01",
    "2025-09-02",  # Quốc khánh (30/8-2/9)
    # 2026
    "2026-01-01",
    "2026-01-02",  # Tết Dương lịch, Fri 2/1 swapped for Sat 10/1
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",  # Tết Bính Ngọ 14/2-22/2
    "2026-04-27",  # Giỗ Tổ (Sun 26/4) nghỉ bù
    "2026-04-30",
    "2026-05-01",  # Thu, Fri
    "2026-08-31",
    "2026-09-01",
    "2026-09-02",  # Quốc khánh 29/8-2/9, Mon 31/8 swapped for Sat 22/8
    "2026-11-24",  # Ngày Văn hóa Việt Nam (uncertain, see the override file)
}
WORKING_WEEKEND_DAYS = {"2025-04-26", "2026-01-10", "2026-08-22"}


@pytest.mark.parametrize("year", [2025, 2026])
def test_working_days_of_shipped_years(cal, year):
    off = {date.fromisoformat(s) for s in NON_WORKING_WEEKDAYS}
    makeup = {date.fromisoformat(s) for s in WORKING_WEEKEND_DAYS}
    d = date(year, 1, 1)
    mismatches = []
    while d.year == year:
        expected = (d.weekday() < 5 and d not in off) or d in makeup
        if cal.is_working_day(d) != expected:
            mismatches.append(f"{d:%a %Y-%m-%d}: expected {'working' if expected else 'non-working'}")
        d += timedelta(days=1)
    assert not mismatches, "\n".join(mismatches)


def test_2025_working_day_count(cal):
    # 365 days - 104 weekend days - 12 weekdays off + 1 make-up Saturday = 250.
    n = sum(cal.is_working_day(date(2025, 1, 1) + timedelta(days=i)) for i in range(365))
    assert n == 250


def test_is_working_day_with_aware_datetime(cal):
    # 2026-02-15 18:00Z is Mon 16/2 01:00 local: Tết, not a working day; Sunday in UTC.
    assert cal.is_working_day(datetime(2026, 2, 15, 18, 0, tzinfo=UTC)) is False
    # 2026-01-09 20:00Z is Sat 10/1 03:00 local: the make-up Saturday.
    assert cal.is_working_day(datetime(2026, 1, 9, 20, 0, tzinfo=UTC)) is True


def test_day_info_reasons(cal):
    assert "Tết" in cal.day_info(date(2026, 2, 17)).reason
    info = cal.day_info(date(2026, 1, 10))
    assert info.working and "làm bù" in info.reason and "12729/VPCP-KGVX" in info.reason
    assert cal.day_info(date(2026, 3, 7)).reason.startswith("weekend")
    assert cal.day_info(date(2026, 3, 9)).reason == "working day"


# ---------------------------------------------------------------------------------------
# Input validation
NAIVE = datetime(2026, 3, 10, 9, 0)
AWARE = L("2026-03-10 09:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.clock_start(NAIVE),
        lambda c: c.due_time(NAIVE, 8),
        lambda c: c.due_time(NAIVE, 0),
        lambda c: c.due_time(NAIVE, 24, "calendar"),
        lambda c: c.add_working_time(NAIVE, 1),
        lambda c: c.working_hours_between(NAIVE, AWARE),
        lambda c: c.working_hours_between(AWARE, NAIVE),
        lambda c: c.extend_for_pause(AWARE, NAIVE, AWARE),
        lambda c: c.restart(NAIVE, 8),
        lambda c: c.compliance(NAIVE, AWARE),
        lambda c: c.deadline_state(AWARE, NAIVE),
        lambda c: c.is_working_day(NAIVE),
    ],
)
def test_naive_datetimes_are_refused(cal, call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(cal)


@pytest.mark.parametrize(
    "hours, time_type, message",
    [
        (-8, "working", "negative"),
        (25, "calendar", "multiple of 24"),
        (-24, "calendar", "multiple of 24"),
        (24.5, "calendar", "multiple of 24"),
        (8, "business", "time_type"),
        (float("nan"), "working", "finite"),
    ],
)
def test_bad_procedure_times_are_refused(cal, hours, time_type, message):
    with pytest.raises(ValueError, match=message):
        cal.due_time(AWARE, hours, time_type)


def test_out_of_range_years_are_refused(cal):
    with pytest.raises(ValueError, match="supported calendar years"):
        cal.due_time(L("2150-01-05 09:00"), 8)
    with pytest.raises(ValueError, match="supported calendar years"):
        cal.due_time(L("2099-12-30 09:00"), 10_000)


# ---------------------------------------------------------------------------------------
# Office hours and the calendar version
def test_default_version(cal):
    assert cal.version == "vn-2026.1+oh-0700-1130-1330-1700"


def test_office_hours_parse_and_label():
    oh = OfficeHours.parse("07:30-11:30,13:00-17:00")
    assert oh.periods == ((time(7, 30), time(11, 30)), (time(13, 0), time(17, 0)))
    assert oh.label == "oh-0730-1130-1300-1700"
    assert oh.hours_per_day == 8
    assert OfficeHours().label == "oh-0700-1130-1330-1700"


@pytest.mark.parametrize("spec", ["", "7-11", "11:30-07:00", "07:00-11:30,11:00-17:00", "07:00-25:00"])
def test_office_hours_parse_errors(spec):
    with pytest.raises(ValueError):
        OfficeHours.parse(spec)


def test_configured_office_hours_change_due_times():
    cal = WorkingCalendar(OfficeHours.parse("08:00-12:00,13:00-17:00"), Overrides.load())
    # Lunch 12:00-13:00 now: 12:15 -> clock 13:00; Tue 13:00-17:00 4 h, Wed 08:00-12:00 4 h -> 12:00.
    assert cal.due_time(L("2026-03-10 12:15"), 8) == L("2026-03-11 12:00")
    assert cal.clock_start(L("2026-03-10 07:30")) == L("2026-03-10 08:00")
    assert cal.version == "vn-2026.1+oh-0800-1200-1300-1700"


def test_default_calendar_takes_office_hours_from_the_setting(monkeypatch):
    monkeypatch.setenv("OFFICE_HOURS", "07:30-11:30,13:00-17:00")
    cal = default_calendar(CalendarSettings().office_hours)
    assert cal.version == "vn-2026.1+oh-0730-1130-1300-1700"
    assert cal.clock_start(L("2026-03-10 12:00")) == L("2026-03-10 13:00")
    assert default_calendar("07:30-11:30,13:00-17:00") is cal  # one per spec
    assert default_calendar().version == "vn-2026.1+oh-0700-1130-1330-1700"


# ---------------------------------------------------------------------------------------
# The override file
# Every version of shared/data/calendar/vn-overrides.toml that was ever shipped, with the
# SHA-256 of its bytes. Dossiers record the calendar version; if the file changes, its
# `version` must change too, and the new version's digest is added here.
KNOWN_OVERRIDE_VERSIONS = {
    "vn-2026.1": "79ce122380b32306f309322dbb2c8fd88c494cd9e960bead95395088bb8887d9",
}


def test_override_file_changes_bump_the_version():
    digest = hashlib.sha256(DEFAULT_OVERRIDES_PATH.read_bytes()).hexdigest()
    version = Overrides.load().version
    assert version in KNOWN_OVERRIDE_VERSIONS, (
        f"new override version {version!r}: add it to KNOWN_OVERRIDE_VERSIONS with digest {digest}"
    )
    assert KNOWN_OVERRIDE_VERSIONS[version] == digest, (
        f"{DEFAULT_OVERRIDES_PATH.name} changed but its version {version!r} was not bumped "
        f"(dossiers record this version). Bump `version` and add its digest {digest}."
    )


def test_override_entries_are_documented():
    ov = Overrides.load()
    assert ov.version == "vn-2026.1"
    assert {d.year for d in ov.days} >= {2025, 2026}
    for d, entry in ov.days.items():
        assert entry.source and entry.name and entry.certainty in ("high", "medium", "low")
        if entry.working:
            assert d.weekday() >= 5, f"{d}: make-up working days are weekend days"
        if entry.certainty != "high":
            assert entry.note, f"{d}: an uncertain entry must say why in its note"


def _raw(**day):
    entry = {"date": date(2026, 1, 10), "kind": "working_day", "name": "x", "source": "y", "certainty": "high"}
    entry.update(day)
    return {"schema": 1, "version": "vn-test.1", "years": {"2026": {"days": [entry]}}}


@pytest.mark.parametrize(
    "raw, message",
    [
        (_raw(kind="holiday"), "kind"),
        (_raw(source=""), "source"),
        (_raw(certainty="sure"), "certainty"),
        (_raw(date="2026-01-10"), "TOML local date"),
        (_raw(date=date(2025, 1, 10)), "filed under year"),
        (_raw(colour="red"), "unknown keys"),
        ({"schema": 1, "years": {}}, "version"),
        ({"schema": 2, "version": "x"}, "schema"),
        ({"schema": 1, "version": "a+b"}, "must not contain"),
    ],
)
def test_override_file_validation(raw, message):
    with pytest.raises(ValueError, match=message):
        Overrides.from_dict(raw, path="test.toml")


def test_override_duplicate_dates_are_refused():
    raw = _raw()
    raw["years"]["2026"]["days"].append(dict(raw["years"]["2026"]["days"][0]))
    with pytest.raises(ValueError, match="listed twice"):
        Overrides.from_dict(raw)


def test_override_file_drives_the_calendar(tmp_path):
    # A make-up Saturday and a day off, from a file: the engine follows the data.
    f = tmp_path / "ov.toml"
    f.write_text(
        'schema = 1\nversion = "vn-test.7"\n'
        "[[years.2027.days]]\n"
        'date = 2027-03-06\nkind = "working_day"\nname = "test make-up Saturday"\nsource = "test"\ncertainty = "high"\n'
        "[[years.2027.days]]\n"
        'date = 2027-03-08\nkind = "day_off"\nname = "test day off"\nsource = "test"\ncertainty = "high"\n',
        encoding="utf-8",
    )
    cal = WorkingCalendar(overrides=Overrides.load(f))
    assert cal.version == "vn-test.7+oh-0700-1130-1330-1700"
    assert cal.is_working_day(date(2027, 3, 6)) and not cal.is_working_day(date(2027, 3, 8))
    # Fri 5/3 16:00 + 8 h: Fri 1 h; Sat 6/3 (make-up) 7 h -> Sat 4.5 + 2.5 -> 16:00.
    assert cal.due_time(L("2027-03-05 16:00"), 8) == L("2027-03-06 16:00")
    # Sat 6/3 16:00 + 8 h: Sat 1 h; Sun off; Mon 8/3 off; Tue 9/3 7 h -> 16:00.
    assert cal.due_time(L("2027-03-06 16:00"), 8) == L("2027-03-09 16:00")


def test_missing_override_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        Overrides.load(tmp_path / "nope.toml")
