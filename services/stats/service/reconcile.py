"""Reconciliation: are the incremental counters what the facts say, and does every dossier
have in stats the status resolution has?

Three checks, each counting mismatches and keeping the first few:
- board: board_counters against a GROUP BY over the fact rows;
- reports: the period report from the counters against the same report recomputed from the
  fact rows and their steps, for each month so far (capped) and for the whole span;
- statuses: stats' facts of accepted dossiers against resolution's own export, over HTTP.
For the month still running only the flows are compared (received, resolved, closed, carried
over): its end is "now", and the unfinished ones' split moves while we look.
"""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import asyncpg
import httpx

from services.stats.adapters import generations, recompute, reports
from services.stats.domain.projection import local_day
from services.stats.domain.report import COUNT_KEYS, row_for
from shared.http import ApiError

MAX_MONTHS = 24
EXAMPLES = 20
STATUS_PAGE = 5000


class Findings:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {"board": 0, "reports": 0, "statuses": 0}
        self.examples: list[dict] = []

    def add(self, check: str, **detail) -> None:
        self.counts[check] += 1
        if len(self.examples) < EXAMPLES:
            self.examples.append({"check": check, **detail})

    @property
    def total(self) -> int:
        return sum(self.counts.values())


END_STATE = {"in_processing_within", "in_processing_overdue", "in_processing_total", "paused_total",
             "paused_overdue", "awaiting"}


def periods(first_day: date, today: date) -> list[tuple[date, date]]:
    """Each month from the first day with data to today (the last MAX_MONTHS), and the whole span."""
    if first_day > today:
        return []
    out, month = [], first_day.replace(day=1)
    while month <= today:
        following = (month + timedelta(days=32)).replace(day=1)
        out.append((max(month, first_day), min(following - timedelta(days=1), today)))
        month = following
    out = out[-MAX_MONTHS:]
    if len(out) > 1:
        out.append((first_day, today))
    return out


async def _check_board(conn, found: Findings) -> None:
    counters, facts = await recompute.board_counters(conn), await recompute.board_buckets(conn)
    for key in sorted(set(counters) | set(facts)):
        if counters[key] != facts[key]:
            agency, procedure, channel, bucket = key
            found.add("board", agency=agency, procedure=procedure, channel=channel, bucket=bucket,
                      counters=counters[key], facts=facts[key])


async def _check_reports(conn, today: date, found: Findings) -> int:
    first = await conn.fetchval("SELECT min(received_at) FROM facts")
    checked = 0
    for start, end in periods(local_day(first), today) if first else []:
        fast = await reports.group_sums(conn, start, end, "procedure", (None, None, None), end_is_now=False)
        slow = await recompute.group_sums(conn, start, end, "procedure", (None, None, None))
        checked += 1
        columns = [c for c in COUNT_KEYS if end < today or c not in END_STATE]
        for key in sorted(set(fast) | set(slow)):
            a = row_for(fast[key]) if key in fast else dict.fromkeys(COUNT_KEYS, 0)
            b = row_for(slow[key]) if key in slow else dict.fromkeys(COUNT_KEYS, 0)
            for column in columns:
                if a[column] != b[column]:
                    found.add("reports", period=f"{start}..{end}", procedure=key, column=column,
                              counters=a[column], facts=b[column])
    return checked


async def _resolution_cases(client: httpx.AsyncClient, url: str) -> AsyncIterator[dict]:
    async with client.stream("GET", f"{url}/api/v1/export/cases") as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if line.strip():
                yield json.loads(line)


async def _stats_cases(conn) -> AsyncIterator[asyncpg.Record]:
    async for row in conn.cursor("SELECT code, status FROM facts WHERE accepted_at IS NOT NULL ORDER BY code COLLATE \"C\"",
                                 prefetch=STATUS_PAGE):
        yield row


async def _check_statuses(conn, resolution_url: str, found: Findings) -> int:
    """A merge of two streams in byte order of the code (COLLATE "C" on both sides, as Python
    compares strings), so two million dossiers need no memory."""
    checked = 0
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0)) as client:
        theirs, ours = _resolution_cases(client, resolution_url), _stats_cases(conn)
        r, s = await anext(theirs, None), await anext(ours, None)
        while r is not None or s is not None:
            checked += 1
            if s is None or (r is not None and r["code"] < s["code"]):
                found.add("statuses", code=r["code"], resolution=r["status"], stats=None)
                r = await anext(theirs, None)
            elif r is None or s["code"] < r["code"]:
                found.add("statuses", code=s["code"], resolution=None, stats=s["status"])
                s = await anext(ours, None)
            else:
                if r["status"] != s["status"]:
                    found.add("statuses", code=s["code"], resolution=r["status"], stats=s["status"])
                r, s = await anext(theirs, None), await anext(ours, None)
    return checked


async def reconcile(pool: asyncpg.Pool, now: datetime, resolution_url: str | None) -> dict:
    found = Findings()
    async with pool.acquire() as conn:
        async with conn.transaction():
            await generations.analyze(conn, await generations.use_active(conn))  # fresh statistics: sane plans
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        schema = await generations.use_active(conn)
        await _check_board(conn, found)
        periods_checked = await _check_reports(conn, local_day(now), found)
        try:
            dossiers_checked = await _check_statuses(conn, resolution_url, found) if resolution_url else None
        except httpx.HTTPError as exc:
            raise ApiError(502, f"Không đọc được danh sách hồ sơ của bộ phận giải quyết ({resolution_url})",
                           f"Could not read resolution's export at {resolution_url}: {type(exc).__name__}") from None
    return {
        "as_of": now.isoformat(), "generation": schema, "mismatches": found.total, "by_check": found.counts,
        "periods_checked": periods_checked, "dossiers_compared_with_resolution": dossiers_checked,
        "examples": found.examples,
    }
