"""Reconciliation: are the incremental counters what the facts say, and does every dossier
have in stats the status resolution has?

The checks, each counting mismatches and keeping the first few:
- board: board_counters against a GROUP BY over the fact rows (the sweep), or against the tally
  PostgreSQL keeps of the fact rows (fact_tally, written by a trigger on facts) in a run over the
  changes; the sweep also checks the tally itself against the fact rows;
- months: each monthly counter against the sum of its month's daily counters;
- reports: the sweep compares the period report from the counters with the same report recomputed
  from the fact rows and their steps, for each month so far (capped) and for the whole span; both
  scopes compare each month's accepted and decided counters with the tally;
- statuses: stats' facts of accepted dossiers against resolution's own export, over HTTP; a
  difference is counted only when it persists (status_check): an event in flight is not one.
For the month still running the sweep compares only the flows (received, resolved, closed, carried
over): its end is "now", and the unfinished ones' split moves while we look.

Two scopes. A full sweep checks everything (nightly by default, and on demand). A run over the
changes looks only at what can be answered by key, never by recounting dossiers: the facts written
since the last run (each fact write takes a number), the whole board against the tally, and for
the procedures and months the changed dossiers have status steps in (and the current month), the
monthly counters against their days and the accepted and decided ones against the tally; with the
mismatches still open from earlier runs, and the changed dossiers' statuses against resolution's
lookup. Its cost follows the changes and the number of counter rows, not the history's size (see
docs/decisions.md). A mismatch is "new" in the run that first finds it; it stays in every answer
(and the gauge) until it is gone.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import asyncpg
import httpx

from services.stats.adapters import generations, marks, recompute, reports
from services.stats.domain.report import COUNT_KEYS, row_for
from services.stats.service import status_check
from shared.errors import UpstreamFailed
from shared.local_time import local_day

MAX_MONTHS = 24
EXAMPLES = 20


class Findings:
    def __init__(self, already_open: marks.Mark | None = None) -> None:
        self.counts: dict[str, int] = {"board": 0, "months": 0, "reports": 0, "statuses": 0}
        self.examples: list[dict] = []
        self.new = 0
        self.before = already_open or marks.Mark(0, None)
        self.procedures: dict[str, date] = {}  # what to check again next time: from which month
        self.codes: set[str] = set()

    def add(self, check: str, *, since: date | None = None, **detail) -> None:
        """A mismatch; `since` (board, reports) is the month its procedure must be checked from again."""
        self.counts[check] += 1
        key = detail.get("procedure") if check != "statuses" else detail.get("code")
        new = key not in (self.before.codes if check == "statuses" else self.before.procedures)
        self.new += new
        if check == "statuses":
            self.codes.add(detail["code"])
        elif since is not None:
            self.procedures[detail["procedure"]] = min(since, self.procedures.get(detail["procedure"], since))
        if len(self.examples) < EXAMPLES:
            self.examples.append({"check": check, "new": new, **detail})

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
    scope: str = "full"
    written: int = 0  # the last fact write this survey covers
    facts_changed: int | None = None  # for a run over the changes: how many facts were written since the last

    def report(self, now: datetime) -> dict:
        return {
            "as_of": now.isoformat(),
            "scope": self.scope,
            "generation": self.generation,
            "mismatches": self.found.total,
            "new_mismatches": self.found.new,
            "facts_changed": self.facts_changed,
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
    out = reports.months_of(first_day, today)[-MAX_MONTHS:]
    if len(out) > 1:
        out.append((first_day, today))
    return out


def _check_board(
    today: date, found: Findings, ours: Counter, facts: Counter, mine: str = "counters", theirs: str = "facts"
) -> None:
    """A board (`ours`: the counters, or in the sweep the tally too) against what the fact rows say
    (`facts`: a GROUP BY over them in the sweep, their tally in a run over the changes); `mine` and
    `theirs` name the two sides in each example."""
    for key in sorted(set(ours) | set(facts)):
        if ours[key] != facts[key]:
            agency, procedure, channel, bucket = key
            found.add(
                "board",
                since=today.replace(day=1),
                agency=agency,
                procedure=procedure,
                channel=channel,
                bucket=bucket,
                **{mine: ours[key], theirs: facts[key]},
            )


async def _check_flows(conn, found: Findings, procedures: list[str] | None = None, months=None) -> int:
    """Each month's accepted and decided counters against the fact rows' tally; how many months."""
    for r in await recompute.months_against_tally(conn, procedures, months):
        last = reports.month_after(r["month"]) - timedelta(days=1)
        found.add(
            "reports",
            since=r["month"],
            period=f"{r['month']}..{last}",
            agency=r["agency_id"],
            procedure=r["procedure_code"],
            channel=r["channel"],
            column=r["metric"],
            counters=r["monthly"],
            facts=r["facts"],
        )
    return len(months) if months is not None else 0


async def _check_months(conn, found: Findings, procedures: list[str] | None = None, months=None) -> None:
    for r in await recompute.months_against_days(conn, procedures, months):
        found.add(
            "months",
            since=r["month"],
            month=r["month"].isoformat(),
            agency=r["agency_id"],
            procedure=r["procedure_code"],
            channel=r["channel"],
            metric=r["metric"],
            monthly=r["monthly"],
            days=r["days"],
        )


async def _check_reports(conn, today: date, found: Findings) -> int:
    first = await conn.fetchval("SELECT min(received_at) FROM facts")
    checked = 0
    for start, end in periods(local_day(first), today) if first else []:
        await _compare_period(conn, start, end, today, found, None)
        checked += 1
    return checked


async def _compare_period(conn, start: date, end: date, today: date, found: Findings, procedures) -> None:
    fast = await reports.group_sums(conn, start, end, "procedure", (None, None, None), end_is_now=False)
    slow = await recompute.group_sums(conn, start, end, "procedure", (None, None, None), procedures)
    keys = set(fast) | set(slow)
    if procedures is not None:
        keys &= set(procedures)
    columns = [c for c in COUNT_KEYS if end < today or c not in END_STATE]
    for key in sorted(keys):
        a = row_for(fast[key]) if key in fast else dict.fromkeys(COUNT_KEYS, 0)
        b = row_for(slow[key]) if key in slow else dict.fromkeys(COUNT_KEYS, 0)
        for column in columns:
            if a[column] != b[column]:
                found.add(
                    "reports",
                    since=start.replace(day=1),
                    period=f"{start}..{end}",
                    procedure=key,
                    column=column,
                    counters=a[column],
                    facts=b[column],
                )


async def reconcile(
    pool: asyncpg.Pool,
    now: datetime,
    resolution_url: str | None,
    bootstrap: str,
    settle_s: float,
    scope: str = "full",
    *,
    resolution_token: str | None = None,
) -> dict:
    """The checks over everything (scope "full") or over what changed since the last run
    ("changes"; a generation never checked gets a full sweep); `resolution_url` None leaves out the
    statuses. A status difference is counted only when it persists `settle_s` (see status_check)."""
    # The export is not public: stats shows the services' bearer token (resolution_token).
    headers = {"Authorization": f"Bearer {resolution_token}"} if resolution_token else {}
    async with httpx.AsyncClient(timeout=httpx.Timeout(30.0, read=300.0), headers=headers) as client:
        try:
            survey = await (take_changes if scope == "changes" else take_survey)(pool, now, client, resolution_url)
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
    await _remember(pool, survey, now)
    return survey.report(now)


async def _remember(pool: asyncpg.Pool, survey: Survey, now: datetime) -> None:
    found = survey.found
    mark = marks.Mark(survey.written, now if survey.scope == "full" else None, found.procedures, sorted(found.codes))
    async with pool.acquire() as conn, conn.transaction():
        if await generations.use_active(conn) == survey.generation:  # a rebuild may have switched meanwhile
            await marks.save(conn, mark)


async def last_sweep(pool: asyncpg.Pool) -> datetime | None:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await generations.use_active(conn)
        mark = await marks.read(conn)
    return mark.swept_at if mark else None


async def take_survey(
    pool: asyncpg.Pool, now: datetime, client: httpx.AsyncClient, resolution_url: str | None
) -> Survey:
    """Board and reports from one snapshot of stats, and the statuses' first pass against resolution's export."""
    async with pool.acquire() as conn, conn.transaction():
        schema = await generations.use_active(conn)
        await recompute.fold_tally_moves(conn)
        await generations.analyze(conn, schema)  # fresh statistics: sane plans
        before = await marks.read(conn)
    written = await marks.settled_write(pool, schema)
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)  # a switch since `schema` was read: _remember then keeps no mark
        found = Findings(before)
        facts, today = await recompute.board_buckets(conn), local_day(now)
        _check_board(today, found, await recompute.board_counters(conn), facts)
        # the tally itself, which a run over the changes trusts: one edited by hand would be blamed
        # on the counters there
        _check_board(today, found, await recompute.board_tally(conn), facts, mine="tally")
        await _check_months(conn, found)
        await _check_flows(conn, found)
        periods_checked = await _check_reports(conn, local_day(now), found)
        statuses = await status_check.first_pass(conn, client, resolution_url) if resolution_url else None
    # with writes still in flight, the mark stays where it was: the next run covers them
    return Survey(found, schema, periods_checked, statuses, "full", written or (before.written if before else 0))


async def _months_touched(conn, before: marks.Mark, codes: list[str], today: date) -> dict[date, set[str]]:
    """Month -> procedures to check: each month a changed dossier has a status step in, and the
    current one (a stock change lands in its days); every month since the first for a mismatch
    still open."""
    rows = await conn.fetch(
        """SELECT DISTINCT f.procedure_code,
                  date_trunc('month', s.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date AS month
           FROM facts f JOIN fact_steps s USING (code) WHERE f.code = ANY($1)""",
        codes,
    )
    current = today.replace(day=1)
    months: dict[date, set[str]] = {}
    for r in rows:
        for month in {min(r["month"], current), current}:
            months.setdefault(month, set()).add(r["procedure_code"])
    for procedure, since in before.procedures.items():
        for month, _ in reports.months_of(since, today):
            months.setdefault(month, set()).add(procedure)
    return months


async def take_changes(
    pool: asyncpg.Pool, now: datetime, client: httpx.AsyncClient, resolution_url: str | None
) -> Survey:
    """The facts written since the last run, and the mismatches it left open."""
    today = local_day(now)
    async with pool.acquire() as conn, conn.transaction():
        schema = await generations.use_active(conn)
        await recompute.fold_tally_moves(conn)  # the checks then read as many tally rows as the board has
        before = await marks.read(conn)
    if before is None:
        return await take_survey(pool, now, client, resolution_url)
    settled = await marks.settled_write(pool, schema)
    upto = settled if settled is not None else before.written
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await generations.use_active(conn)  # a switch since `schema` was read: _remember then keeps no mark
        found = Findings(before)
        # all the writes settled since the last mark (or, with some still in flight, what is visible)
        changed = await conn.fetch(
            "SELECT code, procedure_code, accepted_at IS NOT NULL AS accepted FROM facts "
            "WHERE written > $1 AND ($2::bigint IS NULL OR written <= $2)",
            before.written,
            settled,
        )
        months = await _months_touched(conn, before, [r["code"] for r in changed], today)
        # The whole board against the tally: as many rows as the board, so no need to narrow it.
        counters, tally = await recompute.board_counters(conn), await recompute.board_tally(conn)
        _check_board(today, found, counters, tally, theirs="tally")
        periods_checked = 0
        if months:
            touched = sorted(set().union(*months.values()))
            await _check_months(conn, found, touched, sorted(months))
            periods_checked = await _check_flows(conn, found, touched, sorted(months))
        codes = sorted({r["code"] for r in changed if r["accepted"]} | set(before.codes))
        statuses = await status_check.first_pass_of(conn, client, resolution_url, codes) if resolution_url else None
    return Survey(found, schema, periods_checked, statuses, "changes", upto, len(changed))
