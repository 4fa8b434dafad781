"""Dates as Vietnamese forms write them, in Hà Nội time. Pure."""

from __future__ import annotations

from datetime import datetime

from shared.calendar import WORKING_DAY_HOURS
from shared.local_time import VN

WEEKDAYS_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def form_datetime(at: datetime | None) -> str:
    """'10 giờ 00 phút, thứ Tư, ngày 02 tháng 12 năm 2026'"""
    if at is None:
        return "—"
    t = at.astimezone(VN)
    return (
        f"{t.hour:02d} giờ {t.minute:02d} phút, {WEEKDAYS_VI[t.weekday()]}, "
        f"ngày {t.day:02d} tháng {t.month:02d} năm {t.year}"
    )


def form_date(at: datetime) -> str:
    t = at.astimezone(VN)
    return f"ngày {t.day:02d} tháng {t.month:02d} năm {t.year}"


def processing_time(hours: int, time_type: str) -> str:
    if hours == 0:
        return "trong ngày"
    if time_type == "calendar":
        return f"{hours // 24} ngày"
    if hours % WORKING_DAY_HOURS == 0:
        return f"{hours // WORKING_DAY_HOURS} ngày làm việc"
    return f"{hours} giờ làm việc"
