"""Period reports and the quality index, for any period, from the counters."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.stats.adapters import generations, reports
from services.stats.adapters import repository as repo
from services.stats.domain import quality as quality_domain
from services.stats.domain import report as report_domain
from shared.errors import InvalidRequest
from shared.local_time import local_day

MAX_DAYS = 366 * 10
EARLIEST = date(2000, 1, 1)  # no one-stop-shop record is older; and day 1 minus a day overflowed into a 500


def check_period(start: date, end: date, today: date) -> None:
    if end < start:
        raise InvalidRequest(
            f"Kỳ báo cáo không hợp lệ: ngày kết thúc {end} trước ngày bắt đầu {start}",
            f"Invalid period: 'to' ({end}) is before 'from' ({start})",
            field="to",
        )
    if start < EARLIEST:
        raise InvalidRequest(
            f"Kỳ báo cáo không thể bắt đầu trước {EARLIEST}", f"The period cannot start before {EARLIEST}", field="from"
        )
    if start > today:
        raise InvalidRequest(
            f"Kỳ báo cáo bắt đầu sau ngày hôm nay ({today})", f"The period starts after today ({today})", field="from"
        )
    if (end - start).days > MAX_DAYS:
        raise InvalidRequest("Kỳ báo cáo dài quá 10 năm", "The period is longer than 10 years", field="to")


async def _sums(conn, start: date, end: date, group_by: str, filters: tuple, now: datetime):
    # A period not over yet ends now: its unfinished dossiers are as the live board has them.
    end_is_now = end >= local_day(now)
    sums = await reports.group_sums(conn, start, end, group_by, filters, end_is_now=end_is_now)
    as_of = now.isoformat() if end_is_now else f"{end.isoformat()}T23:59:59.999999+07:00"
    return sums, as_of


async def _names(conn, group_by: str) -> dict[str, str]:
    if group_by == "channel":
        return dict(report_domain.CHANNEL_NAMES_VI)
    return await repo.names(conn, group_by)


async def period_report(
    pool: asyncpg.Pool, now: datetime, start: date, end: date, group_by: str, filters: tuple = (None, None, None)
) -> dict:
    check_period(start, end, local_day(now))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        sums, as_of = await _sums(conn, start, end, group_by, filters, now)
        names = await _names(conn, group_by)
    return report_domain.build(start, end, group_by, sums, names, as_of)


async def quality_index(pool: asyncpg.Pool, now: datetime, start: date, end: date) -> dict:
    check_period(start, end, local_day(now))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        sums, as_of = await _sums(conn, start, end, "agency", (None, None, None), now)
        names = await _names(conn, "agency")
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of,
        "decision": "Quyết định 766/QĐ-TTg",
        **quality_domain.quality(sums, names),
    }
