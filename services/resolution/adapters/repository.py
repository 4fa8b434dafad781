"""resolution's SQL: cases, their control slips, processed requests and the export.

One `ResolutionRepository` per unit of work, on its connection; rows come back as `Case` and
`SlipEntry`, never read by position.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from uuid import UUID

import asyncpg

from services.resolution.domain.assignment import Handover, Staffer
from services.resolution.domain.case import Case, SlipEntry
from shared.events import ProcessStep
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
    "process",
    "requires_approval",
    "assignee",
    "step",
    "step_due_at",
    "approved_by",
    "approved_at",
    "away_agency_id",
    "away_since",
    "away_step",
    "away_clock",
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
    "text",
    "bool",
    "text",
    "int",
    "timestamptz",
    "text",
    "timestamptz",
    "text",
    "timestamptz",
    "int",
    "text",
)
_SLIP_TYPES = ("text", "int", "text", "smallint", "smallint", "text", "text", "timestamptz")
_EXPORT_COLUMNS = "code, agency_id, procedure_code, channel, status, last_seq, due_at, compliance, resolved_at, rating"
_EXPORT = (
    f"""SELECT {_EXPORT_COLUMNS} FROM cases WHERE ($1::text IS NULL OR agency_id = $1) ORDER BY code COLLATE "C" """
)


_HANDOVER_TYPES = ("text", "int", "int", "text", "text", "text", "text", "timestamptz", "timestamptz")
_HANDOVER_COLUMNS = "code, seq, step, step_name, from_assignee, assignee, actor, at, step_due_at"
_OPEN = "status IN (2, 4, 5, 6)"
# The worklist's views inside an agency (service/assignments.py): $2 is the signed-in account.
_VIEWS = {
    "mine": f"assignee = $2 AND {_OPEN}",
    "unassigned": f"assignee IS NULL AND {_OPEN} AND $2::text IS NOT NULL",
    "awaiting_approval": "requires_approval AND approved_at IS NULL AND status = 4 AND $2::text IS NOT NULL",
}


def _process_column(case: Case) -> str | None:
    return json.dumps([s.model_dump() for s in case.process], ensure_ascii=False) if case.process else None


def to_case(row) -> Case:
    values = {f: row[f] for f in _FIELDS}
    values["status"] = Status(values["status"])
    values["process"] = tuple(ProcessStep.model_validate(s) for s in json.loads(values["process"] or "[]"))
    return Case(**values)


class ResolutionRepository:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def create_cases(self, cases: list[Case], at: datetime) -> list[str]:
        """Insert the cases not yet known; returns the codes inserted (a redelivery inserts none)."""
        if not cases:
            return []
        special = {"status": lambda c: int(c.status), "process": _process_column}
        cols = [[special[f](c) if f in special else getattr(c, f) for c in cases] for f in _FIELDS]
        rows = await self.conn.fetch(
            f"""INSERT INTO cases({", ".join(_FIELDS)}, updated_at)
                SELECT *, ${len(_FIELDS) + 1}::timestamptz FROM unnest({unnest_arrays(_TYPES)})
                ON CONFLICT (code) DO NOTHING RETURNING code""",
            *cols,
            at,
        )
        return [r["code"] for r in rows]

    async def store_result(self, code: str, pdf: bytes, at: datetime) -> None:
        """The signed PDF of an electronic result (a case is decided once)."""
        await self.conn.execute(
            "INSERT INTO electronic_results(code, pdf, size_bytes, sha256, stored_at) VALUES ($1, $2, $3, $4, $5)",
            code,
            pdf,
            len(pdf),
            hashlib.sha256(pdf).hexdigest(),
            at,
        )

    async def result_pdf(self, code: str) -> bytes | None:
        found = await self.conn.fetchval("SELECT pdf FROM electronic_results WHERE code = $1", code)
        return bytes(found) if found is not None else None

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
                      new_appointment_at=$13, apology_reason=$14, assignee=$15, step=$16, step_due_at=$17,
                      approved_by=$18, approved_at=$19, away_agency_id=$20, away_since=$21, away_step=$22,
                      away_clock=$23 WHERE code=$1""",
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
            case.assignee,
            case.step,
            case.step_due_at,
            case.approved_by,
            case.approved_at,
            case.away_agency_id,
            case.away_since,
            case.away_step,
            case.away_clock,
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

    async def worklist_view(
        self, *, agency_id: str | None, view: str, username: str, limit: int, offset: int
    ) -> list[Case]:
        """One of `_VIEWS` ("mine", "unassigned", "awaiting_approval"), earliest due first."""
        rows = await self.conn.fetch(
            f"""SELECT * FROM cases WHERE ($1::text IS NULL OR agency_id = $1) AND {_VIEWS[view]}
                ORDER BY due_at, code LIMIT $3 OFFSET $4""",
            agency_id,
            username,
            limit,
            offset,
        )
        return [to_case(r) for r in rows]

    async def away_at(self, agency_id: str | None, limit: int, offset: int) -> list[Case]:
        """Open cases another agency sent to `agency_id` (liên thông), earliest due first."""
        rows = await self.conn.fetch(
            f"""SELECT * FROM cases WHERE away_agency_id IS NOT NULL AND ($1::text IS NULL OR away_agency_id = $1)
                AND {_OPEN} ORDER BY due_at, code LIMIT $2 OFFSET $3""",
            agency_id,
            limit,
            offset,
        )
        return [to_case(r) for r in rows]

    async def add_handovers(self, handovers: list[Handover]) -> None:
        await unnest_insert(
            self.conn,
            f"case_handovers({_HANDOVER_COLUMNS})",
            _HANDOVER_TYPES,
            handovers,
            on_conflict="ON CONFLICT DO NOTHING",
        )

    async def handovers(self, code: str) -> list[Handover]:
        rows = await self.conn.fetch(f"SELECT {_HANDOVER_COLUMNS} FROM case_handovers WHERE code=$1 ORDER BY seq", code)
        return [Handover(*r) for r in rows]

    async def staffer(self, username: str) -> Staffer | None:
        row = await self.conn.fetchrow(
            "SELECT username, role, agency_id, active FROM staff_accounts WHERE username = $1", username
        )
        return Staffer(*row) if row else None

    async def staff_loads(self, agency_id: str) -> list[tuple[Staffer, int]]:
        """The agency's officers and leaders with how many open cases each holds."""
        rows = await self.conn.fetch(
            f"""SELECT a.username, a.role, a.agency_id, a.active,
                       (SELECT count(*) FROM cases c WHERE c.assignee = a.username AND c.{_OPEN}) AS load
                FROM staff_accounts a WHERE a.agency_id = $1 AND a.role IN ('officer', 'leader')
                ORDER BY a.username""",
            agency_id,
        )
        return [(Staffer(r["username"], r["role"], r["agency_id"], r["active"]), r["load"]) for r in rows]

    async def lock_newly_overdue(self, now: datetime, limit: int) -> list[Case]:
        rows = await self.conn.fetch(
            """SELECT * FROM cases WHERE status IN (2, 4) AND NOT overdue_notified AND due_at <= $1
                 AND (away_clock IS DISTINCT FROM 'pauses' OR away_agency_id IS NULL)
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
