"""The staffing view for leaders: who holds what, what is overdue, how long decisions take."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import asyncpg

from services.stats.adapters import generations
from services.stats.adapters import repository as repo
from services.stats.adapters import staffing as store
from services.stats.domain import staffing as domain
from services.stats.service.reports import check_period
from shared.calendar import WORKING_DAY_HOURS
from shared.local_time import local_day, local_midnight

OLDEST_LIMIT = 20


async def staffing(
    pool: asyncpg.Pool, calendar, now: datetime, start: date, end: date, agency: str | None = None
) -> dict:
    check_period(start, end, local_day(now))
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)
        holdings = await store.holdings(conn, agency)
        decided = await store.decided(conn, local_midnight(start), local_midnight(end + timedelta(days=1)), agency)
        oldest = await store.oldest(conn, agency, OLDEST_LIMIT)
        names = {kind: await repo.names(conn, kind) for kind in ("agency", "procedure")}
    held_days = {
        r["code"]: round(calendar.working_hours_between(r["accepted_at"], now) / WORKING_DAY_HOURS, 1) for r in oldest
    }
    answer = domain.build(holdings, decided, names)
    answer["oldest"] = domain.held(oldest, held_days, names)
    return {"from": start.isoformat(), "to": end.isoformat(), "as_of": now.isoformat(), "agency": agency, **answer}
