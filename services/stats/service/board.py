"""The live board of DOMAIN.md, "What is counted", read from the counters."""
from __future__ import annotations

from datetime import datetime

import asyncpg

from services.stats.adapters import repository as repo
from services.stats.domain.projection import BUCKETS, DAILY_METRICS, local_day

WORKING_DAY_HOURS = 8


async def live_board(pool: asyncpg.Pool, calendar, now: datetime, *, agency: str | None = None,
                     procedure: str | None = None, channel: str | None = None) -> dict:
    today = local_day(now)
    soon = calendar.add_working_time(now, WORKING_DAY_HOURS)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        buckets = await repo.board_totals(conn, agency, procedure, channel)
        daily = await repo.daily_totals(conn, today, agency, procedure, channel)
        due_soon = await repo.due_soon(conn, soon, agency, procedure, channel)
    b = {k: int(buckets.get(k, 0)) for k in BUCKETS}
    d = {k: int(daily.get(k, 0)) for k in DAILY_METRICS}
    return {
        "as_of": now.isoformat(),
        "day": today.isoformat(),
        "filters": {"agency": agency, "procedure": procedure, "channel": channel},
        "received_today": d["received"],
        "awaiting_acceptance": b["awaiting"],
        "in_processing": {"within_deadline": b["processing_within"], "overdue": b["processing_overdue"],
                          "due_soon": due_soon,
                          "total": b["processing_within"] + b["processing_overdue"]},
        "paused": {"within_deadline": b["paused_within"], "overdue": b["paused_overdue"],
                   "total": b["paused_within"] + b["paused_overdue"]},
        "resolved_today": {"early": d["resolved_early"], "on_time": d["resolved_on_time"],
                           "late": d["resolved_late"],
                           "total": d["resolved_early"] + d["resolved_on_time"] + d["resolved_late"]},
        "waiting_handover": b["waiting_handover"],
        "returned": b["returned"],
        "withdrawn": b["withdrawn"],
        "refused": b["refused"],
        "stopped": b["stopped"],
        "today": {"returned": d["returned"], "withdrawn": d["withdrawn"], "refused": d["refused"],
                  "stopped": d["stopped"]},
        "total_dossiers": sum(b.values()),
    }
