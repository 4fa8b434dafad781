"""Period reports and the quality index, for any period, from the counters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg

from services.stats.adapters import generations, reports
from services.stats.adapters import repository as repo
from services.stats.domain import quality as quality_domain
from services.stats.domain import report as report_domain
from shared.errors import InvalidRequest
from shared.local_time import local_day, local_midnight

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


def period_asked(start: date | None, end: date | None, kind: str | None, day: date) -> tuple[date, date]:
    """Either from and to, or a week, month, quarter or year by a day inside it."""
    if kind is not None:
        if start is not None or end is not None:
            raise InvalidRequest(
                "Chọn kỳ theo tuần/tháng/quý/năm hoặc theo từ ngày - đến ngày, không cả hai",
                "Give either a period kind or from and to, not both",
                field="period",
            )
        return report_domain.period_containing(kind, day)
    if start is None or end is None:
        raise InvalidRequest(
            "Thiếu kỳ báo cáo: cần từ ngày và đến ngày, hoặc tuần/tháng/quý/năm",
            "Missing period: give from and to, or a period kind",
            field="from" if start is None else "to",
        )
    return start, end


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
    row_kind, attribute_name = report_domain.SECTIONED.get(group_by, (group_by, None))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        sums, as_of = await _sums(conn, start, end, row_kind, filters, now)
        names = await _names(conn, row_kind)
        attribute = await repo.attribute(conn, row_kind, attribute_name) if attribute_name else None
        parents = await repo.attribute(conn, "agency", "parent") if group_by == "level" else None
    return report_domain.build(start, end, group_by, sums, names, as_of, attribute, parents)


async def quality_index(pool: asyncpg.Pool, now: datetime, start: date, end: date, agency: str | None = None) -> dict:
    """Decision 766's index per agency, ranked, and for all of them together."""
    check_period(start, end, local_day(now))
    filters = (agency, None, None)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        sums, as_of = await _sums(conn, start, end, "agency", filters, now)
        pairs = await reports.pair_flows(conn, start, end, filters)
        levels = await repo.attribute(conn, "procedure", "online_level")
        rated_low = await reports.rated_low_not_late(
            conn, local_midnight(start), local_midnight(end + timedelta(days=1)), agency
        )
        names = await _names(conn, "agency")
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": as_of,
        "decision": "Quyết định 766/QĐ-TTg",
        **quality_domain.index(sums, pairs, levels, rated_low, names),
    }
