"""The working calendar and the deadline arithmetic.

How it works (and why it is fast). Every local instant ``t`` has a *working position*
``W(t)``: the number of working microseconds between a fixed anchor and ``t``, counting
only office hours of working days. ``W`` never decreases, grows at speed 1 inside office
hours and stands still outside them. Then

* ``add_working_time(t, h)`` is the earliest instant whose position is ``W(t) + h``
  (earliest, so a due time that uses up the morning is 11:30, not 13:30, and one that
  uses up the day is 17:00, not 07:00 the next working day);
* ``working_hours_between(a, b)`` is ``W(b) - W(a)``;
* a pause moves the due time by ``W(resumed) - W(paused)``.

``W`` is computed from a per-day table (built once per year, lazily): whether each day is
a working day and how many working days precede it. A call is a few integer operations
and two ``datetime`` conversions; there is no loop over hours or days.

All arithmetic is in integer microseconds of Asia/Ho_Chi_Minh local time (UTC+7, no DST
since 1975), so results are exact and additive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate

from shared.local_time import VN

from .office_hours import OfficeHours
from .overrides import DayOverride, Overrides

__all__ = ["LOCAL_TZ_NAME", "MAX_YEAR", "MIN_YEAR", "DayInfo", "DueExplanation", "WorkingCalendar"]

LOCAL_TZ_NAME = "Asia/Ho_Chi_Minh"
LOCAL_TZ = VN
MIN_YEAR = 1970
MAX_YEAR = 2099  # the lunar tables used for Tết and Hùng Kings end here

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
_OFFSET_US = 7 * HOUR_US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_UTC = UTC

WORKING_DAY_HOURS = 8  # one working day of the catalogue; "due soon" is less than one left
TIME_TYPES = ("working", "calendar")
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _naive_error(what: str) -> ValueError:
    return ValueError(
        f"{what} must be a timezone-aware datetime (got a naive one); "
        "attach the zone, e.g. dt.replace(tzinfo=ZoneInfo('Asia/Ho_Chi_Minh')) or tzinfo=timezone.utc"
    )


def _local_us(dt: datetime, what: str = "datetime") -> int:
    """Microseconds of Asia/Ho_Chi_Minh wall-clock time since 1970-01-01 00:00 local."""
    try:
        if dt.tzinfo is None:
            raise _naive_error(what)
        return (dt - _EPOCH) // _ONE_US + _OFFSET_US
    except AttributeError:
        raise TypeError(f"{what} must be a datetime, got {type(dt).__name__}") from None
    except TypeError:
        if not isinstance(dt, datetime):
            raise TypeError(f"{what} must be a datetime, got {type(dt).__name__}") from None
        raise _naive_error(what) from None  # tzinfo whose utcoffset() is None


def _utc(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us - _OFFSET_US)


def _local_naive(us: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(microseconds=us)


def _hours_us(hours, what: str = "hours") -> int:
    if type(hours) is int:
        h = hours * HOUR_US
    else:
        try:
            h = round(hours * HOUR_US)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{what} must be a finite number of hours, got {hours!r}") from None
    if h < 0:
        raise ValueError(f"{what} must not be negative, got {hours!r}")
    return h


def _day_index(d: date) -> int:
    return d.toordinal() - _EPOCH_ORDINAL


def _date_of(day: int) -> date:
    return date.fromordinal(day + _EPOCH_ORDINAL)


@dataclass(frozen=True)
class DayInfo:
    date: date
    working: bool
    reason: str
    holiday_names: tuple[str, ...] = ()
    override: DayOverride | None = None


@dataclass(frozen=True)
class DueExplanation:
    accepted_local: datetime
    clock_start_local: datetime
    clock_start_reason: str | None
    due_local: datetime
    due_utc: datetime
    hours: float
    time_type: str
    rule: str
    counted: list[tuple[date, float]] = field(default_factory=list)
    skipped: list[DayInfo] = field(default_factory=list)
    version: str = ""


class _Table:
    """Per-day working flags and ranks over a contiguous range of whole years."""

    __slots__ = ("base", "n", "rank", "rank0", "work", "work_days", "y_hi", "y_lo")

    def __init__(self, y_lo, y_hi, base, work, rank, work_days, rank0):
        self.y_lo, self.y_hi, self.base = y_lo, y_hi, base
        self.n = len(work)
        self.work = work  # bytearray: 1 = working day, index = day - base
        self.rank = rank  # list, len n + 1: working days from the anchor up to (excluding) that day
        self.work_days = work_days  # day indices of the working days, in order
        self.rank0 = rank0  # rank of work_days[0]


class WorkingCalendar:
    """Vietnamese working calendar: office hours, public holidays and the yearly overrides.

    All datetimes in and out are timezone-aware; results are in UTC. Local reasoning uses
    Asia/Ho_Chi_Minh (UTC+7).
    """

    def __init__(
        self,
        office_hours: OfficeHours | None = None,
        overrides: Overrides | None = None,
        *,
        use_holidays_package: bool = True,
    ) -> None:
        self.office_hours = office_hours if office_hours is not None else OfficeHours()
        self.overrides = overrides if overrides is not None else Overrides.load()
        self._use_holidays = use_holidays_package
        self.holidays_version = self._holidays_version() if use_holidays_package else "none"
        self.data_version = self.overrides.version
        self.version = f"{self.data_version}+{self.office_hours.label}"

        oh = self.office_hours
        periods = oh.periods_us
        cum = 0
        p3 = []
        for s, e in periods:
            p3.append((s, e, cum))
            cum += e - s
        self._periods = tuple(p3)  # (start, end, working µs before start)
        # for _at: (working µs up to the end of the period, start - working µs before start)
        self._ends = tuple((c + e - s, s - c) for s, e, c in p3)
        self._D = cum  # working µs per working day
        self._open = periods[0][0]
        self._close = periods[-1][1]
        cutoff = oh.same_day_cutoff
        self._cutoff = ((cutoff.hour * 60 + cutoff.minute) * 60 + cutoff.second) * 1_000_000 + cutoff.microsecond
        self._weekdays = oh.weekdays

        self._lock = threading.Lock()
        self._year_flags: dict[int, bytes] = {}
        self._names: dict[int, dict[date, tuple[str, ...]]] = {}
        self._anchor_year: int | None = None
        self._t: _Table | None = None

    def __repr__(self) -> str:
        return f"<WorkingCalendar {self.version}>"

    # ------------------------------------------------------------------ day table
    @staticmethod
    def _holidays_version() -> str:
        import holidays

        return getattr(holidays, "__version__", "unknown")

    def _holiday_names(self, year: int) -> dict[date, tuple[str, ...]]:
        cached = self._names.get(year)
        if cached is None:
            names: dict[date, tuple[str, ...]] = {}
            if self._use_holidays:
                import holidays

                vi = holidays.country_holidays("VN", years=year, language="vi")
                try:
                    en = holidays.country_holidays("VN", years=year, language="en_US")
                except Exception:  # pragma: no cover - very old releases without translations
                    en = {}  # type: ignore[assignment]
                for d, name in vi.items():
                    english = en.get(d)
                    names[d] = (name,) if not english or english == name else (name, english)
            self._names[year] = cached = names
        return cached

    def _flags_for_year(self, year: int) -> bytes:
        flags = self._year_flags.get(year)
        if flags is None:
            hol = self._holiday_names(year)
            ov = self.overrides.days
            wd = self._weekdays
            d = date(year, 1, 1)
            n = (date(year + 1, 1, 1) - d).days
            buf = bytearray(n)
            one = timedelta(days=1)
            for i in range(n):
                o = ov.get(d)
                if o is not None:
                    buf[i] = 1 if o.working else 0
                else:
                    buf[i] = 1 if (d.weekday() in wd and d not in hol) else 0
                d += one
            flags = bytes(buf)
            self._year_flags[year] = flags
        return flags

    def _grow(self, y_lo: int, y_hi: int) -> _Table:
        """Make the table cover [y_lo, y_hi] (plus what it covered); returns the new table."""
        with self._lock:
            t = self._t
            if t is not None and t.y_lo <= y_lo and y_hi <= t.y_hi:
                return t
            if y_lo < MIN_YEAR or y_hi > MAX_YEAR:
                raise ValueError(
                    f"date outside the supported calendar years {MIN_YEAR}-{MAX_YEAR} "
                    f"(asked for {y_lo if y_lo < MIN_YEAR else y_hi})"
                )
            if t is not None:
                y_lo, y_hi = min(y_lo, t.y_lo), max(y_hi, t.y_hi)
            if self._anchor_year is None:
                self._anchor_year = y_lo
            work = bytearray()
            before_anchor = 0
            for y in range(y_lo, y_hi + 1):
                f = self._flags_for_year(y)
                if y < self._anchor_year:
                    before_anchor += sum(f)
                work += f
            rank = list(accumulate(work, initial=-before_anchor))
            base = _day_index(date(y_lo, 1, 1))
            work_days = [base + i for i, f in enumerate(work) if f]
            t = _Table(y_lo, y_hi, base, work, rank, work_days, -before_anchor)
            self._t = t
            return t

    def _table_for_day(self, day: int) -> _Table:
        t = self._t
        if t is not None and 0 <= day - t.base < t.n:
            return t
        try:
            y = _date_of(day).year
        except (ValueError, OverflowError):
            y = MIN_YEAR - 1 if day < 0 else MAX_YEAR + 1
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise ValueError(f"date outside the supported calendar years {MIN_YEAR}-{MAX_YEAR} (year {y})")
        return self._grow(max(MIN_YEAR, y - 1), min(MAX_YEAR, y + 1))

    def _first_working_day_from(self, day: int) -> int:
        """The first working day on or after ``day``."""
        t = self._table_for_day(day)
        j = t.rank[day - t.base] - t.rank0
        while j >= len(t.work_days):  # no working day left in the table: grow forward
            t = self._grow(t.y_lo, t.y_hi + 1)
            j = t.rank[day - t.base] - t.rank0
        return t.work_days[j]

    # ------------------------------------------------------------------ positions
    def _pos(self, us: int) -> int:
        """W(us): working position of the local instant ``us``."""
        day = us // DAY_US
        t = self._t
        if t is None or not 0 <= day - t.base < t.n:
            t = self._table_for_day(day)
        i = day - t.base
        r = t.rank[i] * self._D
        if not t.work[i]:
            return r
        tod = us - day * DAY_US
        for s, e, c in self._periods:
            if tod <= s:
                return r + c
            if tod < e:
                return r + c + tod - s
        return r + self._D

    def _at(self, w: int) -> int:
        """The earliest local instant whose working position is ``w``."""
        k, rem = divmod(w, self._D)
        if rem == 0:
            k -= 1
            tod = self._close
        else:
            for cum_end, shift in self._ends:
                if rem <= cum_end:
                    tod = rem + shift
                    break
        t = self._t
        assert t is not None, "an instant is read only after a position, which builds the table"
        j = k - t.rank0
        if 0 <= j < len(t.work_days):
            return t.work_days[j] * DAY_US + tod
        while not 0 <= j < len(t.work_days):
            if j < 0:
                t = self._grow(t.y_lo - 1, t.y_hi)
            else:
                extra = 1 + (j - len(t.work_days)) // 200
                t = self._grow(t.y_lo, t.y_hi + extra)
            j = k - t.rank0
        return t.work_days[j] * DAY_US + tod

    def _clock_start_us(self, us: int) -> tuple[int, str | None]:
        day = us // DAY_US
        t = self._table_for_day(day)
        tod = us - day * DAY_US
        if t.work[day - t.base]:
            prev_end = None
            for s, e, _ in self._periods:
                if tod < s:
                    why = "before opening" if prev_end is None else "during the break"
                    return day * DAY_US + s, why
                if tod < e:
                    return us, None
                prev_end = e
            why = "after closing"
        else:
            why = "on a non-working day"
        nxt = self._first_working_day_from(day + 1)
        return nxt * DAY_US + self._open, why

    def _same_day_due_us(self, us: int) -> int:
        cs, _ = self._clock_start_us(us)
        day = cs // DAY_US
        if cs - day * DAY_US > self._cutoff:
            day = self._first_working_day_from(day + 1)
        return day * DAY_US + self._close

    def _calendar_due_us(self, us: int, hours) -> int:
        n = self._calendar_days(hours)
        if n == 0:
            return self._same_day_due_us(us)
        cs, _ = self._clock_start_us(us)
        target = cs // DAY_US + n
        return self._first_working_day_from(target) * DAY_US + self._close

    @staticmethod
    def _calendar_days(hours) -> int:
        try:
            ok = hours >= 0 and hours % 24 == 0 and hours == int(hours)
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise ValueError(
                f"a calendar-day procedure needs hours as a non-negative multiple of 24 (24 h = 1 calendar day), got {hours!r}"
            )
        return int(hours) // 24

    def _due_us(self, us: int, hours, time_type: str) -> int:
        if time_type == "working":
            h = _hours_us(hours)
            if h:
                return self._at(self._pos(us) + h)
            return self._same_day_due_us(us)
        if time_type == "calendar":
            return self._calendar_due_us(us, hours)
        raise ValueError(f"time_type must be 'working' or 'calendar', got {time_type!r}")

    # ------------------------------------------------------------------ public API
    def is_working_day(self, d: date) -> bool:
        """Whether the local date ``d`` is a working day (an aware datetime is taken at its local date)."""
        if isinstance(d, datetime):
            day = _local_us(d, "d") // DAY_US
        elif isinstance(d, date):
            day = _day_index(d)
        else:
            raise TypeError(f"is_working_day needs a date, got {type(d).__name__}")
        t = self._table_for_day(day)
        return bool(t.work[day - t.base])

    def clock_start(self, accepted_at: datetime) -> datetime:
        """When the clock starts: ``accepted_at`` itself inside office hours, else the next opening."""
        return _utc(self._clock_start_us(_local_us(accepted_at, "accepted_at"))[0])

    def due_time(self, accepted_at: datetime, hours: int, time_type: str = "working") -> datetime:
        """The due time (hạn trả) of a procedure of ``hours`` accepted at ``accepted_at``.

        working: the instant the working hours are used up inside office hours; 0 h is a
        same-day procedure: due at today's close, or the next working day's close when the
        clock starts after the same-day cutoff (15:00).
        calendar: ``hours`` must be a multiple of 24; the due day is the clock-start day plus
        that many calendar days, due at its close, pushed to the next working day's close
        when it is not a working day.
        """
        try:
            if accepted_at.tzinfo is not None and time_type == "working" and type(hours) is int and hours > 0:
                # hot path (statistics rebuild): an aware datetime and whole working hours
                return _EPOCH + timedelta(
                    microseconds=self._at(self._pos((accepted_at - _EPOCH) // _ONE_US + _OFFSET_US) + hours * HOUR_US)
                    - _OFFSET_US
                )
        except (AttributeError, TypeError):
            pass  # not an aware datetime: the general path reports it properly
        return _utc(self._due_us(_local_us(accepted_at, "accepted_at"), hours, time_type))

    def add_working_time(self, start: datetime, hours: float) -> datetime:
        """``start`` plus ``hours`` of working time (earliest such instant; ``start`` itself for 0)."""
        us = _local_us(start, "start")
        h = _hours_us(hours)
        if not h:
            return _utc(us)
        return _utc(self._at(self._pos(us) + h))

    def due_soon_before(self, now: datetime) -> datetime:
        """A running dossier due before this instant is "due soon": less than one working day left."""
        return self.add_working_time(now, WORKING_DAY_HOURS)

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        """Working hours elapsed in [a, b]; 0 if b <= a."""
        ua = _local_us(a, "a")
        ub = _local_us(b, "b")
        if ub <= ua:
            return 0.0
        return (self._pos(ub) - self._pos(ua)) / HOUR_US

    def extend_for_pause(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """Clock policy ``pause``: the due time moves later by the working time spent waiting."""
        ud = _local_us(due_at, "due_at")
        up = _local_us(paused_at, "paused_at")
        ur = _local_us(resumed_at, "resumed_at")
        if ur < up:
            raise ValueError(f"resumed_at ({resumed_at.isoformat()}) is before paused_at ({paused_at.isoformat()})")
        waited = self._pos(ur) - self._pos(up)
        if not waited:
            return _utc(ud)
        return _utc(self._at(self._pos(ud) + waited))

    def restart(self, resumed_at: datetime, hours: int, time_type: str = "working") -> datetime:
        """Clock policy ``restart``: the full processing time starts again at ``resumed_at``."""
        return self.due_time(resumed_at, hours, time_type)

    def compliance(self, resolved_at: datetime, due_at: datetime) -> str:
        return compliance_of(resolved_at, due_at)

    def deadline_state(self, now: datetime, due_at: datetime) -> str:
        """'overdue' once the due time has passed, 'due_soon' with less than one working day
        (8 working hours) left, else 'within'."""
        un = _local_us(now, "now")
        ud = _local_us(due_at, "due_at")
        if un > ud:
            return "overdue"
        if self._pos(ud) - self._pos(un) < WORKING_DAY_HOURS * HOUR_US:
            return "due_soon"
        return "within"

    # ------------------------------------------------------------------ explanations
    def day_info(self, d: date) -> DayInfo:
        """Whether ``d`` is a working day, and why."""
        working = self.is_working_day(d)
        names = self._holiday_names(d.year).get(d, ())
        ov = self.overrides.days.get(d)
        weekday = _WEEKDAY_NAMES[d.weekday()]
        if ov is not None:
            if ov.working:
                reason = f"make-up working day (làm bù): {ov.name} [{ov.source}]"
            else:
                reason = f"day off by decision: {ov.name} [{ov.source}]"
            if ov.certainty != "high":
                reason += f" (certainty: {ov.certainty})"
        elif names:
            reason = "public holiday: " + " / ".join(names)
        elif d.weekday() not in self._weekdays:
            reason = f"weekend ({weekday})"
        else:
            reason = "working day"
        return DayInfo(date=d, working=working, reason=reason, holiday_names=names, override=ov)

    def days(self, start: date, end: date) -> list[DayInfo]:
        """DayInfo for every date in [start, end]."""
        out = []
        d = start
        while d <= end:
            out.append(self.day_info(d))
            d += timedelta(days=1)
        return out

    def explain_due(self, accepted_at: datetime, hours, time_type: str = "working") -> DueExplanation:
        """The due time with the reasoning behind it (for the CLI and for checking by hand)."""
        us = _local_us(accepted_at, "accepted_at")
        due = self._due_us(us, hours, time_type)
        cs, why = self._clock_start_us(us)
        cs_local = _local_naive(cs)
        oh = self.office_hours
        reason = None
        if why is not None:
            reason = f"received {why}; the clock starts at the next opening"
        h_num = float(hours)
        if time_type == "working" and _hours_us(hours) == 0:
            if cs - (cs // DAY_US) * DAY_US > self._cutoff:
                rule = (
                    f"same-day procedure whose clock starts after {oh.same_day_cutoff:%H:%M}: "
                    "due at the next working day's close"
                )
            else:
                rule = (
                    f"same-day procedure whose clock starts by {oh.same_day_cutoff:%H:%M}: "
                    "due at the close of the clock-start day"
                )
        elif time_type == "working":
            days = h_num / WORKING_DAY_HOURS
            rule = (
                f"{h_num:g} working hours ({days:g} working day{'s' if days != 1 else ''} of "
                f"{WORKING_DAY_HOURS} h) "
                f"counted inside office hours {', '.join(f'{a:%H:%M}-{b:%H:%M}' for a, b in oh.periods)}"
            )
        else:
            n = self._calendar_days(hours)
            target = _date_of(cs // DAY_US + n)
            if n == 0:
                rule = "0 calendar days: treated as a same-day procedure"
            elif self.is_working_day(target):
                rule = f"{n} calendar days from the clock-start day: {target:%a %d/%m/%Y}, due at its close"
            else:
                rule = (
                    f"{n} calendar days from the clock-start day land on {target:%a %d/%m/%Y}, "
                    "a non-working day: pushed to the next working day's close"
                )
        counted: list[tuple[date, float]] = []
        skipped: list[DayInfo] = []
        first = _local_naive(us).date()
        last = _local_naive(due).date()
        d = first
        while d <= last:
            info = self.day_info(d)
            if not info.working:
                skipped.append(info)
            elif time_type == "working" and _hours_us(hours) > 0:
                lo = max(us, _day_index(d) * DAY_US)
                hi = min(due, _day_index(d) * DAY_US + DAY_US - 1)
                if hi > lo:
                    worked = (self._pos(hi) - self._pos(lo)) / HOUR_US
                    if worked > 0:
                        counted.append((d, worked))
            d += timedelta(days=1)
        return DueExplanation(
            accepted_local=_local_naive(us),
            clock_start_local=cs_local,
            clock_start_reason=reason,
            due_local=_local_naive(due),
            due_utc=_utc(due),
            hours=h_num,
            time_type=time_type,
            rule=rule,
            counted=counted,
            skipped=skipped,
            version=self.version,
        )

    def preload(self, years: Iterable[int]) -> None:
        """Build the day table for these years now (otherwise built lazily on first use)."""
        ys = list(years)
        if ys:
            self._grow(min(ys), max(ys))


def compliance_of(done_at: datetime, due_at: datetime) -> str:
    """'early' (done on a local day before the due day), 'on_time' (on the due day, not after the
    due time) or 'late' (after the due time). Needs no calendar: only local days are compared."""
    ur = _local_us(done_at, "done_at")
    ud = _local_us(due_at, "due_at")
    if ur > ud:
        return "late"
    if ur // DAY_US < ud // DAY_US:
        return "early"
    return "on_time"


def to_local(dt: datetime) -> datetime:
    """An aware datetime as Asia/Ho_Chi_Minh local time (aware, fixed UTC+7)."""
    return _utc(_local_us(dt)).astimezone(LOCAL_TZ)
