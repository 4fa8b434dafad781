"""resolution's SQL: cases, their history, processed requests."""
from __future__ import annotations

from datetime import datetime

from services.resolution.domain.case import Case
from shared.lifecycle import Status

_FIELDS = ("code", "agency_id", "procedure_code", "channel", "status", "accepted_at", "due_at", "processing_hours",
           "time_type", "clock_policy", "rule_version", "last_seq", "paused_at", "paused_hours", "overdue_notified",
           "resolved_at", "compliance", "rating", "rated_at", "new_appointment_at", "apology_reason", "procedure_name")
_TYPES = ("text", "text", "text", "text", "smallint", "timestamptz", "timestamptz", "int", "text", "text", "text",
          "int", "timestamptz", "float8", "bool", "timestamptz", "text", "smallint", "timestamptz", "timestamptz",
          "text", "text")


def to_case(row) -> Case:
    values = {f: row[f] for f in _FIELDS}
    values["status"] = Status(values["status"])
    return Case(**values)


async def create_cases(conn, cases: list[Case], at: datetime) -> list[str]:
    """Insert the cases not yet known; returns the codes inserted (a redelivery inserts none)."""
    if not cases:
        return []
    cols = [[getattr(c, f) if f != "status" else int(c.status) for c in cases] for f in _FIELDS]
    arrays = ", ".join(f"${i}::{t}[]" for i, t in enumerate(_TYPES, start=1))
    rows = await conn.fetch(
        f"""INSERT INTO cases({", ".join(_FIELDS)}, updated_at)
            SELECT *, ${len(_FIELDS) + 1}::timestamptz FROM unnest({arrays})
            ON CONFLICT (code) DO NOTHING RETURNING code""",
        *cols, at,
    )
    return [r["code"] for r in rows]


async def lock_case(conn, code: str) -> Case | None:
    row = await conn.fetchrow("SELECT * FROM cases WHERE code = $1 FOR UPDATE", code)
    return to_case(row) if row else None


async def get_case(conn, code: str) -> Case | None:
    row = await conn.fetchrow("SELECT * FROM cases WHERE code = $1", code)
    return to_case(row) if row else None


async def save_case(conn, case: Case, at: datetime) -> None:
    await conn.execute(
        """UPDATE cases SET status=$2, due_at=$3, last_seq=$4, paused_at=$5, paused_hours=$6, overdue_notified=$7,
                  resolved_at=$8, compliance=$9, rating=$10, rated_at=$11, updated_at=$12,
                  new_appointment_at=$13, apology_reason=$14 WHERE code=$1""",
        case.code, int(case.status), case.due_at, case.last_seq, case.paused_at, case.paused_hours,
        case.overdue_notified, case.resolved_at, case.compliance, case.rating, case.rated_at, at,
        case.new_appointment_at, case.apology_reason,
    )


async def add_history(conn, rows: list[tuple]) -> None:
    """rows: (code, seq, event_type, from_status, to_status, actor, reason, occurred_at)"""
    await conn.executemany(
        "INSERT INTO case_history VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT DO NOTHING", rows)


async def history(conn, code: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM case_history WHERE code=$1 ORDER BY seq", code)]


async def worklist(conn, *, agency_id: str | None, status: int | None, limit: int, offset: int) -> list[Case]:
    rows = await conn.fetch(
        """SELECT * FROM cases WHERE ($1::text IS NULL OR agency_id = $1) AND ($2::smallint IS NULL OR status = $2)
           ORDER BY due_at, code LIMIT $3 OFFSET $4""",
        agency_id, status, limit, offset,
    )
    return [to_case(r) for r in rows]


async def lock_newly_overdue(conn, now: datetime, limit: int) -> list[Case]:
    rows = await conn.fetch(
        """SELECT * FROM cases WHERE status IN (2, 4) AND NOT overdue_notified AND due_at <= $1
           ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit,
    )
    return [to_case(r) for r in rows]


async def mark_request(conn, request_id, code: str, outcome: str) -> bool:
    """False when the request was already processed (a redelivery)."""
    done = await conn.fetchval(
        "INSERT INTO processed_requests(request_id, dossier_code, outcome) VALUES ($1,$2,$3) "
        "ON CONFLICT DO NOTHING RETURNING true", request_id, code, outcome)
    return bool(done)


_EXPORT_COLUMNS = "code, agency_id, procedure_code, channel, status, last_seq, due_at, compliance, resolved_at, rating"
_EXPORT = f"""SELECT {_EXPORT_COLUMNS} FROM cases WHERE ($1::text IS NULL OR agency_id = $1) ORDER BY code COLLATE "C" """


async def export_batches(conn, agency_id: str | None, batch: int):
    """Every case ordered by code (byte order, as Python compares strings), `batch` rows at a time
    from a server-side cursor, so millions of cases stream without being held in memory. Call
    inside a transaction."""
    cursor = await conn.cursor(_EXPORT, agency_id)
    while rows := await cursor.fetch(batch):
        yield rows


async def export_lookup(conn, codes: list[str]) -> list:
    return await conn.fetch(f"SELECT {_EXPORT_COLUMNS} FROM cases WHERE code = ANY($1::text[]) ORDER BY code", codes)
