"""Reconciliation: are the incremental counters what the facts say, and does every dossier
have in stats the status resolution has?

Three checks, each counting mismatches and keeping the first few:
- board: board_counters against a GROUP BY over the fact rows;
- reports: the period report from the counters against the same report recomputed from the
  fact rows and their steps, for each month so far (capped) and for the whole span;
- statuses: stats' facts of accepted dossiers against resolution's own export, over HTTP.
  A difference found there is asked of both sides again and counted only when it persists
  (see `_confirm`): an event in flight between them is not a mismatch.
For the month still running only the flows are compared (received, resolved, closed, carried
over): its end is "now", and the unfinished ones' split moves while we look.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

import asyncpg
import httpx

from services.stats.adapters import generations, recompute, reports
from services.stats.domain.projection import local_day
from services.stats.domain.report import COUNT_KEYS, row_for
from shared.errors import UpstreamFailed

MAX_MONTHS = 24
EXAMPLES = 20
STATUS_PAGE = 5000
LOOKUP_BATCH = 1000  # resolution's lookup takes at most this many codes a request
SETTLE_S = 60.0  # how long a difference may take to resolve itself (an event still in flight)
RECHECK_INTERVAL_S = 0.5


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


@dataclass
class Survey:
    """One pass over everything: the mismatches found, and the status differences still to confirm."""
    found: Findings
    generation: str
    periods_checked: int
    dossiers_checked: int | None
    differing: dict[str, dict | None]  # code -> resolution's line (None: no case there)

    def report(self, now: datetime) -> dict:
        return {
            "as_of": now.isoformat(), "generation": self.generation, "mismatches": self.found.total,
            "by_check": self.found.counts, "periods_checked": self.periods_checked,
            "dossiers_compared_with_resolution": self.dossiers_checked,
            "differences_rechecked": len(self.differing), "examples": self.found.examples,
        }


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


class ExportIncomplete(Exception):
    """Resolution's export ended short: without its trailer, or with one that says so."""


async def _resolution_cases(client: httpx.AsyncClient, url: str) -> AsyncIterator[dict]:
    complete = False
    async with client.stream("GET", f"{url}/api/v1/export/cases") as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not line.strip():
                continue
            row = json.loads(line)
            if "end" in row:
                if not row["end"].get("complete"):
                    raise ExportIncomplete(row["end"].get("message_en", "incomplete"))
                complete = True
            elif complete:
                raise ExportIncomplete("a case after the export's trailer")
            else:
                yield row
    if not complete:
        raise ExportIncomplete("the export ended without its trailer")


async def _stats_cases(conn) -> AsyncIterator[asyncpg.Record]:
    async for row in conn.cursor("SELECT code, status FROM facts WHERE accepted_at IS NOT NULL ORDER BY code COLLATE \"C\"",
                                 prefetch=STATUS_PAGE):
        yield row


async def _differing_statuses(conn, client: httpx.AsyncClient, resolution_url: str) -> tuple[dict, int]:
    """A merge of two streams in byte order of the code (COLLATE "C" on both sides, as Python
    compares strings), so two million dossiers need no memory. Returns the codes whose status
    differs or that one side lacks (resolution's line, or None), and how many were compared."""
    differing: dict[str, dict | None] = {}
    checked = 0
    theirs, ours = _resolution_cases(client, resolution_url), _stats_cases(conn)
    r, s = await anext(theirs, None), await anext(ours, None)
    while r is not None or s is not None:
        checked += 1
        if s is None or (r is not None and r["code"] < s["code"]):
            differing[r["code"]] = r
            r = await anext(theirs, None)
        elif r is None or s["code"] < r["code"]:
            differing[s["code"]] = None
            s = await anext(ours, None)
        else:
            if r["status"] != s["status"]:
                differing[r["code"]] = r
            r, s = await anext(theirs, None), await anext(ours, None)
    return differing, checked


async def _lookup(client: httpx.AsyncClient, url: str, codes: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for i in range(0, len(codes), LOOKUP_BATCH):
        answer = await client.post(f"{url}/api/v1/export/cases/lookup", json={"codes": codes[i:i + LOOKUP_BATCH]})
        answer.raise_for_status()
        found.update((c["code"], c) for c in answer.json()["cases"])
    return found


class StatsSide(NamedTuple):
    accepted: bool
    last_seq: int
    status: int        # now
    status_at: int | None  # as of the seq asked for


def verdict(theirs: tuple[int, int] | None, ours: StatsSide | None) -> str:
    """"agree", "differ" or "behind", for resolution's (status, seq) of one code (None: no case)
    and stats' side (None: no fact), compared at the same seq mark."""
    if theirs is None:
        return "behind" if ours is not None and ours.accepted else "agree"  # resolution has yet to open it
    status, seq = theirs
    if ours is None or ours.last_seq < seq:
        return "behind"
    # At the same mark the fact row itself is compared; stats ahead is compared through its steps.
    return "agree" if (ours.status if ours.last_seq == seq else ours.status_at) == status else "differ"


async def _ours_at(pool: asyncpg.Pool, marks: dict[str, int]) -> dict[str, StatsSide]:
    """Stats' side of each code now: whether accepted, its seq mark, and its status as of the
    seq given (from its steps: only status changes make a step)."""
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await generations.use_active(conn)
        rows = await conn.fetch(
            """SELECT c.code, f.accepted_at IS NOT NULL AS accepted, f.last_seq, f.status,
                      (SELECT s.status FROM fact_steps s WHERE s.code = c.code AND s.seq <= c.seq
                       ORDER BY s.seq DESC LIMIT 1) AS status_at
               FROM unnest($1::text[], $2::int[]) AS c(code, seq) JOIN facts f ON f.code = c.code""",
            list(marks), list(marks.values()))
    return {r["code"]: StatsSide(r["accepted"], r["last_seq"], r["status"], r["status_at"]) for r in rows}


async def confirm(pool: asyncpg.Pool, client: httpx.AsyncClient, url: str, survey: Survey,
                  settle_s: float = SETTLE_S) -> None:
    """A difference counts only when it persists. Both sides consume the topic on their own, so
    one may be an event behind the other for a moment: each code is asked of both again, now,
    and compared at the same seq mark (stats' status as of resolution's seq). One still behind is
    asked again until `settle_s` has passed; then it is reported as stuck."""
    deadline = time.monotonic() + settle_s
    found, pending = survey.found, sorted(survey.differing)
    while True:
        theirs = await _lookup(client, url, pending)
        ours = await _ours_at(pool, {c: theirs[c]["last_seq"] if c in theirs else 0 for c in pending})
        behind = []
        for code in pending:
            r, s = theirs.get(code), ours.get(code)
            outcome = verdict(None if r is None else (r["status"], r["last_seq"]), s)
            if outcome == "differ":
                found.add("statuses", code=code, resolution=r and (r["status"], r["last_seq"]),
                          stats=s and (s.status, s.last_seq), problem="different status at the same seq")
            elif outcome == "behind":
                behind.append(code)
        if not behind:
            return
        if time.monotonic() > deadline:
            for code in behind:
                r, s = theirs.get(code), ours.get(code)
                found.add("statuses", code=code, resolution=r and (r["status"], r["last_seq"]),
                          stats=s and (s.status, s.last_seq),
                          problem=f"one side did not catch up in {settle_s:.0f} s")
            return
        pending = behind
        await asyncio.sleep(RECHECK_INTERVAL_S)


async def reconcile(pool: asyncpg.Pool, now: datetime, resolution_url: str | None,
                    settle_s: float = SETTLE_S) -> dict:
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0)) as client:
        try:
            survey = await take_survey(pool, now, client, resolution_url)
            if survey.differing and resolution_url:
                await confirm(pool, client, resolution_url, survey, settle_s)
        except (httpx.HTTPError, ExportIncomplete) as exc:
            raise UpstreamFailed(f"Không đọc được danh sách hồ sơ của bộ phận giải quyết ({resolution_url})",
                                 f"Could not read resolution's export at {resolution_url}: {type(exc).__name__}: {exc}"
                                 ) from None
    return survey.report(now)


async def take_survey(pool: asyncpg.Pool, now: datetime, client: httpx.AsyncClient, resolution_url: str | None) -> Survey:
    """Board and reports from one snapshot of stats, and the statuses against resolution's export."""
    found = Findings()
    async with pool.acquire() as conn:
        async with conn.transaction():
            await generations.analyze(conn, await generations.use_active(conn))  # fresh statistics: sane plans
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        schema = await generations.use_active(conn)
        await _check_board(conn, found)
        periods_checked = await _check_reports(conn, local_day(now), found)
        differing, checked = (await _differing_statuses(conn, client, resolution_url) if resolution_url
                              else ({}, None))
    return Survey(found, schema, periods_checked, checked, differing)
