"""Reconciliation: are the incremental counters what the facts say, and does every dossier
have in stats the status resolution has?

Three checks, each counting mismatches and keeping the first few:
- board: board_counters against a GROUP BY over the fact rows;
- reports: the period report from the counters against the same report recomputed from the
  fact rows and their steps, for each month so far (capped) and for the whole span;
- statuses: stats' facts of accepted dossiers against resolution's own export, over HTTP; a
  difference is counted only when it persists (status_check): an event in flight is not one.
For the month still running only the flows are compared (received, resolved, closed, carried
over): its end is "now", and the unfinished ones' split moves while we look.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import asyncpg
import httpx

from services.stats.adapters import generations, recompute, reports
from services.stats.domain.report import COUNT_KEYS, row_for
from services.stats.service import status_check
from shared.errors import UpstreamFailed
from shared.local_time import local_day

MAX_MONTHS = 24
EXAMPLES = 20


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
    statuses: status_check.FirstPass | None  # None: not compared with resolution

    def report(self, now: datetime) -> dict:
        return {
            "as_of": now.isoformat(),
            "generation": self.generation,
            "mismatches": self.found.total,
            "by_check": self.found.counts,
            "periods_checked": self.periods_checked,
            "dossiers_compared_with_resolution": self.statuses.compared if self.statuses else None,
            "differences_rechecked": len(self.statuses.differing) if self.statuses else 0,
            "examples": self.found.examples,
        }


END_STATE = {
    "in_processing_within",
    "in_processing_overdue",
    "in_processing_total",
    "paused_total",
    "paused_overdue",
    "awaiting",
}


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
            found.add(
                "board",
                agency=agency,
                procedure=procedure,
                channel=channel,
                bucket=bucket,
                counters=counters[key],
                facts=facts[key],
            )


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
                    found.add(
                        "reports",
                        period=f"{start}..{end}",
                        procedure=key,
                        column=column,
                        counters=a[column],
                        facts=b[column],
                    )
    return checked


async def reconcile(
    pool: asyncpg.Pool, now: datetime, resolution_url: str | None, bootstrap: str, settle_s: float
) -> dict:
    """The three checks; `resolution_url` None leaves out the statuses. A status difference is
    counted only when it persists `settle_s` (see status_check)."""
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0)) as client:
        try:
            survey = await take_survey(pool, now, client, resolution_url)
            if survey.statuses is not None and survey.statuses.differing:
                assert resolution_url is not None
                await status_check.confirm(
                    pool,
                    client,
                    resolution_url,
                    bootstrap,
                    survey.statuses,
                    partial(survey.found.add, "statuses"),
                    settle_s,
                )
        except (httpx.HTTPError, status_check.ExportIncomplete) as exc:
            raise UpstreamFailed(
                f"Không đọc được danh sách hồ sơ của bộ phận giải quyết ({resolution_url})",
                f"Could not read resolution's export at {resolution_url}: {type(exc).__name__}: {exc}",
            ) from None
    return survey.report(now)


async def take_survey(
    pool: asyncpg.Pool, now: datetime, client: httpx.AsyncClient, resolution_url: str | None
) -> Survey:
    """Board and reports from one snapshot of stats, and the statuses' first pass against resolution's export."""
    found = Findings()
    async with pool.acquire() as conn, conn.transaction():
        await generations.analyze(conn, await generations.use_active(conn))  # fresh statistics: sane plans
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        schema = await generations.use_active(conn)
        await _check_board(conn, found)
        periods_checked = await _check_reports(conn, local_day(now), found)
        statuses = await status_check.first_pass(conn, client, resolution_url) if resolution_url else None
    return Survey(found, schema, periods_checked, statuses)
