"""The purge of expired rows against the real PostgreSQL: sent outbox rows older than the cut go,
unsent ones stay whatever their age (they are events not yet on Kafka), and old idempotency keys
go while recent ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from services.intake.entrypoints.runtime import MIGRATIONS as INTAKE_MIGRATIONS
from shared import retention
from shared.db import migrate
from shared.runtime import SHARED_MIGRATIONS

NOW = datetime.now(UTC)


async def test_sent_outbox_rows_and_old_idempotency_keys_are_purged_and_nothing_else(fresh_database):
    pool = await asyncpg.create_pool(fresh_database)
    try:
        await migrate(pool, SHARED_MIGRATIONS)
        await migrate(pool, INTAKE_MIGRATIONS)
        old, recent = NOW - timedelta(days=30), NOW - timedelta(hours=1)
        rows = [(old, old), (old, None), (recent, recent), (old, recent)]  # (created, sent)
        await pool.executemany(
            "INSERT INTO outbox(topic, key, payload, created_at, sent_at) VALUES ('t', 'k', '\\x00', $1, $2)", rows
        )
        await pool.executemany(
            "INSERT INTO idempotency_keys(key, fingerprint, created_at) VALUES ($1, 'f', $2)",
            [("old", old), ("recent", recent)],
        )
        cut = NOW - timedelta(days=7)
        assert await retention.purge_sent_outbox(pool, cut) == 1
        assert await retention.purge_sent_outbox(pool, cut) == 0  # a sweep stops when a batch is empty
        kept = await pool.fetch("SELECT created_at, sent_at FROM outbox ORDER BY id")
        assert [(r["created_at"], r["sent_at"]) for r in kept] == rows[1:]
        assert await retention.purge_idempotency_keys(pool, NOW - timedelta(days=2)) == 1
        assert [r["key"] for r in await pool.fetch("SELECT key FROM idempotency_keys")] == ["recent"]
    finally:
        await pool.close()
