"""resolution's SQL: cases, their control slips, processed requests and the export.

One `ResolutionRepository` per unit of work, on its connection; rows come back as `Case` and
`SlipEntry`, never read by position.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

import asyncpg

from services.resolution.domain.case import Case, SlipEntry
from shared.lifecycle import Status
from shared.sql import unnest_arrays, unnest_insert

_FIELDS = (
    "code",
    "agency_id",
    "procedure_code",
    "channel",
    "status",
    "accepted_at",
    "due_at",
    "processing_hours",
    "time_type",
    "clock_policy",
    "rule_version",
    "last_seq",
    "paused_at",
    "paused_hours",
    "overdue_notified",
    "resolved_at",
    "compliance",
    "rating",
    "rated_at",
    "new_appointment_at",
    "apology_reason",
    "procedure_name",
)
_TYPES = (
    "text",
    "text",
    "text",
    "text",
    "smallint",
    "timestamptz",
    "timestamptz",
    "int",
    "text",
    "text",
    "text",
    "int",
    "timestamptz",
    "float8",
    "bool",
    "timestamptz",
    "text",
    "smallint",
    "timestamptz",
    "timestamptz",
    "text",
    "text",
)
_SLIP_TYPES = ("text", "int", "text", "smallint", "smallint", "text", "text", "timestamptz")
_EXPORT_COLUMNS = "code, agency_id, procedure_code, channel, status, last_seq, due_at, compliance, resolved_at, rating"
_EXPORT = (
    f"""SELECT {_EXPORT_COLUMNS} FROM cases WHERE ($1::text IS NULL OR agency_id = $1) ORDER BY code COLLATE "C" """
)


def to_case(row) -> Case:
    values = {f: row[f] for f in _FIELDS}
    values["status"] = Status(values["status"])
    return Case(**values)


class ResolutionRepository:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def create_cases(self, cases: list[Case], at: datetime) -> list[str]:
        """Insert the cases not yet known; returns the codes inserted (a redelivery inserts none)."""
        if not cases:
            return []
        cols = [[getattr(c, f) if f != "status" else int(c.status) for c in cases] for f in _FIELDS]
        rows = await self.conn.fetch(
            f"""INSERT INTO cases({", ".join(_FIELDS)}, updated_at)
                SELECT *, ${len(_FIELDS) + 1}::timestamptz FROM unnest({unnest_arrays(_TYPES)})
                ON CONFLICT (code) DO NOTHING RETURNING code""",
            *cols,
            at,
        )
        return [r["code"] for r in rows]

    async def lock_case(self, code: str) -> Case | None:
        row = await self.conn.fetchrow("SELECT * FROM cases WHERE code = $1 FOR UPDATE", code)
        return to_case(row) if row else None

    async def get_case(self, code: str) -> Case | None:
        row = await self.conn.fetchrow("SELECT * FROM cases WHERE code = $1", code)
        return to_case(row) if row else None

    async def save_case(self, case: Case, at: datetime) -> None:
        await self.conn.execute(
            """UPDATE cases SET status=$2, due_at=$3, last_seq=$4, paused_at=$5, paused_hours=$6, overdue_notified=$7,
                      resolved_at=$8, compliance=$9, rating=$10, rated_at=$11, updated_at=$12,
                      new_appointment_at=$13, apology_reason=$14 WHERE code=$1""",
            case.code,
            int(case.status),
            case.due_at,
            case.last_seq,
            case.paused_at,
            case.paused_hours,
            case.overdue_notified,
            case.resolved_at,
            case.compliance,
            case.rating,
            case.rated_at,
            at,
            case.new_appointment_at,
            case.apology_reason,
        )

    async def add_slip(self, entries: list[SlipEntry]) -> None:
        """Keyed by (code, seq): an entry written again changes nothing."""
        await unnest_insert(
            self.conn,
            "case_history(code, seq, event_type, from_status, to_status, actor, reason, occurred_at)",
            _SLIP_TYPES,
            entries,
            on_conflict="ON CONFLICT DO NOTHING",
        )

    async def slip(self, code: str) -> list[SlipEntry]:
        rows = await self.conn.fetch(
            "SELECT code, seq, event_type, from_status, to_status, actor, reason, occurred_at FROM case_history "
            "WHERE code=$1 ORDER BY seq",
            code,
        )
        return [SlipEntry(*r) for r in rows]

    async def worklist(self, *, agency_id: str | None, status: int | None, limit: int, offset: int) -> list[Case]:
        rows = await self.conn.fetch(
            """SELECT * FROM cases WHERE ($1::text IS NULL OR agency_id = $1) AND ($2::smallint IS NULL OR status = $2)
               ORDER BY due_at, code LIMIT $3 OFFSET $4""",
            agency_id,
            status,
            limit,
            offset,
        )
        return [to_case(r) for r in rows]

    async def lock_newly_overdue(self, now: datetime, limit: int) -> list[Case]:
        rows = await self.conn.fetch(
            """SELECT * FROM cases WHERE status IN (2, 4) AND NOT overdue_notified AND due_at <= $1
               ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
            now,
            limit,
        )
        return [to_case(r) for r in rows]

    async def mark_request(self, request_id: UUID, code: str, outcome: str) -> bool:
        """False when the request was already processed (a redelivery)."""
        done = await self.conn.fetchval(
            "INSERT INTO processed_requests(request_id, dossier_code, outcome) VALUES ($1,$2,$3) "
            "ON CONFLICT DO NOTHING RETURNING true",
            request_id,
            code,
            outcome,
        )
        return bool(done)

    async def export_batches(self, agency_id: str | None, batch: int) -> AsyncIterator[list]:
        """Every case ordered by code (byte order, as Python compares strings), `batch` rows at a time
        from a server-side cursor, so millions of cases stream without being held in memory. Call
        inside a transaction."""
        cursor = await self.conn.cursor(_EXPORT, agency_id)
        while rows := await cursor.fetch(batch):
            yield rows

    async def unpublished_events(self) -> int:
        """Events committed but not yet published by the outbox relay."""
        return await self.conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

    async def export_lookup(self, codes: list[str]) -> list:
        return await self.conn.fetch(
            f"SELECT {_EXPORT_COLUMNS} FROM cases WHERE code = ANY($1::text[]) ORDER BY code", codes
        )
