"""Deadline engine: the Vietnamese working calendar, office hours, clock policies, compliance.

Specification: docs/domain.md, section "Deadlines". Public API::

    from shared.calendar import default_calendar
    cal = default_calendar()
    due = cal.due_time(accepted_at, hours=24)            # 3 working days
    cal.version                                          # record it with the dossier

All datetimes in and out are timezone-aware (naive ones raise ValueError); results are UTC.
Command line: ``python -m shared.calendar due 2026-02-13T16:30 --hours 24``.
"""

from __future__ import annotations

import functools

from .engine import (
    WORKING_DAY_HOURS,
    DayInfo,
    DueExplanation,
    WorkingCalendar,
    compliance_of,
    to_local,
)
from .office_hours import OfficeHours
from .overrides import DEFAULT_OVERRIDES_PATH, DayOverride, Overrides

__all__ = [
    "DEFAULT_OVERRIDES_PATH",
    "WORKING_DAY_HOURS",
    "DayInfo",
    "DayOverride",
    "DueExplanation",
    "OfficeHours",
    "Overrides",
    "WorkingCalendar",
    "compliance_of",
    "default_calendar",
    "to_local",
]


@functools.cache
def default_calendar(office_hours_spec: str = "") -> WorkingCalendar:
    """The calendar: office hours from `office_hours_spec` (e.g. "07:00-11:30,13:30-17:00"; the
    setting OFFICE_HOURS), else the default ones; holidays from the `holidays` package, overrides
    from shared/data/calendar/vn-overrides.toml. One per spec, built once."""
    spec = office_hours_spec.strip()
    office_hours = OfficeHours.parse(spec) if spec else OfficeHours()
    return WorkingCalendar(office_hours=office_hours, overrides=Overrides.load(DEFAULT_OVERRIDES_PATH))
