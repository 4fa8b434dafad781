"""A stats instance starting beside running ones leaves their tables alone; the first start after
an upgrade brings an older generation's tables up to date."""

from __future__ import annotations

import asyncio

import asyncpg

from services.stats.adapters import generations


async def test_a_start_beside_a_writer_does_not_wait_for_its_locks(stats_db, fresh_database):
    """A running instance mid-batch holds a write lock on the facts; a second instance's start must
    not queue DDL behind it (DDL there once deadlocked with a live consumer in a rebalance test)."""
    starting = await asyncpg.create_pool(fresh_database, server_settings={"lock_timeout": "2s"})
    try:
        async with stats_db.acquire() as writer, writer.transaction():
            await writer.execute("LOCK TABLE facts IN ROW EXCLUSIVE MODE")
            await asyncio.wait_for(generations.ensure_active(starting), timeout=10)
    finally:
        await starting.close()


async def test_the_first_start_after_an_upgrade_adds_what_the_release_brought(stats_db):
    async with stats_db.acquire() as conn:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        # as an older release left it: no holder column, no attributes table, no mark
        await conn.execute(f"ALTER TABLE {schema}.facts DROP COLUMN handler")
        await conn.execute(f"DROP TABLE {schema}.dimension_attributes")
        await conn.execute(f"COMMENT ON SCHEMA {schema} IS NULL")
    assert await generations.ensure_active(stats_db) == schema
    async with stats_db.acquire() as conn:
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'facts'",
            schema,
        )
        assert "handler" in {c["column_name"] for c in columns}
        assert await conn.fetchval("SELECT to_regclass($1)", f"{schema}.dimension_attributes") is not None
        mark = await conn.fetchval(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", schema
        )
        assert mark == generations.DDL_MARK
