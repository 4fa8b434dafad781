"""stats' SQL for ingestion and the live board: set-based reads and writes, one round trip each.
Unqualified table names resolve to the active generation (generations.use_active)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

from services.stats.adapters.generations import PARTITION_LOCK
from services.stats.domain.projection import Fact
from shared.sql import columns, unnest_arrays, unnest_insert

_FACT_COLS = Fact._fields  # one column per field, in order: rows map to facts without names
_FACT_TYPES = (  # of those columns, in the same order, then of the bucket
    "text",
    "text",
    "text",
    "text",
    "smallint",
    "bool",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "text",
    "float8",
    "smallint",
    "int",
    "text",
    "bool",
    "text",
)


async def lock_partitions(conn, partitions: set[int]) -> None:
    # Two instances may hold one partition for a moment during a rebalance; this lock
    # makes the second wait and then see the first one's marks, so nothing is applied twice.
    await conn.execute(
        "SELECT pg_advisory_xact_lock($2, p) FROM (SELECT unnest($1::int[]) AS p ORDER BY 1) s",
        sorted(partitions),
        PARTITION_LOCK,
    )


async def load_facts(conn, codes: list[str]) -> dict[str, Fact]:
    rows = await conn.fetch(f"SELECT {', '.join(_FACT_COLS)} FROM facts WHERE code = ANY($1::text[])", codes)
    return {r["code"]: Fact._make(r) for r in rows}


async def save_facts(conn, facts: list[Fact]) -> None:
    if not facts:
        return
    updates = ", ".join(
        [f"{c} = EXCLUDED.{c}" for c in (*_FACT_COLS[1:], "bucket")] + ["written = nextval('fact_writes')"]
    )
    await conn.execute(
        f"""INSERT INTO facts({", ".join(_FACT_COLS)}, bucket) SELECT * FROM unnest({unnest_arrays(_FACT_TYPES)})
            ON CONFLICT (code) DO UPDATE SET {updates}""",
        *columns(facts),
        [f.bucket for f in facts],
    )


async def add_steps(conn, steps: list[tuple]) -> None:
    """(code, seq, status, at, due_at, away) of each status change (and trip away with a paused clock). Binary COPY, several times faster
    than INSERT for thousands of rows; a step is new by construction (it comes only from an
    event past its fact's seq mark, in the transaction that moves the mark)."""
    if steps:
        await conn.copy_records_to_table(
            "fact_steps", records=steps, columns=("code", "seq", "status", "at", "due_at", "away")
        )


async def save_attributes(conn, attributes: dict[tuple[str, str, str], str]) -> None:
    """{(kind, id, attribute): value}: an agency's level, a procedure's field and online level."""
    if attributes:
        rows = sorted((*key, value) for key, value in attributes.items())
        await conn.execute(
            """INSERT INTO dimension_attributes AS d (kind, id, name, value)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
               ON CONFLICT (kind, id, name) DO UPDATE SET value = EXCLUDED.value WHERE d.value <> EXCLUDED.value""",
            *columns(rows),
        )


async def save_received_on_behalf(conn, rows: list[tuple[str, str, str, datetime]]) -> None:
    """(code, receiving agency, competent agency, received at) of dossiers another agency took in."""
    await unnest_insert(
        conn,
        "received_on_behalf(code, receiving_agency_id, agency_id, received_at)",
        ("text", "text", "text", "timestamptz"),
        sorted(rows),
        on_conflict="ON CONFLICT (code) DO NOTHING",
    )


async def save_names(conn, names: dict[tuple[str, str], str]) -> None:
    if names:
        rows = sorted((kind, id_, name) for (kind, id_), name in names.items())
        await conn.execute(
            """INSERT INTO dimension_names AS d (kind, id, name) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
               ON CONFLICT (kind, id) DO UPDATE SET name = EXCLUDED.name WHERE d.name <> EXCLUDED.name""",
            *columns(rows),
        )


# ORDER BY: concurrent batches (two instances) lock the counter rows they share in one order, so
# they wait for each other instead of deadlocking.
async def add_board(conn, deltas: Counter) -> None:
    """{(dims, bucket): n}"""
    rows = [(*dims, bucket, n) for (dims, bucket), n in deltas.items() if n]
    if rows:
        await conn.execute(
            """INSERT INTO board_counters AS b (agency_id, procedure_code, channel, bucket, n)
               SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) ORDER BY 1, 2, 3, 4
               ON CONFLICT (agency_id, procedure_code, channel, bucket) DO UPDATE SET n = b.n + EXCLUDED.n""",
            *columns(rows),
        )


async def add_daily(conn, deltas: Counter) -> None:
    """{(day, dims, metric): n} added to the daily counters and, summed per month, to the monthly ones."""
    rows = [(day, *dims, metric, n) for (day, dims, metric), n in deltas.items() if n]
    if rows:
        await conn.execute(
            """WITH input AS (
                   SELECT * FROM unnest($1::date[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
                       AS u(day, agency_id, procedure_code, channel, metric, n)),
               daily AS (
                   INSERT INTO daily_counters AS d (day, agency_id, procedure_code, channel, metric, n)
                   SELECT * FROM input ORDER BY 1, 2, 3, 4, 5
                   ON CONFLICT (day, agency_id, procedure_code, channel, metric) DO UPDATE SET n = d.n + EXCLUDED.n)
               INSERT INTO monthly_counters AS m (month, agency_id, procedure_code, channel, metric, n)
               SELECT date_trunc('month', day)::date, agency_id, procedure_code, channel, metric, sum(n)
               FROM input GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
               ON CONFLICT (month, agency_id, procedure_code, channel, metric) DO UPDATE SET n = m.n + EXCLUDED.n""",
            *columns(rows),
        )


_FILTER = (
    "($1::text IS NULL OR agency_id = $1) AND ($2::text IS NULL OR procedure_code = $2) "
    "AND ($3::text IS NULL OR channel = $3)"
)
GROUP_COLUMNS = {None: "''", "agency": "agency_id", "procedure": "procedure_code", "channel": "channel"}


def _grouped(rows, field: str) -> dict[Any, dict[str, int]]:
    out: dict[Any, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["k"], {})[r[field]] = r["n"]
    return out


async def board_totals(conn, filters: tuple, group: str | None = None) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS[group]} AS k, bucket, sum(n)::bigint AS n FROM board_counters "
        f"WHERE {_FILTER} GROUP BY 1, 2",
        *filters,
    )
    return _grouped(rows, "bucket")


async def daily_totals(conn, day: date, filters: tuple, group: str | None = None) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS[group]} AS k, metric, sum(n)::bigint AS n FROM daily_counters "
        f"WHERE {_FILTER} AND day = $4 GROUP BY 1, 2",
        *filters,
        day,
    )
    return _grouped(rows, "metric")


async def due_soon(conn, before: datetime, filters: tuple, group: str | None = None) -> dict[str, int]:
    rows = await conn.fetch(
        f"SELECT {GROUP_COLUMNS[group]} AS k, count(*) AS n FROM facts "
        f"WHERE bucket = 'processing_within' AND due_at < $4 AND {_FILTER} GROUP BY 1",
        *filters,
        before,
    )
    return {r["k"]: r["n"] for r in rows}


async def days_series(conn, first: date, last: date, filters: tuple) -> dict[date, dict[str, int]]:
    rows = await conn.fetch(
        f"""SELECT day AS k, metric, sum(n)::bigint AS n FROM daily_counters
            WHERE day BETWEEN $4 AND $5 AND metric IN ('received', 'resolved_early', 'resolved_on_time', 'resolved_late')
              AND {_FILTER} GROUP BY 1, 2""",
        *filters,
        first,
        last,
    )
    return _grouped(rows, "metric")


async def overdue_list(conn, filters: tuple, limit: int) -> tuple[int, list]:
    where = f"bucket IN ('processing_overdue', 'paused_overdue') AND {_FILTER}"
    total = await conn.fetchval(f"SELECT count(*) FROM facts WHERE {where}", *filters)
    rows = await conn.fetch(
        f"""SELECT f.code, f.agency_id, f.procedure_code, f.channel, f.status, f.due_at,
                   a.name AS agency_name, p.name AS procedure_name
            FROM facts f
            LEFT JOIN dimension_names a ON a.kind = 'agency' AND a.id = f.agency_id
            LEFT JOIN dimension_names p ON p.kind = 'procedure' AND p.id = f.procedure_code
            WHERE {where} ORDER BY f.due_at, f.code LIMIT $4""",
        *filters,
        limit,
    )
    return total, rows


async def attribute(conn, kind: str, name: str) -> dict[str, str]:
    """{id: value} of one attribute (an agency's level; a procedure's field or online level)."""
    rows = await conn.fetch("SELECT id, value FROM dimension_attributes WHERE kind = $1 AND name = $2", kind, name)
    return {r["id"]: r["value"] for r in rows}


async def names(conn, kind: str) -> dict[str, str]:
    return {r["id"]: r["name"] for r in await conn.fetch("SELECT id, name FROM dimension_names WHERE kind = $1", kind)}
