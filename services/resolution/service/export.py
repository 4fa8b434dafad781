"""The status of every case as NDJSON, for stats' reconciliation (no personal data is in a case)."""
from __future__ import annotations

import json
from typing import AsyncIterator

import asyncpg

from services.resolution.adapters import repository as repo

BATCH = 2000


def _line(row) -> str:
    return json.dumps({
        "code": row["code"], "agency_id": row["agency_id"], "procedure_code": row["procedure_code"],
        "channel": row["channel"], "status": row["status"], "last_seq": row["last_seq"],
        "due_at": row["due_at"].isoformat() if row["due_at"] else None, "compliance": row["compliance"],
        "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None, "rating": row["rating"],
    }, ensure_ascii=False) + "\n"


async def export_cases(pool: asyncpg.Pool, agency_id: str | None = None) -> AsyncIterator[bytes]:
    """One line per case, ordered by code, one chunk per cursor batch. One repeatable-read
    snapshot, so the export is consistent even while cases move."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        async for rows in repo.export_batches(conn, agency_id, BATCH):
            yield "".join(_line(r) for r in rows).encode()
