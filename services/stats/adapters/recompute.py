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


async def board_tally(conn) -> Counter:
    """The board as the fact rows say it, from the tally PostgreSQL keeps of them (projection.sql):
    as many rows as the board has, whatever the number of dossiers."""
    rows = await conn.fetch(
        "SELECT agency_id, procedure_code, channel, what, n FROM fact_tally_now WHERE month = 'infinity' AND n <> 0"
    )
    return Counter({(r["agency_id"], r["procedure_code"], r["channel"], r["what"]): r["n"] for r in rows})


async def fold_tally_moves(conn) -> None:
    """The trigger's moves added into the tally, so what the checks read stays as small as the
    board (the moves of writes not yet committed stay for the next fold). One statement, keys in
    order: two instances folding at once cannot deadlock."""
    await conn.execute(
        """WITH gone AS (DELETE FROM fact_tally_moves RETURNING *)
           INSERT INTO fact_tally AS t (agency_id, procedure_code, channel, what, month, n)
           SELECT agency_id, procedure_code, channel, what, month, sum(n) FROM gone
           GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0 ORDER BY 1, 2, 3, 4, 5
           ON CONFLICT (agency_id, procedure_code, channel, what, month) DO UPDATE SET n = t.n + EXCLUDED.n"""
    )


TALLIED = ["received", "decided"]  # the monthly flows the tally counts from the fact rows


async def months_against_tally(conn, procedures: list[str] | None = None, months: list | None = None) -> list:
    """Monthly counter rows of the tallied flows that differ from the fact rows' tally: a lookup of
    those rows by key, not a recount of the month's dossiers."""
    where = "($1::text[] IS NULL OR procedure_code = ANY($1)) AND ($2::date[] IS NULL OR month = ANY($2))"
    return await conn.fetch(
        f"""WITH m AS (SELECT month, agency_id, procedure_code, channel, metric, n FROM monthly_counters
                       WHERE metric = ANY($3) AND {where}),
                 t AS (SELECT month, agency_id, procedure_code, channel, what AS metric, n FROM fact_tally_now
                       WHERE what = ANY($3) AND {where})
            SELECT month, agency_id, procedure_code, channel, metric, coalesce(m.n, 0) AS monthly,
                   coalesce(t.n, 0) AS facts
            FROM m FULL JOIN t USING (month, agency_id, procedure_code, channel, metric)
            WHERE coalesce(m.n, 0) <> coalesce(t.n, 0)
            ORDER BY month, agency_id, procedure_code, channel, metric""",
        procedures,
        months,
        TALLIED,
    )


async def months_against_days(conn, procedures: list[str] | None = None, months: list | None = None) -> list:
    """Monthly counter rows that differ from the sum of their month's daily rows (reports of whole
    months read the first, the board's series and loose days the second)."""
    where = "($1::text[] IS NULL OR procedure_code = ANY($1))"
    return await conn.fetch(
        f"""WITH ranges AS (  -- each month a range of the days' leading key column: index ranges, not a scan
                SELECT first AS lo, CASE WHEN $2::date[] IS NULL THEN 'infinity' ELSE (first + interval '1 month')::date END AS hi
                FROM unnest(coalesce($2::date[], ARRAY['-infinity'::date])) AS first),
            d AS (
                SELECT date_trunc('month', day)::date AS month, agency_id, procedure_code, channel, metric,
                       sum(n)::bigint AS n
                FROM ranges JOIN daily_counters ON day >= lo AND day < hi WHERE {where} GROUP BY 1, 2, 3, 4, 5),
            m AS (
                SELECT month, agency_id, procedure_code, channel, metric, n FROM monthly_counters
                WHERE {where} AND ($2::date[] IS NULL OR month = ANY($2)))
            SELECT month, agency_id, procedure_code, channel, metric, coalesce(d.n, 0) AS days, coalesce(m.n, 0) AS monthly
            FROM d FULL JOIN m USING (month, agency_id, procedure_code, channel, metric)
            WHERE coalesce(d.n, 0) <> coalesce(m.n, 0)
            ORDER BY month, agency_id, procedure_code, channel, metric""",
        procedures,
        months,
    )


async def group_sums(
    conn, start: date, end: date, group: str, filters: tuple, procedures: list[str] | None = None
) -> dict[str, GroupSums]:
    """Report sums for a period that is over, from facts and steps only (form 06's rules, written
    again as plain SQL: received = accepted in the period; resolved = decided, or withdrawn or
    stopped after acceptance, judged against the due time when the clock stopped). With
    `procedures`, only their dossiers' steps are read."""
    col = "f." + GROUP_COLUMNS[group]
    t0, t1 = local_midnight(start), local_midnight(end + timedelta(days=1))
    # Reconciliation runs these statements once per month: after five runs PostgreSQL may switch a
    # prepared statement to a generic plan, blind to the period and the codes, and on a half-year of
    # dossiers that plan took minutes instead of a fraction of a second. Plan each call for its values
    # (for the caller's transaction only).
    await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    # Only dossiers that can count in the period: received before its end and not finished before
    # its start (a dossier's status time is when it reached its current status; 9 counts as finished).
    # So a month's recount reads that month's dossiers and the backlog, not the whole history.
    alive = await conn.fetch(
        """SELECT code FROM facts WHERE received_at < $2 AND (status NOT IN (3, 7, 8, 9, 10) OR state_since >= $1)
           AND ($3::text[] IS NULL OR procedure_code = ANY($3))""",
        t0,
        t1,
        procedures,
    )
    codes = [r["code"] for r in alive]
    states = await conn.fetch(
        f"""WITH first_step AS (
                SELECT DISTINCT ON (code) code, status FROM fact_steps WHERE code = ANY($6) ORDER BY code, seq),
            at_start AS (
                SELECT DISTINCT ON (code) code, status FROM fact_steps WHERE at < $4 AND code = ANY($6)
                ORDER BY code, seq DESC),
            at_end AS (
                SELECT DISTINCT ON (code) code, status, at, due_at, away FROM fact_steps WHERE at < $5 AND code = ANY($6)
                ORDER BY code, seq DESC)
            SELECT {col} AS k,
                count(*) FILTER (WHERE f.accepted_at >= $4 AND f.accepted_at < $5 AND f.channel = 'online') AS received_online,
                count(*) FILTER (WHERE f.accepted_at >= $4 AND f.accepted_at < $5 AND f.channel <> 'online') AS received_direct,
                count(*) FILTER (WHERE f.channel = 'online' AND f.received_at >= $4 AND f.received_at < $5
                                 AND fs.status = 1) AS submitted_online,
                count(*) FILTER (WHERE s.status IN (2, 4) OR (s.status IN (5, 6) AND f.accepted_at < $4)) AS s_in_processing,
                count(*) FILTER (WHERE e.status = 1 OR (e.status = 5 AND (f.accepted_at IS NULL OR f.accepted_at >= $5)))
                    AS awaiting,
                count(*) FILTER (WHERE e.status IN (2, 4) AND NOT e.away AND e.due_at >= $5) AS processing_within,
                count(*) FILTER (WHERE e.status IN (2, 4) AND NOT e.away AND e.due_at < $5) AS processing_overdue,
                count(*) FILTER (WHERE (e.status IN (5, 6) OR (e.status IN (2, 4) AND e.away)) AND f.accepted_at < $5
                                 AND (e.due_at IS NULL OR e.due_at > e.at)) AS paused_within,
                count(*) FILTER (WHERE (e.status IN (5, 6) OR (e.status IN (2, 4) AND e.away)) AND f.accepted_at < $5
                                 AND e.due_at <= e.at) AS paused_overdue
            FROM facts f LEFT JOIN first_step fs USING (code) LEFT JOIN at_start s USING (code)
                LEFT JOIN at_end e USING (code)
            WHERE {_FILTER} AND f.code = ANY($6) GROUP BY 1""",
        *filters,
        t0,
        t1,
        codes,
    )
    moves = await conn.fetch(
        f"""WITH moves AS (
                SELECT st.code, st.status, st.at, st.due_at,
                       CASE WHEN lag(st.status) OVER w IN (5, 6) OR lag(st.away) OVER w THEN lag(st.at) OVER w
                            ELSE st.at END AS clock_stopped
                FROM fact_steps st WHERE st.code = ANY($6)
                WINDOW w AS (PARTITION BY st.code ORDER BY st.seq)),
            judged AS (
                SELECT m.status, f.agency_id, f.procedure_code, f.channel,
                       f.accepted_at IS NOT NULL AND f.accepted_at <= m.at AS after_acceptance,
                       CASE WHEN m.status = 9 THEN f.compliance
                            WHEN m.clock_stopped > m.due_at THEN 'late'
                            WHEN (m.clock_stopped AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
                                 < (m.due_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date THEN 'early'
                            ELSE 'on_time' END AS judged
                FROM moves m JOIN facts f USING (code) WHERE m.at >= $4 AND m.at < $5)
            SELECT {col} AS k,
                count(*) FILTER (WHERE status = 9 OR (status IN (7, 8) AND after_acceptance)) AS resolved,
                count(*) FILTER (WHERE (status = 9 OR (status IN (7, 8) AND after_acceptance)) AND judged = 'early')
                    AS resolved_early,
                count(*) FILTER (WHERE (status = 9 OR (status IN (7, 8) AND after_acceptance)) AND judged = 'on_time')
                    AS resolved_on_time,
                count(*) FILTER (WHERE (status = 9 OR (status IN (7, 8) AND after_acceptance)) AND judged = 'late')
                    AS resolved_late,
                count(*) FILTER (WHERE status = 7 AND after_acceptance) AS withdrawn,
                count(*) FILTER (WHERE status = 7 AND NOT after_acceptance) AS withdrawn_before,
                count(*) FILTER (WHERE status = 3) AS refused,
                count(*) FILTER (WHERE status = 8) AS stopped
            FROM judged f WHERE {_FILTER} GROUP BY 1""",
        *filters,
        t0,
        t1,
        codes,
    )
    out: dict[str, GroupSums] = defaultdict(lambda: GroupSums(Counter(), Counter(), Counter()))
    for r in states:
        g = out[r["k"]]
        g.flows.update(
            received_online=r["received_online"],
            received_direct=r["received_direct"],
            submitted_online=r["submitted_online"],
        )
        # at the start only the total in processing matters (column 6)
        g.start.update(processing_within=r["s_in_processing"])
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
                for k in (
                    "resolved_early",
                    "resolved_on_time",
                    "resolved_late",
                    "withdrawn",
                    "withdrawn_before",
                    "refused",
                    "stopped",
                )
            }
        )
    return dict(out)
