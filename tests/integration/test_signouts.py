"""A sign-out on the real PostgreSQL: the ended session and its announcement written together,
once, and the consumer's batch recorded whatever it repeats (shared/auth/signouts.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from shared.auth import MIGRATIONS, signouts
from shared.consumer import Item
from shared.db import migrate
from shared.runtime import SHARED_MIGRATIONS

pytestmark = pytest.mark.integration
ENDS = datetime(2030, 1, 1, 8, tzinfo=UTC)


@pytest.fixture
async def pool(fresh_database):
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=2)
    await migrate(pool, MIGRATIONS)
    await migrate(pool, SHARED_MIGRATIONS)
    yield pool
    await pool.close()


async def ended(pool) -> set[str]:
    return {r["session_id"] for r in await pool.fetch("SELECT session_id FROM ended_sessions")}


async def test_a_sign_out_is_announced_once_with_its_row(pool):
    async with pool.acquire() as conn:
        assert await signouts.end(conn, "s-1", ENDS, "intake") is True
        assert await signouts.end(conn, "s-1", ENDS, "intake") is False, "signed out twice: announced once"
        assert await signouts.end(conn, "s-2", ENDS, None) is True, "a service without an outbox ends it here only"
    rows = await pool.fetch("SELECT topic, key, payload FROM outbox ORDER BY id")
    assert [(r["topic"], r["key"]) for r in rows] == [(signouts.SESSIONS_TOPIC, "s-1")]
    sent = signouts.parse_session_ended(rows[0]["payload"])
    assert sent == signouts.SessionEnded(session_id="s-1", expires_at=ENDS, producer="intake")
    assert await ended(pool) == {"s-1", "s-2"}


async def test_without_its_announcement_a_sign_out_is_not_recorded_either(pool):
    await pool.execute("ALTER TABLE outbox RENAME TO outbox_gone")
    async with pool.acquire() as conn:
        with pytest.raises(asyncpg.UndefinedTableError):
            await signouts.end(conn, "s-1", ENDS, "stats")
    assert await ended(pool) == set(), "one transaction: the other services would never have learnt of it"


async def test_the_consumer_records_a_batch_with_repeats_and_known_sessions(pool):
    async with pool.acquire() as conn:
        await signouts.end(conn, "mine", ENDS, "resolution")  # its own announcement comes back too
    batch = [
        Item(None, signouts.SessionEnded(session_id=s, expires_at=ENDS, producer=p))  # type: ignore[arg-type]
        for s, p in [("mine", "resolution"), ("theirs", "intake"), ("theirs", "intake"), ("other", "stats")]
    ]
    assert await signouts.record(pool, batch) == []
    assert await signouts.record(pool, batch) == [], "a redelivered batch"
    assert await ended(pool) == {"mine", "theirs", "other"}
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1, "recording announces nothing again"
