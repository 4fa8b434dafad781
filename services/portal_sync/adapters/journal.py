"""The connector's journal in its own PostgreSQL database (migrations/001_init.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.portal_sync.domain.mapping import CallKind, PortalCall


@dataclass(frozen=True)
class Queued:
    """A call not yet acknowledged, as the sender takes it."""

    id: int
    call: PortalCall
    state: str


async def last_seqs(conn: asyncpg.Connection, codes: list[str]) -> dict[str, int]:
    """The last event taken of each dossier the portal was told of (locked until commit: two
    instances taking the same dossier during a rebalance queue each call once)."""
    rows = await conn.fetch(
        "SELECT dossier_code, last_seq FROM portal_dossiers WHERE dossier_code = ANY($1::text[]) FOR UPDATE",
        codes,
    )
    return {r["dossier_code"]: r["last_seq"] for r in rows}


async def record(conn: asyncpg.Connection, seqs: dict[str, int], calls: list[PortalCall]) -> None:
    """Queue `calls` (in order) and move each dossier's last seq."""
    await conn.executemany(
        "INSERT INTO portal_calls (dossier_code, seq, kind, body) VALUES ($1, $2, $3, $4::jsonb) "
        "ON CONFLICT (dossier_code, seq) DO NOTHING",
        [(c.dossier_code, c.seq, c.kind.value, json.dumps(c.body, ensure_ascii=False)) for c in calls],
    )
    await conn.executemany(
        "INSERT INTO portal_dossiers (dossier_code, last_seq) VALUES ($1, $2) "
        "ON CONFLICT (dossier_code) DO UPDATE SET last_seq = GREATEST(portal_dossiers.last_seq, EXCLUDED.last_seq), "
        "updated_at = now()",
        list(seqs.items()),
    )


async def unsent(pool: asyncpg.Pool, limit: int) -> list[Queued]:
    """Calls to send, in the order they were queued; none of a dossier with a refused call (its
    later calls would be out of order until an operator re-queues it)."""
    rows = await pool.fetch(
        """
        SELECT id, dossier_code, seq, kind, body, state FROM portal_calls c
        WHERE state IN ('pending', 'sending')
          AND NOT EXISTS (SELECT 1 FROM portal_calls r WHERE r.dossier_code = c.dossier_code AND r.state = 'rejected')
        ORDER BY id LIMIT $1
        """,
        limit,
    )
    return [
        Queued(r["id"], PortalCall(CallKind(r["kind"]), r["dossier_code"], r["seq"], json.loads(r["body"])), r["state"])
        for r in rows
    ]


async def mark_sending(pool: asyncpg.Pool, call_id: int) -> None:
    await pool.execute("UPDATE portal_calls SET state = 'sending', attempts = attempts + 1 WHERE id = $1", call_id)


async def mark_sent(pool: asyncpg.Pool, queued: Queued, at: datetime) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "UPDATE portal_calls SET state = 'sent', sent_at = $2, last_error = NULL WHERE id = $1", queued.id, at
        )
        if queued.call.status is not None:
            await conn.execute(
                "UPDATE portal_dossiers SET portal_status = $2, updated_at = $3 WHERE dossier_code = $1",
                queued.call.dossier_code,
                queued.call.status,
                at,
            )


async def mark_rejected(pool: asyncpg.Pool, call_id: int, reason: str) -> None:
    await pool.execute("UPDATE portal_calls SET state = 'rejected', last_error = $2 WHERE id = $1", call_id, reason)


async def backlog(pool: asyncpg.Pool) -> dict[str, int]:
    """Calls taken from the topic and not acknowledged by the portal, by state."""
    rows = await pool.fetch("SELECT state, count(*) AS n FROM portal_calls WHERE state <> 'sent' GROUP BY state")
    counts = {"pending": 0, "sending": 0, "rejected": 0}
    counts.update({r["state"]: r["n"] for r in rows})
    return counts


async def rejected(pool: asyncpg.Pool, limit: int = 500) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT id, dossier_code, seq, kind, attempts, last_error, created_at FROM portal_calls "
        "WHERE state = 'rejected' ORDER BY id LIMIT $1",
        limit,
    )


async def requeue(pool: asyncpg.Pool, dossier_code: str) -> int:
    """The dossier's refused calls back in the queue; how many."""
    result = await pool.execute(
        "UPDATE portal_calls SET state = 'pending' WHERE dossier_code = $1 AND state = 'rejected'", dossier_code
    )
    return int(result.split()[-1])


async def synced_statuses(pool: asyncpg.Pool) -> dict[str, int]:
    """The portal status of every dossier with nothing in flight (all its calls acknowledged)."""
    rows = await pool.fetch(
        """
        SELECT d.dossier_code, d.portal_status FROM portal_dossiers d
        WHERE d.portal_status IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM portal_calls c WHERE c.dossier_code = d.dossier_code AND c.state <> 'sent')
        """
    )
    return {r["dossier_code"]: r["portal_status"] for r in rows}


async def save_run(
    pool: asyncpg.Pool, requested_by: str, started: datetime, finished: datetime, checked: int, details: list[dict]
) -> int:
    run_id: int = await pool.fetchval(
        "INSERT INTO portal_reconcile_runs (requested_by, started_at, finished_at, checked, mismatches, details) "
        "VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id",
        requested_by,
        started,
        finished,
        checked,
        len(details),
        json.dumps(details),
    )
    return run_id


async def last_run(pool: asyncpg.Pool) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM portal_reconcile_runs ORDER BY id DESC LIMIT 1")
