"""intake's SQL of form 02 before acceptance: the papers asked for, and the dossiers whose time ran out."""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

import asyncpg


class SupplementRequest(NamedTuple):
    """Form 02 as intake keeps it: the papers asked for, why, by whom, when, by when."""

    code: str
    seq: int
    missing_documents: list[str]
    reason: str | None
    requested_by: str
    requested_at: datetime
    due_at: datetime


class SupplementSql:
    conn: asyncpg.Connection

    async def add_supplement_request(self, request: SupplementRequest) -> None:
        await self.conn.execute(
            """INSERT INTO supplement_requests(code, seq, missing_documents, reason, requested_by, requested_at, due_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
            request.code,
            request.seq,
            json.dumps(request.missing_documents, ensure_ascii=False),
            request.reason,
            request.requested_by,
            request.requested_at,
            request.due_at,
        )

    async def latest_supplement_request(self, code: str) -> SupplementRequest | None:
        row = await self.conn.fetchrow(
            """SELECT code, seq, missing_documents, reason, requested_by, requested_at, due_at
               FROM supplement_requests WHERE code = $1 ORDER BY seq DESC LIMIT 1""",
            code,
        )
        if row is None:
            return None
        return SupplementRequest(**{**dict(row), "missing_documents": json.loads(row["missing_documents"])})

    async def lock_lapsed_supplements(self, now: datetime, limit: int) -> list[str]:
        """Codes of dossiers waiting for papers before acceptance whose latest request's time has
        passed with nothing uploaded for it since, locked; rows another instance holds are skipped
        (it is handling them). Papers the citizen uploaded in time wait for the counter's check."""
        rows = await self.conn.fetch(
            """SELECT d.code FROM dossiers d
               JOIN LATERAL (SELECT s.due_at, s.requested_at FROM supplement_requests s WHERE s.code = d.code
                             ORDER BY s.seq DESC LIMIT 1) s ON true
               WHERE d.status = 5 AND d.accepted_at IS NULL AND s.due_at <= $1
                 AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.code = d.code AND a.purpose = 'supplement'
                                 AND a.uploaded_at >= s.requested_at AND a.uploaded_at <= s.due_at)
               ORDER BY s.due_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED""",
            now,
            limit,
        )
        return [r["code"] for r in rows]
