"""The straightforward way: the board and the period report computed directly from the fact
rows and their status steps, with no counters. Reconciliation compares the counters with
this; the benchmark measures how much slower it is."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from services.stats.adapters.reports import GROUP_COLUMNS
from services.stats.domain.report import GroupSums
from shared.local_time import local_midnight

_FILTER = (
    "($1::text IS NULL OR f.agency_id = $1) AND ($2::text IS NULL OR f.procedure_code = $2) "
    "AND ($3::text IS NULL OR f.channel = $3)"
)


async def board_buckets(conn) -> Counter:
    rows = await conn.fetch(
        "SELECT agency_id, procedure_code, channel, bucket, count(*) AS n FROM facts GROUP BY 1, 2, 3, 4"
    )
    return Counter({(r["agency_id"], r["procedure_code"], r["channel"], r["bucket"]): r["n"] for r in rows})


async def board_counters(conn) -> Counter:
    rows = await conn.fetch("SELECT agency_id, procedure_code, channel, bucket, n FROM board_counters WHERE n <> 0")
    return Counter({(r["agency_id"], r["procedure_code"], r["channel"], r["bucket"]): r["n"] for r in rows})


async def group_sums(conn, start: date, end: date, group: str, filters: tuple) -> dict[str, GroupSums]:
    """Report sums for a period that is over, from facts and steps only."""
    col = "f." + GROUP_COLUMNS[group]
    t0, t1 = local_midnight(start), local_midnight(end + timedelta(days=1))
    states = await conn.fetch(
        f"""WITH at_start AS (
                SELECT DISTINCT ON (code) code, status FROM fact_steps WHERE at < $4 ORDER BY code, seq DESC),
            at_end AS (
                SELECT DISTINCT ON (code) code, status, at, due_at FROM fact_steps WHERE at < $5 ORDER BY code, seq DESC)
            SELECT {col} AS k,
                count(*) FILTER (WHERE f.received_at >= $4 AND f.received_at < $5 AND f.channel = 'online') AS received_online,
                count(*) FILTER (WHERE f.received_at >= $4 AND f.received_at < $5 AND f.channel <> 'online') AS received_direct,
                count(*) FILTER (WHERE s.status = 1) AS s_awaiting,
                count(*) FILTER (WHERE s.status IN (2, 4, 5, 6)) AS s_unfinished_accepted,
                count(*) FILTER (WHERE e.status = 1) AS awaiting,
                count(*) FILTER (WHERE e.status IN (2, 4) AND e.due_at >= $5) AS processing_within,
                count(*) FILTER (WHERE e.status IN (2, 4) AND e.due_at < $5) AS processing_overdue,
                count(*) FILTER (WHERE e.status IN (5, 6) AND (e.due_at IS NULL OR e.due_at > e.at)) AS paused_within,
                count(*) FILTER (WHERE e.status IN (5, 6) AND e.due_at <= e.at) AS paused_overdue
            FROM facts f LEFT JOIN at_start s USING (code) LEFT JOIN at_end e USING (code)
            WHERE {_FILTER} GROUP BY 1""",
        *filters,
        t0,
        t1,
    )
    moves = await conn.fetch(
        f"""SELECT {col} AS k,
                count(*) FILTER (WHERE st.status = 9 AND f.compliance = 'early') AS resolved_early,
                count(*) FILTER (WHERE st.status = 9 AND f.compliance = 'on_time') AS resolved_on_time,
                count(*) FILTER (WHERE st.status = 9 AND f.compliance = 'late') AS resolved_late,
                count(*) FILTER (WHERE st.status = 7) AS withdrawn,
                count(*) FILTER (WHERE st.status = 3) AS refused,
                count(*) FILTER (WHERE st.status = 8) AS stopped
            FROM fact_steps st JOIN facts f USING (code)
            WHERE st.at >= $4 AND st.at < $5 AND {_FILTER} GROUP BY 1""",
        *filters,
        t0,
        t1,
    )
    out: dict[str, GroupSums] = defaultdict(lambda: GroupSums(Counter(), Counter(), Counter()))
    for r in states:
        g = out[r["k"]]
        g.flows.update(received_online=r["received_online"], received_direct=r["received_direct"])
        # at the start only the total of unfinished dossiers matters (column 6)
        g.start.update(awaiting=r["s_awaiting"], processing_within=r["s_unfinished_accepted"])
        g.end.update(
            {
                k: r[k]
                for k in ("awaiting", "processing_within", "processing_overdue", "paused_within", "paused_overdue")
            }
        )
    for r in moves:
        out[r["k"]].flows.update(
            {
                k: r[k]
                for k in ("resolved_early", "resolved_on_time", "resolved_late", "withdrawn", "refused", "stopped")
            }
        )
    return dict(out)
