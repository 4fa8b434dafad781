"""The local PostgreSQL as an attacker meets it: every connection needs its role's password
(SCRAM, over TCP and the socket), and a service's role reads and writes rows of its own database
and nothing more: no DDL, no TRUNCATE, no other service's database (docs/security.md)."""

from __future__ import annotations

import shutil
import uuid

import asyncpg
import pytest

from deploy.local import servers

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def urls() -> dict[str, dict[str, str]]:
    servers.start_postgres("test")  # idempotent: the roles and grants are (re)applied
    return {"app": servers.database_urls("test"), "owner": servers.migration_urls("test")}


def _without_password(url: str) -> str:
    role_and_secret, place = url.removeprefix("postgresql://").split("@")
    return f"postgresql://{role_and_secret.split(':')[0]}@{place}"


async def _refused(conn: asyncpg.Connection, sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute(sql)


async def test_a_service_role_writes_rows_and_nothing_else(urls) -> None:
    probe = f"roles_probe_{uuid.uuid4().hex[:8]}"
    table = f"{probe}.t"
    owner = await asyncpg.connect(urls["owner"]["stats"])
    app = await asyncpg.connect(urls["app"]["stats"])
    try:
        # A schema and table the owner adds later (as stats' generations are): the default
        # privileges give the service its rows there.
        await owner.execute(f"CREATE SCHEMA {probe}")
        await owner.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, n int)")
        await app.execute(f"INSERT INTO {table} (n) VALUES (1), (2)")
        await app.execute(f"UPDATE {table} SET n = n + 1")
        await app.execute(f"DELETE FROM {table} WHERE n = 3")
        assert await app.fetchval(f"SELECT n FROM {table}") == 2

        attributes = await app.fetchrow(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert not any(attributes.values()), attributes
        await _refused(app, "CREATE TABLE planted (x int)")
        await _refused(app, f"CREATE TABLE {probe}.planted (x int)")
        await _refused(app, "CREATE SCHEMA planted")
        await _refused(app, "CREATE TEMP TABLE planted (x int)")
        await _refused(app, f"ALTER TABLE {table} ADD COLUMN planted int")
        await _refused(app, f"DROP TABLE {table}")
        await _refused(app, f"TRUNCATE {table}")
        assert await app.fetchval(f"SELECT count(*) FROM {table}") == 1  # all of the above left it alone
    finally:
        await owner.execute(f"DROP SCHEMA IF EXISTS {probe} CASCADE")
        await owner.close()
        await app.close()


async def test_a_service_role_cannot_open_another_services_database(urls) -> None:
    stats = urls["app"]["stats"]
    for other in ("intake", "resolution", "postgres"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied for database"):
            await asyncpg.connect(stats.rsplit("/", 1)[0] + f"/{other}")
    # Nor may the owner of one database open another's.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await asyncpg.connect(urls["owner"]["stats"].rsplit("/", 1)[0] + "/intake")


async def test_no_connection_without_the_right_password(urls) -> None:
    app = urls["app"]["intake"]
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(app.replace("@", "x@", 1))  # the password with a character more
    for url in (_without_password(app), _without_password(servers.admin_url(app))):
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(url, password="")
    # Over the socket too, the superuser included (initdb's default trusts and peers the socket).
    socket_dir = servers.PROFILES["test"].pg_home / "socket"
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(
            host=str(socket_dir), port=servers.PROFILES["test"].pg_port, user="postgres", password="wrong"
        )
    superuser = await asyncpg.connect(
        host=str(socket_dir),
        port=servers.PROFILES["test"].pg_port,
        user="postgres",
        password=servers.password("postgres"),
        database="postgres",
    )
    try:
        methods = {r["auth_method"] for r in await superuser.fetch("SELECT auth_method FROM pg_hba_file_rules")}
        assert methods == {"scram-sha-256"}
        assert await superuser.fetchval("SHOW password_encryption") == "scram-sha-256"
        plain = await superuser.fetchval(
            "SELECT count(*) FROM pg_authid WHERE rolcanlogin AND rolpassword NOT LIKE 'SCRAM-SHA-256$%'"
        )
        assert plain == 0
    finally:
        await superuser.close()


async def _superuser(port: int, database: str) -> asyncpg.Connection:
    return await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", password=servers.password("postgres"), database=database
    )


async def _make_it_look_older(port: int) -> None:
    """What a data folder of the earlier servers.py held: `dvc` owning the databases and tables,
    the superuser without a password, the loopback trusted."""
    conn = await _superuser(port, "postgres")
    try:
        for name in servers.DATABASES:
            inside = await _superuser(port, name)
            try:
                await inside.execute("CREATE TABLE older (n int)")
                await inside.execute("INSERT INTO older VALUES (1)")
                await inside.execute("ALTER TABLE older OWNER TO dvc")
                await inside.execute(f"REASSIGN OWNED BY {servers.owner_role(name)} TO dvc")
            finally:
                await inside.close()
            await conn.execute(f"ALTER DATABASE {name} OWNER TO dvc")
        await conn.execute("ALTER ROLE postgres PASSWORD NULL")
    finally:
        await conn.close()


def test_an_older_trusting_data_folder_is_moved_to_passwords_and_roles() -> None:
    profile = servers.PROFILES["restore"]  # PostgreSQL only, its own data folder: a new one here
    servers.stop_postgres("restore")
    shutil.rmtree(profile.home, ignore_errors=True)
    servers.start_postgres("restore")
    try:
        servers.run_coro(_make_it_look_older(profile.pg_port))
        hba = profile.pg_home / "data" / "pg_hba.conf"
        hba.write_text("local all all peer\nhost  all all 127.0.0.1/32 trust\n")
        servers.restart_postgres("restore")

        async def check() -> None:
            with pytest.raises(asyncpg.InvalidPasswordError):
                await asyncpg.connect(host="127.0.0.1", port=profile.pg_port, user="postgres", password="x")
            for name, url in servers.database_urls("restore").items():
                app = await asyncpg.connect(url)
                try:
                    assert await app.fetchval("SELECT n FROM older") == 1
                    assert await app.fetchval(
                        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name
                    ) == servers.owner_role(name)
                    assert await app.fetchval("SELECT tableowner FROM pg_tables WHERE tablename = 'older'") == (
                        servers.owner_role(name)
                    )
                    await _refused(app, "CREATE TABLE planted (x int)")
                finally:
                    await app.close()

        servers.run_coro(check())
        assert "trust" not in hba.read_text()
    finally:
        servers.stop_postgres("restore")


async def test_the_roles_command_of_compose_and_kubernetes_splits_a_superusers_database(urls) -> None:
    """`python -m deploy.database_roles` as Compose's db-roles container and the Kubernetes Job run
    it: a database made before by the (bootstrap) superuser, its table too, is handed to its owner;
    the app role gets rows only, a reader may read; a second run changes nothing."""
    import subprocess
    import sys

    port = int(urls["app"]["stats"].rsplit(":", 1)[1].split("/")[0])
    name = f"roles_cmd_{uuid.uuid4().hex[:8]}"
    owner, app, reader = f"{name}_owner", f"{name}_app", f"{name}_reader"
    secret = {role: uuid.uuid4().hex for role in (owner, app, reader)}
    sup = await _superuser(port, "postgres")
    await sup.execute(f"CREATE DATABASE {name}")
    await sup.execute(f"CREATE ROLE {reader} LOGIN PASSWORD '{secret[reader]}'")
    inside = await _superuser(port, name)
    await inside.execute("CREATE TABLE older (id serial PRIMARY KEY, n int)")  # the superuser's, as in Compose
    await inside.close()

    def url(role: str) -> str:
        return f"postgresql://{role}:{secret[role]}@127.0.0.1:{port}/{name}"

    env = {
        "PATH": "/usr/bin:/bin",
        "POSTGRES_ADMIN_URL": f"postgresql://postgres:{servers.password('postgres')}@127.0.0.1:{port}/postgres",
        "INTAKE_DATABASE_URL": url(app),
        "INTAKE_MIGRATION_DATABASE_URL": url(owner),
    }
    command = [sys.executable, "-m", "deploy.database_roles", "--reader", f"{name}={reader}"]
    try:
        for _ in range(2):
            done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=servers.REPO_ROOT, timeout=60)
            assert done.returncode == 0, done.stderr
        as_owner, as_app, as_reader = [await asyncpg.connect(url(r)) for r in (owner, app, reader)]
        try:
            assert (
                await as_owner.fetchval("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'older'")
                == owner
            )
            await as_owner.execute("CREATE TABLE later (n int)")  # a later migration
            await as_app.execute("INSERT INTO older (n) VALUES (1)")  # its sequence too
            await as_app.execute("INSERT INTO later VALUES (2)")
            await _refused(as_app, "CREATE TABLE planted (x int)")
            await _refused(as_app, "DROP TABLE older")
            assert await as_reader.fetchval("SELECT count(*) FROM later") == 1
            await _refused(as_reader, "DELETE FROM later")
        finally:
            for conn in (as_owner, as_app, as_reader):
                await conn.close()
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # no CONNECT on another database
            await asyncpg.connect(url(app).rsplit("/", 1)[0] + "/stats")
    finally:
        await sup.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for role in (owner, app, reader):
            await sup.execute(f"DROP ROLE IF EXISTS {role}")
        await sup.close()
