"""Local time: Asia/Ho_Chi_Minh, UTC+7 all year (Việt Nam has no daylight saving). Stored and
published times are UTC; days, reports and forms are in local time, through these helpers only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

VN = timezone(timedelta(hours=7), "ICT")


def local_day(at: datetime) -> date:
    """The local calendar day of an aware instant."""
    return at.astimezone(VN).date()


def local_midnight(day: date) -> datetime:
    """The instant a local day begins."""
    return datetime.combine(day, time(0), VN)
