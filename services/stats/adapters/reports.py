"""Sums behind the period report, from the daily and monthly counters.

A period's flows are the full months inside it (monthly rows) plus its loose days (daily
rows); a stock at the end of a day is every delta dated up to that day, which is again
the months before plus the days of its own month. So a report over a year reads a few
thousand rows whatever the number of dossiers.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from services.stats.domain.projection import SATISFIED_FROM
from services.stats.domain.report import GroupSums

PAIR = "\x1f"  # between the agency and the procedure of a "pair" key (neither ever holds it)
GROUP_COLUMNS = {
    "agency": "agency_id",
    "procedure": "procedure_code",
    "channel": "channel",
    "pair": f"agency_id || chr({ord(PAIR)}) || procedure_code",
}
_FILTER = (
    "($1::text IS NULL OR agency_id = $1) AND ($2::text IS NULL OR procedure_code = $2) "
    "AND ($3::text IS NULL OR channel = $3)"
)


def month_after(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def months_of(start: date, end: date) -> list[tuple[date, date]]:
    """The months of [start, end], each clipped to it."""
    out, first = [], start
    while first <= end:
        after = month_after(first)
        out.append((first, min(end, after - timedelta(days=1))))
        first = after
    return out


def full_months(start: date, end: date) -> tuple[date, date]:
    """[first, stop) of the whole months inside [start, end]; empty when first >= stop."""
    first = start if start.day == 1 else month_after(start)
    stop = month_after(end) if month_after(end) - timedelta(days=1) == end else end.replace(day=1)
    return first, stop


async def flows(conn, start: date, end: date, group: str, filters: tuple) -> dict[str, Counter]:
    col = GROUP_COLUMNS[group]
    first, stop = full_months(start, end)
    if first >= stop:
        first = stop = start  # no whole month: every day comes from the daily rows
    # The days outside the whole months as two index ranges. Written as "the period but not its
    # whole months", the plan depended on fresh statistics: with stale ones (a live generation
    # between autovacuum's analyses) PostgreSQL read the year's daily rows only to drop them.
    rows = await conn.fetch(
        f"""WITH parts AS (
                SELECT {col} AS k, metric, channel, n FROM monthly_counters
                WHERE month >= $6 AND month < $7 AND {_FILTER}
                UNION ALL
                SELECT {col}, metric, channel, n FROM daily_counters
                WHERE ((day >= $4 AND day < $6) OR (day >= $7 AND day <= $5)) AND {_FILTER})
            SELECT k, CASE WHEN metric <> 'received' THEN metric
                           WHEN channel = 'online' THEN 'received_online' ELSE 'received_direct' END AS m,
                   sum(n)::bigint AS n
            FROM parts WHERE metric NOT LIKE 'stock\\_%' GROUP BY 1, 2""",
        *filters,
        start,
        end,
        first,
        stop,
    )
    out: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        out[r["k"]][r["m"]] += r["n"]
    return out


async def pair_flows(conn, start: date, end: date, filters: tuple) -> dict[tuple[str, str], Counter]:
    """The period's flows per (agency, procedure)."""
    out = {}
    for key, counts in (await flows(conn, start, end, "pair", filters)).items():
        agency, procedure = key.split(PAIR, 1)
        out[(agency, procedure)] = counts
    return out


async def stocks_at_end_of(conn, day: date, group: str, filters: tuple) -> dict[str, Counter]:
    col = GROUP_COLUMNS[group]
    month = day.replace(day=1)
    rows = await conn.fetch(
        f"""WITH parts AS (
                SELECT {col} AS k, metric, n FROM monthly_counters
                WHERE month < $4 AND metric LIKE 'stock\\_%' AND {_FILTER}
                UNION ALL
                SELECT {col}, metric, n FROM daily_counters
                WHERE day >= $4 AND day <= $5 AND metric LIKE 'stock\\_%' AND {_FILTER})
            SELECT k, substr(metric, 7) AS m, sum(n)::bigint AS n FROM parts GROUP BY 1, 2""",
        *filters,
        month,
        day,
    )
    out: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        out[r["k"]][r["m"]] += r["n"]
    return out


async def stocks_now(conn, group: str, filters: tuple) -> dict[str, Counter]:
    """The unfinished states as the live board has them now (for a period not yet over)."""
    col = GROUP_COLUMNS[group]
    rows = await conn.fetch(
        f"""SELECT {col} AS k, bucket AS m, sum(n)::bigint AS n FROM board_counters
            WHERE bucket IN ('awaiting', 'processing_within', 'processing_overdue', 'paused_within', 'paused_overdue')
              AND {_FILTER} GROUP BY 1, 2""",
        *filters,
    )
    out: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        out[r["k"]][r["m"]] += r["n"]
    return out


async def group_sums(
    conn, start: date, end: date, group: str, filters: tuple, *, end_is_now: bool
) -> dict[str, GroupSums]:
    f = await flows(conn, start, end, group, filters)
    s = await stocks_at_end_of(conn, start - timedelta(days=1), group, filters)
    e = await (stocks_now(conn, group, filters) if end_is_now else stocks_at_end_of(conn, end, group, filters))
    return {
        k: GroupSums(f.get(k, Counter()), s.get(k, Counter()), e.get(k, Counter())) for k in set(f) | set(s) | set(e)
    }


async def rated_low_not_late(conn, since: datetime, until: datetime, agency: str | None) -> dict[str, int]:
    """Per agency: decided in [since, until), rated below 4 of 5 and not late (Decision 766's dossier
    satisfaction subtracts these besides the late and overdue ones, each dossier once)."""
    rows = await conn.fetch(
        """SELECT agency_id, count(*)::int AS n FROM facts
           WHERE resolved_at >= $1 AND resolved_at < $2 AND rating < $4 AND compliance <> 'late'
             AND ($3::text IS NULL OR agency_id = $3) GROUP BY 1""",
        since,
        until,
        agency,
        SATISFIED_FROM,
    )
    return {r["agency_id"]: r["n"] for r in rows}
