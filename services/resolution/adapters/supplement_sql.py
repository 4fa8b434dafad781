"""resolution's SQL of form 02 after acceptance (the papers asked for, the cases whose time ran
out) and of what forms 04 and 05 print besides the case (the agency's name)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import asyncpg

from services.resolution.adapters.repository import to_case
from services.resolution.domain.case import Case


class CaseSupplement(NamedTuple):
    code: str
    missing_documents: list[str]
    requested_at: datetime
    due_at: datetime


class SupplementSql:
    """On the unit of work's connection: `SupplementSql(uow.repo.conn)`."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def save_request(self, request: CaseSupplement) -> None:
        """The latest request replaces an earlier one (its papers came, or it is asked again)."""
        await self.conn.execute(
            """INSERT INTO case_supplements(code, missing_documents, requested_at, due_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (code) DO UPDATE SET missing_documents = EXCLUDED.missing_documents,
                      requested_at = EXCLUDED.requested_at, due_at = EXCLUDED.due_at""",
            request.code,
            json.dumps(request.missing_documents, ensure_ascii=False),
            request.requested_at,
            request.due_at,
        )

    async def request_of(self, code: str) -> CaseSupplement | None:
        row = await self.conn.fetchrow(
            "SELECT code, missing_documents, requested_at, due_at FROM case_supplements WHERE code = $1", code
        )
        if row is None:
            return None
        return CaseSupplement(row["code"], json.loads(row["missing_documents"]), row["requested_at"], row["due_at"])

    async def lock_lapsed(self, now: datetime, limit: int) -> list[tuple[Case, datetime]]:
        """Cases waiting for papers (5) whose time has passed, locked; those another instance holds
        are skipped (it is stopping them)."""
        rows = await self.conn.fetch(
            """SELECT c.*, s.due_at AS supplement_due_at FROM cases c JOIN case_supplements s USING (code)
               WHERE c.status = 5 AND s.due_at <= $1
               ORDER BY s.due_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED""",
            now,
            limit,
        )
        return [(to_case(r), r["supplement_due_at"]) for r in rows]

    async def remember_agencies(self, names: dict[str, str | None]) -> None:
        """The agency names of newly opened cases (a redelivery changes nothing)."""
        if names:
            await self.conn.execute(
                """INSERT INTO case_agencies(code, agency_name) SELECT * FROM unnest($1::text[], $2::text[])
                   ON CONFLICT DO NOTHING""",
                list(names),
                list(names.values()),
            )

    async def agency_name(self, code: str) -> str | None:
        return await self.conn.fetchval("SELECT agency_name FROM case_agencies WHERE code = $1", code)
