"""Idempotency keys of intake's POST /dossiers: claimed and completed in the dossier's transaction."""
from __future__ import annotations

import json
from datetime import datetime


async def claim(conn, key: str, fingerprint: str, now: datetime):
    """Take `key` for this transaction, or return the row of the request that took it first.

    A concurrent request with the same key waits on the primary key until the first one
    commits (then it reads that one's answer) or rolls back (then it takes the key itself).
    """
    taken = await conn.fetchval(
        "INSERT INTO idempotency_keys(key, fingerprint, created_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (key) DO NOTHING RETURNING true", key, fingerprint, now)
    if taken:
        return None
    return await conn.fetchrow("SELECT fingerprint, dossier_code, response FROM idempotency_keys WHERE key = $1", key)


async def complete(conn, key: str, dossier_code: str, response: dict) -> None:
    await conn.execute("UPDATE idempotency_keys SET dossier_code = $2, response = $3 WHERE key = $1",
                       key, dossier_code, json.dumps(response, ensure_ascii=False))
