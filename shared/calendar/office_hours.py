"""Office hours: the daily opening periods, the working weekdays and the same-day cutoff."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

__all__ = ["DEFAULT_PERIODS", "OfficeHours"]

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(7, 0), time(11, 30)),
    (time(13, 30), time(17, 0)),
)
_DEFAULT_WEEKDAYS = frozenset(range(5))  # Monday..Friday
_DEFAULT_CUTOFF = time(15, 0)
_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def _hm(t: time) -> str:
    return f"{t.hour:02d}{t.minute:02d}"


def _us_of_day(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


@dataclass(frozen=True)
class OfficeHours:
    """When the one-stop desk is open, in Asia/Ho_Chi_Minh local time.

    ``periods``: the opening periods of a working day, in order, not overlapping
    (default 07:00-11:30 and 13:30-17:00). ``weekdays``: the regular working weekdays,
    0 = Monday (default Monday-Friday; make-up Saturdays come from the override file).
    ``same_day_cutoff``: a same-day procedure (0 working hours) whose clock starts after
    this time is due at the next working day's close (docs/domain.md, default 15:00).
    """

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    weekdays: frozenset[int] = _DEFAULT_WEEKDAYS
    same_day_cutoff: time = _DEFAULT_CUTOFF

    def __post_init__(self) -> None:
        periods = tuple((a, b) for a, b in self.periods)
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        if not periods:
            raise ValueError("office hours need at least one opening period")
        prev_end: time | None = None
        for start, end in periods:
            if not (isinstance(start, time) and isinstance(end, time)):
                raise ValueError(f"office-hour period bounds must be datetime.time, got {start!r}, {end!r}")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office-hour periods are local times: give them without tzinfo")
            if not start < end:
                raise ValueError(f"office-hour period {start:%H:%M}-{end:%H:%M} must end after it starts")
            if prev_end is not None and start < prev_end:
                raise ValueError("office-hour periods must be in order and must not overlap")
            prev_end = end
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(
                f"working weekdays must be a non-empty subset of 0..6 (0 = Monday), got {sorted(self.weekdays)}"
            )
        if self.same_day_cutoff.tzinfo is not None:
            raise ValueError("same_day_cutoff is a local time: give it without tzinfo")

    # -- parsing and naming -------------------------------------------------------
    @classmethod
    def parse(cls, spec: str, **kwargs) -> OfficeHours:
        """Parse ``"07:00-11:30,13:30-17:00"`` (the OFFICE_HOURS environment format)."""
        if not isinstance(spec, str) or not spec.strip():
            raise ValueError("office hours must look like '07:00-11:30,13:30-17:00'")
        periods = []
        for part in spec.split(","):
            m = _PERIOD_RE.match(part)
            if not m:
                raise ValueError(
                    f"cannot read office-hour period {part.strip()!r}: expected HH:MM-HH:MM, e.g. '07:00-11:30,13:30-17:00'"
                )
            h1, m1, h2, m2 = (int(g) for g in m.groups())
            try:
                periods.append((time(h1, m1), time(h2, m2)))
            except ValueError as exc:
                raise ValueError(f"invalid time in office-hour period {part.strip()!r}: {exc}") from None
        return cls(periods=tuple(periods), **kwargs)

    @property
    def label(self) -> str:
        """Short stable name used in the calendar version, e.g. ``oh-0700-1130-1330-1700``."""
        s = "oh-" + "-".join(f"{_hm(a)}-{_hm(b)}" for a, b in self.periods)
        if self.weekdays != _DEFAULT_WEEKDAYS:
            s += "-wd" + "".join(str(d + 1) for d in sorted(self.weekdays))
        if self.same_day_cutoff != _DEFAULT_CUTOFF:
            s += "-cut" + _hm(self.same_day_cutoff)
        return s

    def __str__(self) -> str:
        days = ",".join(_WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        per = ", ".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in self.periods)
        return f"{per} ({days}); same-day cutoff {self.same_day_cutoff:%H:%M}"

    # -- numbers used by the engine -------------------------------------------------
    @property
    def periods_us(self) -> tuple[tuple[int, int], ...]:
        """Periods as microseconds since local midnight."""
        return tuple((_us_of_day(a), _us_of_day(b)) for a, b in self.periods)

    @property
    def hours_per_day(self) -> float:
        return sum(e - s for s, e in self.periods_us) / 3_600_000_000

    @property
    def opening(self) -> time:
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        return self.periods[-1][1]
