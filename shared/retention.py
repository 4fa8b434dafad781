"""Rows kept only as long as they serve: sent outbox rows (their events live on Kafka) and,
at intake, idempotency keys (a client retries within minutes, not weeks). Both may hold
personal data (an event's payload, a request's fingerprint and answer), so they are purged
on a schedule rather than kept for ever. Deleted in batches, so a backlog never holds a long
lock against the relay or the counter."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import asyncpg

from shared.db import TRANSIENT_DB_ERRORS

log = logging.getLogger(__name__)
BATCH = 5000


async def every(interval_s: float, sweep: Callable[[], Awaitable[int]]) -> None:
    """A background sweep, repeated while it finds work, then every `interval_s` seconds; a failure
    is logged and the next round tries again."""
    while True:
        try:
            while await sweep() > 0:
                pass
        except TRANSIENT_DB_ERRORS as exc:
            log.warning("background sweep: database unavailable (%s)", type(exc).__name__)
        except Exception:
            log.exception("background sweep failed; going on")
        await asyncio.sleep(interval_s)


async def purge_batch(
    pool: asyncpg.Pool, table: str, key: str, column: str, before: datetime, source: str | None = None
) -> int:
    """Delete one batch of `table`'s rows whose `column` (of `source`, a join, when given) is before
    `before`; how many went. Names are the callers' constants, never input."""
    result = await pool.execute(
        f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM {source or table} WHERE {column} < $1 LIMIT $2)",
        before,
        BATCH,
    )
    return int(result.split()[-1])


async def purge_sent_outbox(pool: asyncpg.Pool, sent_before: datetime) -> int:
    """One batch of outbox rows sent before `sent_before` (unsent rows have no sent_at); how many went."""
    return await purge_batch(pool, "outbox", "id", "sent_at", sent_before)


async def purge_idempotency_keys(pool: asyncpg.Pool, created_before: datetime) -> int:
    """One batch of idempotency keys older than `created_before` (intake only)."""
    return await purge_batch(pool, "idempotency_keys", "key", "created_at", created_before)
