"""PostgreSQL helpers: a pool that waits for the server, and numbered SQL migrations."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import asyncpg

log = logging.getLogger(__name__)

# Errors after which the same work may succeed later: the server restarted or is unreachable.
TRANSIENT_DB_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
    # Raised by asyncpg when the server went away mid-operation ("cannot switch to state …");
    # taken for permanent, it dead-lettered good events during a PostgreSQL restart.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a released connection needs beyond asyncpg's own rollback of an open transaction:
    nothing. Our code keeps no session state on pooled connections (settings are transaction-
    local, cursors live in transactions, LISTEN and session locks use their own connections,
    migrate() unlocks in `finally`), so asyncpg's reset query would be a round trip a request
    for nothing."""


async def create_pool(url: str, *, min_size: int = 1, max_size: int = 10, wait_seconds: float = 60) -> asyncpg.Pool:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await asyncpg.create_pool(
                url, min_size=min_size, max_size=max_size, command_timeout=60, reset=_keep_session
            )
        except TRANSIENT_DB_ERRORS as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("database not reachable yet (%s); retrying", type(exc).__name__)
            await asyncio.sleep(1)


async def migrate(pool: asyncpg.Pool, migrations_dir: Path) -> list[str]:
    """Apply the `NNN_name.sql` files not yet applied, each in its own transaction, in order.

    An advisory lock keeps two instances starting together from applying one file twice.
    """
    applied_now = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock(727274)")
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for path in sorted(migrations_dir.glob("[0-9][0-9][0-9]_*.sql")):
                if path.name in done:
                    continue
                async with conn.transaction():
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations(name) VALUES ($1)", path.name)
                applied_now.append(path.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(727274)")
    if applied_now:
        log.info("applied migrations: %s", ", ".join(applied_now))
    return applied_now


async def drop_database(admin: asyncpg.Connection, name: str, timeout_s: float = 30) -> None:
    """Drop database `name` (from a connection to another one), ending our own sessions on it first.

    Not `WITH (FORCE)`: that must end every session, an autovacuum worker's included, which only a
    superuser may, so it failed now and then on a database autovacuum had just visited. A plain
    DROP cancels autovacuum by itself; it waits here while other sessions close."""
    deadline = time.monotonic() + timeout_s
    while True:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid() AND usename = current_user",
            name,
        )
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except asyncpg.exceptions.ObjectInUseError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
