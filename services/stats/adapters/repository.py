"""stats' SQL: set-based reads and writes of facts and counters, one round trip each."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from services.stats.domain.projection import Fact

_FACT_COLS = ("code", "agency_id", "procedure_code", "channel", "status", "overdue", "received_at", "accepted_at",
              "due_at", "resolved_at", "compliance", "last_seq")


async def lock_partitions(conn, partitions: set[int]) -> None:
    # Two instances may hold one partition for a moment during a rebalance; this lock
    # makes the second wait and then see the first one's marks, so nothing is applied twice.
    await conn.execute("SELECT pg_advisory_xact_lock(4242, p) FROM (SELECT unnest($1::int[]) AS p ORDER BY 1) s",
                       sorted(partitions))


async def load_facts(conn, codes: list[str]) -> dict[str, Fact]:
    rows = await conn.fetch(f"SELECT {', '.join(_FACT_COLS)} FROM facts WHERE code = ANY($1::text[])", codes)
    return {r["code"]: Fact(**dict(r)) for r in rows}


async def save_facts(conn, facts: list[Fact]) -> None:
    if not facts:
        return
    cols = [[getattr(f, c) for f in facts] for c in _FACT_COLS] + [[f.bucket for f in facts]]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _FACT_COLS[1:] + ("bucket",))
    await conn.execute(
        f"""INSERT INTO facts({', '.join(_FACT_COLS)}, bucket)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::smallint[], $6::bool[],
                $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::int[],
                $13::text[])
            ON CONFLICT (code) DO UPDATE SET {updates}""",
        *cols,
    )


async def add_board(conn, deltas: Counter) -> None:
    rows = [(*dims, bucket, n) for (dims, bucket), n in deltas.items() if n]
    if not rows:
        return
    await conn.execute(
        """INSERT INTO board_counters AS b (agency_id, procedure_code, channel, bucket, n)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])
           ON CONFLICT (agency_id, procedure_code, channel, bucket) DO UPDATE SET n = b.n + EXCLUDED.n""",
        *[list(c) for c in zip(*rows)],
    )


async def add_daily(conn, deltas: Counter) -> None:
    rows = [(day, *dims, metric, n) for (day, dims, metric), n in deltas.items()]
    if not rows:
        return
    await conn.execute(
        """INSERT INTO daily_counters AS d (day, agency_id, procedure_code, channel, metric, n)
           SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
           ON CONFLICT (day, agency_id, procedure_code, channel, metric) DO UPDATE SET n = d.n + EXCLUDED.n""",
        *[list(c) for c in zip(*rows)],
    )


_FILTER = "($1::text IS NULL OR agency_id = $1) AND ($2::text IS NULL OR procedure_code = $2) " \
          "AND ($3::text IS NULL OR channel = $3)"


async def board_totals(conn, agency: str | None, procedure: str | None, channel: str | None) -> dict[str, int]:
    rows = await conn.fetch(f"SELECT bucket, sum(n)::bigint AS n FROM board_counters WHERE {_FILTER} GROUP BY bucket",
                            agency, procedure, channel)
    return {r["bucket"]: r["n"] for r in rows}


async def daily_totals(conn, day: date, agency, procedure, channel) -> dict[str, int]:
    rows = await conn.fetch(
        f"SELECT metric, sum(n)::bigint AS n FROM daily_counters WHERE {_FILTER} AND day = $4 GROUP BY metric",
        agency, procedure, channel, day)
    return {r["metric"]: r["n"] for r in rows}


async def due_soon(conn, before: datetime, agency, procedure, channel) -> int:
    return await conn.fetchval(
        f"SELECT count(*) FROM facts WHERE bucket = 'processing_within' AND due_at < $4 AND {_FILTER}",
        agency, procedure, channel, before)
