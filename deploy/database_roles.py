"""Two PostgreSQL roles per service database, wherever it runs: `<svc>_owner` owns the database and
its tables and runs the migrations; `<svc>_app`, what the service connects as, reads and writes rows
and draws sequence numbers only, in the tables that exist and those later migrations add (default
privileges), and may connect to its own database only.

One code for every deployment: the local servers (deploy/local/servers.py) call `ensure`, Compose's
`db-roles` one-shot container and Kubernetes' `dvc-database-roles` Job run this module:

    python -m deploy.database_roles [--reader stats=grafana_reader …]

as a superuser (POSTGRES_ADMIN_URL), the roles' names and passwords taken from the services' own
URLs (<SVC>_DATABASE_URL for the app role, <SVC>_MIGRATION_DATABASE_URL for the owner), so each
password is written once, in the services' Secret. Running it again changes nothing; a database
made before, owned by one role (even the superuser), is handed over to its owner.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import asyncpg

from deploy.settings import ToolSettings

Connect = Callable[[str], Awaitable[asyncpg.Connection]]  # a superuser's connection to that database


@dataclass(frozen=True)
class ServiceDatabase:
    name: str
    owner: str
    owner_password: str
    app: str
    app_password: str


async def set_password(conn: asyncpg.Connection, role: str, password: str) -> None:
    # SET password_encryption: a SCRAM verifier whatever the server's default.
    await conn.execute("SET password_encryption = 'scram-sha-256'")
    await conn.execute(
        await conn.fetchval("SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", role, password)
    )


async def ensure_role(conn: asyncpg.Connection, role: str, password: str, attributes: str = "LOGIN") -> None:
    """The role exists, with this password (a new password takes effect)."""
    if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        await conn.execute(f'CREATE ROLE "{role}" {attributes}')
    await set_password(conn, role, password)


async def ensure(
    connect: Connect, databases: Iterable[ServiceDatabase], readers: Mapping[str, Sequence[str]] | None = None
) -> list[str]:
    """Roles, databases and grants; `readers` ({database: [role]}) may read every table of it (the
    roles must exist). Returns the databases it created."""
    databases, readers = list(databases), readers or {}
    created: list[str] = []
    conn = await connect("postgres")
    try:
        before: dict[str, str | None] = {}
        for db in databases:
            await ensure_role(conn, db.owner, db.owner_password)
            await ensure_role(conn, db.app, db.app_password)
            before[db.name] = await conn.fetchval(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", db.name
            )
            if before[db.name] is None:
                await conn.execute(f'CREATE DATABASE "{db.name}" OWNER "{db.owner}"')
                created.append(db.name)
            elif before[db.name] != db.owner:  # made by an older version under one role: hand it over
                await conn.execute(f'ALTER DATABASE "{db.name}" OWNER TO "{db.owner}"')
            # No other role, another service's included, may connect.
            await conn.execute(f'REVOKE ALL ON DATABASE "{db.name}" FROM PUBLIC')
            for role in (db.app, *readers.get(db.name, ())):
                await conn.execute(f'GRANT CONNECT ON DATABASE "{db.name}" TO "{role}"')
    finally:
        await conn.close()
    for db in databases:
        inside = await connect(db.name)
        try:
            await _hand_over(inside, before[db.name], db.owner)
            await _grant(inside, db.owner, db.app, "SELECT, INSERT, UPDATE, DELETE", "USAGE, SELECT")
            for reader in readers.get(db.name, ()):
                await _grant(inside, db.owner, reader, "SELECT", "SELECT")
        finally:
            await inside.close()
    return created


async def _hand_over(conn: asyncpg.Connection, previous: str | None, owner: str) -> None:
    """Schemas, tables and free-standing sequences of `previous` go to `owner`, object by object
    (REASSIGN OWNED is refused for the bootstrap superuser, which owned Compose's tables)."""
    if not previous or previous == owner:
        return
    user = "nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"
    for (schema,) in await conn.fetch(
        f"SELECT nspname FROM pg_namespace WHERE {user} AND pg_get_userbyid(nspowner) = $1", previous
    ):
        await conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO "{owner}"')
    relations = f"""SELECT c.relkind, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE {user} AND pg_get_userbyid(c.relowner) = $1 AND c.relkind::text = ANY($2::text[])"""
    # Tables and views first: a table takes its columns' sequences with it.
    for kinds in (["r", "p", "v", "m", "f"], ["S"]):
        for kind, schema, name in await conn.fetch(relations, previous, kinds):
            what = {"v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE", "f": "FOREIGN TABLE"}.get(kind, "TABLE")
            await conn.execute(f'ALTER {what} "{schema}"."{name}" OWNER TO "{owner}"')


async def _grant(conn: asyncpg.Connection, owner: str, role: str, on_tables: str, on_sequences: str) -> None:
    """`role` may do `on_tables` in every schema the owner makes (stats' projection generations are
    schemas), now and later; it creates nothing (no CREATE on public for anyone)."""
    await conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    await conn.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" GRANT USAGE ON SCHEMAS TO "{role}"')
    await conn.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" GRANT {on_tables} ON TABLES TO "{role}"')
    await conn.execute(f'ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" GRANT {on_sequences} ON SEQUENCES TO "{role}"')
    schemas = await conn.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname = 'public' OR pg_get_userbyid(nspowner) = $1", owner
    )
    for (schema,) in schemas:
        await conn.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        await conn.execute(f'GRANT {on_tables} ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        await conn.execute(f'GRANT {on_sequences} ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')


# --- the command (Compose, Kubernetes) -----------------------------------------------------


def _role(url: str) -> tuple[str, str, str]:
    """(database, role, password) of a postgresql:// URL."""
    parts = urlsplit(url)
    if not (parts.username and parts.password and parts.path.strip("/")):
        raise SystemExit("a database URL needs a role, a password and a database name")
    return parts.path.strip("/"), unquote(parts.username), unquote(parts.password)


def from_settings(settings: ToolSettings) -> list[ServiceDatabase]:
    """Each service whose two URLs are set: its database and two roles."""
    found = []
    for service, app_url in settings.database_urls().items():
        owner_url = getattr(settings, f"{service}_migration_database_url")
        if not (app_url and owner_url):
            continue
        (name, app, app_pw), (owner_db, owner, owner_pw) = _role(app_url), _role(owner_url)
        if owner_db != name or owner == app:
            raise SystemExit(f"{service}: the migration URL must name the same database with another role")
        found.append(ServiceDatabase(name, owner, owner_pw, app, app_pw))
    return found


async def _main(settings: ToolSettings, readers: Mapping[str, Sequence[str]]) -> None:
    if settings.postgres_admin_url is None:
        raise SystemExit("set POSTGRES_ADMIN_URL (a superuser's postgresql:// URL)")
    admin = settings.postgres_admin_url.get_secret_value().rsplit("/", 1)[0]
    databases = from_settings(settings)
    if not databases:
        raise SystemExit("set <SVC>_DATABASE_URL and <SVC>_MIGRATION_DATABASE_URL for at least one service")
    created = await ensure(lambda name: asyncpg.connect(f"{admin}/{name}"), databases, readers)
    for db in databases:
        print(f"{db.name}: owner {db.owner}, app {db.app}{' (database created)' if db.name in created else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.database_roles", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--reader", action="append", default=[], metavar="DATABASE=ROLE", help="an existing role that may read"
    )
    args = parser.parse_args(argv)
    readers: dict[str, list[str]] = {}
    for item in args.reader:
        database, _, role = item.partition("=")
        readers.setdefault(database, []).append(role)
    asyncio.run(_main(ToolSettings(), readers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
