"""Uptake of online services for any period, from the counters."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from services.stats.adapters import generations, reports
from services.stats.adapters import repository as repo
from services.stats.domain import online as domain
from services.stats.service.reports import check_period
from shared.local_time import local_day


async def online_uptake(pool: asyncpg.Pool, now: datetime, start: date, end: date, agency: str | None = None) -> dict:
    check_period(start, end, local_day(now))
    filters = (agency, None, None)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        pairs = await reports.pair_flows(conn, start, end, filters)
        months = [
            (a.strftime("%Y-%m"), await reports.flows(conn, a, b, "procedure", filters))
            for a, b in reports.months_of(start, end)
        ]
        levels = await repo.attribute(conn, "procedure", "online_level")
        names = {kind: await repo.names(conn, kind) for kind in ("agency", "procedure")}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "as_of": now.isoformat(),
        "agency": agency,
        **domain.build(pairs, months, levels, names),
    }
