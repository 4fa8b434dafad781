"""The live board of docs/domain.md, "What is counted", read from the counters: in total, per
agency, procedure or channel, the last days' series and the overdue list."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import asyncpg

from services.stats.adapters import generations
from services.stats.adapters import repository as repo
from services.stats.domain import report as report_domain
from services.stats.domain.projection import BUCKETS, DAILY_METRICS
from services.stats.domain.report import CHANNEL_NAMES_VI
from shared.calendar import WORKING_DAY_HOURS
from shared.local_time import local_day


def _board(buckets: dict[str, int], daily: dict[str, int], due_soon: int) -> dict:
    b = {k: int(buckets.get(k, 0)) for k in BUCKETS}
    d = {k: int(daily.get(k, 0)) for k in DAILY_METRICS}
    return {
        "received_today": d["received"],
        "submitted_online_today": d["submitted_online"],
        "awaiting_acceptance": b["awaiting"],
        "in_processing": {
            "within_deadline": b["processing_within"],
            "overdue": b["processing_overdue"],
            "due_soon": due_soon,
            "total": b["processing_within"] + b["processing_overdue"],
        },
        "paused": {
            "within_deadline": b["paused_within"],
            "overdue": b["paused_overdue"],
            "total": b["paused_within"] + b["paused_overdue"],
        },
        "resolved_today": {
            "early": d["resolved_early"],
            "on_time": d["resolved_on_time"],
            "late": d["resolved_late"],
            "total": d["resolved_early"] + d["resolved_on_time"] + d["resolved_late"],
        },
        "waiting_handover": b["waiting_handover"],
        "returned": b["returned"],
        "withdrawn": b["withdrawn"],
        "refused": b["refused"],
        "stopped": b["stopped"],
        "today": {
            "returned": d["returned"],
            "withdrawn": d["withdrawn"] + d["withdrawn_before"],
            "refused": d["refused"],
            "stopped": d["stopped"],
        },
        "total_dossiers": sum(b.values()),
    }


async def _read(pool, calendar, now: datetime, filters: tuple, group: str | None):
    """The board's counts per group; by level, per agency rolled up into the form's rows, with
    each row's section (see report.units)."""
    soon = calendar.due_soon_before(now)
    by = "agency" if group == "level" else group
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        buckets = await repo.board_totals(conn, filters, by)
        daily = await repo.daily_totals(conn, local_day(now), filters, by)
        due_soon = await repo.due_soon(conn, soon, filters, by)
        names = await repo.names(conn, by) if by in ("agency", "procedure") else dict(CHANNEL_NAMES_VI)
        if group == "level":
            levels, parents = (
                await repo.attribute(conn, "agency", "level"),
                await repo.attribute(conn, "agency", "parent"),
            )
    section: dict[str, str] = {}
    if group == "level":
        unit_of, section = report_domain.units(set(buckets) | set(daily) | set(due_soon), levels, parents)
        buckets, daily, due_soon = (_summed(d, unit_of) for d in (buckets, daily, due_soon))
    return buckets, daily, due_soon, names, section


def _header(now: datetime, filters: tuple) -> dict:
    agency, procedure, channel = filters
    return {
        "as_of": now.isoformat(),
        "day": local_day(now).isoformat(),
        "filters": {"agency": agency, "procedure": procedure, "channel": channel},
    }


async def live_board(
    pool: asyncpg.Pool,
    calendar,
    now: datetime,
    *,
    agency: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
) -> dict:
    filters = (agency, procedure, channel)
    buckets, daily, due_soon, _, _ = await _read(pool, calendar, now, filters, None)
    return {**_header(now, filters), **_board(buckets.get("", {}), daily.get("", {}), due_soon.get("", 0))}


async def live_groups(
    pool: asyncpg.Pool,
    calendar,
    now: datetime,
    by: str,
    *,
    agency: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
) -> dict:
    """The board per agency, procedure or channel: the dashboard's table. By level: per agency with
    each branch in its department's row, the rows in the form's sections (province, commune)."""
    filters = (agency, procedure, channel)
    buckets, daily, due_soon, names, section = await _read(pool, calendar, now, filters, by)
    keys = sorted(
        set(buckets) | set(daily), key=lambda k: (report_domain.section_rank(section.get(k)), names.get(k, k))
    )
    rows = [
        {
            "key": k,
            "name": names.get(k, k),
            **(
                {"section": section.get(k), "section_name": report_domain.section_name("level", section.get(k))}
                if by == "level"
                else {}
            ),
            **_board(buckets.get(k, {}), daily.get(k, {}), due_soon.get(k, 0)),
        }
        for k in keys
    ]
    return {**_header(now, filters), "by": by, "rows": rows}


def _summed(per_agency: dict, unit_of: dict[str, str]) -> dict:
    """Per-agency figures (a dict of counts, or a count) added up per roll-up unit."""
    out: dict = {}
    for agency, value in per_agency.items():
        unit = unit_of.get(agency, agency)
        if isinstance(value, dict):
            target = out.setdefault(unit, Counter())
            target.update(value)
        else:
            out[unit] = out.get(unit, 0) + value
    return out


async def daily_series(
    pool: asyncpg.Pool,
    now: datetime,
    days: int,
    *,
    agency: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
) -> dict:
    """Received and resolved per local day for the last `days` days, oldest first, zeros included."""
    filters = (agency, procedure, channel)
    last = local_day(now)
    first = last - timedelta(days=days - 1)
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await generations.use_active(conn)
        series = await repo.days_series(conn, first, last, filters)
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        m = series.get(day, {})
        out.append(
            {
                "day": day.isoformat(),
                "received": int(m.get("received", 0)),
                "resolved": int(sum(m.get(k, 0) for k in ("resolved_early", "resolved_on_time", "resolved_late"))),
                "resolved_late": int(m.get("resolved_late", 0)),
            }
        )
    return {**_header(now, filters), "days": out}


async def overdue(
    pool: asyncpg.Pool,
    calendar,
    now: datetime,
    limit: int,
    *,
    agency: str | None = None,
    procedure: str | None = None,
    channel: str | None = None,
) -> dict:
    """Overdue dossiers, most overdue first: codes and procedures only, no personal data."""
    filters = (agency, procedure, channel)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        total, rows = await repo.overdue_list(conn, filters, limit)
    return {
        **_header(now, filters),
        "total": total,
        "rows": [
            {
                "code": r["code"],
                "agency_id": r["agency_id"],
                "agency_name": r["agency_name"],
                "procedure_code": r["procedure_code"],
                "procedure_name": r["procedure_name"],
                "channel": r["channel"],
                "status": r["status"],
                "due_at": r["due_at"].isoformat(),
                # working days past the due time (the clock of a paused dossier stopped earlier)
                "days_overdue": round(calendar.working_hours_between(r["due_at"], now) / WORKING_DAY_HOURS, 1),
            }
            for r in rows
        ],
    }
