"""The record of reconciliation runs (table reconcile_runs), and the lock that lets one run at a time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

RUN_LOCK = 4243  # advisory lock held by the connection of the run in progress, whichever process runs it


@dataclass(frozen=True)
class Run:
    id: int
    scope: str
    with_resolution: bool
    requested_by: str
    state: str  # running, done, failed
    started_at: datetime
    finished_at: datetime | None
    result: dict | None
    error: dict | None  # message_vi, message_en


def _run(row) -> Run:
    values = dict(row)
    for key in ("result", "error"):
        values[key] = json.loads(values[key]) if values[key] is not None else None
    return Run(**values)


async def try_lock(conn: asyncpg.Connection) -> bool:
    """Whether this connection now holds the run lock (released when it closes, however the run ends)."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", RUN_LOCK))


async def begin(conn: asyncpg.Connection, scope: str, with_resolution: bool, requested_by: str, now: datetime) -> Run:
    """Record a run starting; call holding the lock. A run still marked running has lost its
    process (its lock is gone, or we could not hold it): it is marked failed."""
    await conn.execute(
        """UPDATE reconcile_runs SET state = 'failed', finished_at = $1,
                  error = '{"message_vi": "Lượt đối soát bị gián đoạn (dịch vụ dừng giữa chừng)",
                            "message_en": "The run was interrupted (its process stopped)"}'::jsonb
           WHERE state = 'running'""",
        now,
    )
    row = await conn.fetchrow(
        """INSERT INTO reconcile_runs (scope, with_resolution, requested_by, state, started_at)
           VALUES ($1, $2, $3, 'running', $4) RETURNING *""",
        scope,
        with_resolution,
        requested_by,
        now,
    )
    return _run(row)


async def finish(conn, run_id: int, now: datetime, *, result: dict | None = None, error: dict | None = None) -> None:
    await conn.execute(
        "UPDATE reconcile_runs SET state = $2, finished_at = $3, result = $4::jsonb, error = $5::jsonb WHERE id = $1",
        run_id,
        "failed" if error is not None else "done",
        now,
        json.dumps(result, ensure_ascii=False) if result is not None else None,
        json.dumps(error, ensure_ascii=False) if error is not None else None,
    )


async def get(conn, run_id: int) -> Run | None:
    row = await conn.fetchrow("SELECT * FROM reconcile_runs WHERE id = $1", run_id)
    return _run(row) if row else None


async def running(conn) -> Run | None:
    """The run in progress: marked running, and its lock held (a row whose process died is not)."""
    row = await conn.fetchrow(
        """SELECT * FROM reconcile_runs WHERE state = 'running' AND EXISTS (
               SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1
                 AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
           ORDER BY id DESC LIMIT 1""",
        RUN_LOCK,
    )
    return _run(row) if row else None


async def last_done(conn) -> Run | None:
    row = await conn.fetchrow(
        "SELECT * FROM reconcile_runs WHERE state = 'done' ORDER BY finished_at DESC, id DESC LIMIT 1"
    )
    return _run(row) if row else None
