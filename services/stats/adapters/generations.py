"""Projection generations: each a PostgreSQL schema (g1, g2, ...) holding the projection tables.

Every transaction that touches projections first calls `use_active`, which points its
search_path at the active generation; a rebuild fills a new one and switches by flipping
one row, so readers and the live consumer move over at their next transaction.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DDL = (Path(__file__).with_name("projection.sql")).read_text(encoding="utf-8")
# A generation's schema comment names the DDL its tables were made or brought up to date with, so a
# start runs the DDL only after an upgrade changed it: DDL on tables another instance is writing
# takes locks that wait for, and can deadlock with, its writes.
DDL_MARK = "projection.sql " + hashlib.sha256(DDL.encode()).hexdigest()[:16]
PARTITION_LOCK = 4242  # advisory lock class of the per-partition locks (see repository.lock_partitions)


class NoActiveGeneration(RuntimeError):
    pass


async def use_active(conn) -> str:
    """Point this transaction's search_path at the active generation; returns its schema."""
    schema = await conn.fetchval(
        "SELECT set_config('search_path', schema_name || ', public', true) FROM projection_generations "
        "WHERE state = 'active'"
    )
    if schema is None:
        raise NoActiveGeneration("no active projection generation: the stats migrations have not run")
    return schema.split(",")[0]


async def use(conn, schema: str) -> None:
    await conn.execute("SELECT set_config('search_path', $1 || ', public', true)", schema)


async def create(conn, state: str = "building") -> str:
    """A new, empty generation; its tables are created in the caller's transaction."""
    gen_id = await conn.fetchval("SELECT nextval('projection_generations_id_seq')")
    schema = f"g{gen_id}"
    await conn.execute(f"CREATE SCHEMA {schema}")
    await use(conn, schema)
    await conn.execute(DDL)
    await _mark(conn, schema)
    await conn.execute(
        "INSERT INTO projection_generations (id, schema_name, state, activated_at) "
        "VALUES ($1, $2, $3, CASE WHEN $3 = 'active' THEN now() END)",
        gen_id,
        schema,
        state,
    )
    return schema


async def ensure_active(pool) -> str:
    """On a fresh database, create and activate the first generation; else bring the active one up to date."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("LOCK TABLE projection_generations IN EXCLUSIVE MODE")
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        if schema is None:
            return await create(conn, state="active")
        if not await _up_to_date(conn, schema):
            await use(conn, schema)
            await conn.execute(DDL)  # adds what a newer release brought (see projection.sql)
            await _mark(conn, schema)
        return schema


async def _up_to_date(conn, schema: str) -> bool:
    mark = await conn.fetchval(
        "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = $1", schema
    )
    return mark == DDL_MARK


async def _mark(conn, schema: str) -> None:
    await conn.execute(f"COMMENT ON SCHEMA {schema} IS '{DDL_MARK}'")


async def activate(conn, schema: str) -> str | None:
    """Make `schema` the active generation; the old one is retired. Returns the old schema."""
    old = await conn.fetchval(
        "UPDATE projection_generations SET state = 'retired' WHERE state = 'active' RETURNING schema_name"
    )
    await conn.execute(
        "UPDATE projection_generations SET state = 'active', activated_at = now() WHERE schema_name = $1", schema
    )
    return old


async def drop(conn, schema: str) -> None:
    await conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    await conn.execute("DELETE FROM projection_generations WHERE schema_name = $1", schema)


async def abandoned(conn) -> list[str]:
    """Generations left 'building' by a rebuild that did not finish."""
    return [
        r["schema_name"]
        for r in await conn.fetch("SELECT schema_name FROM projection_generations WHERE state = 'building' ORDER BY id")
    ]


async def analyze(conn, schema: str) -> None:
    tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
    for t in tables:
        await conn.execute(f'ANALYZE {schema}."{t["tablename"]}"')
