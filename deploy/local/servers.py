"""Local PostgreSQL and Kafka for running and testing the services, without Docker.

    python -m deploy.local.servers up|down|status [--profile run|test|bench|cluster|restore]

Profiles with their own ports and data folders, so all can run at once:
  run:     .local/run/,     PostgreSQL 127.0.0.1:54320, Kafka 127.0.0.1:9092 (controller 9093)
  test:    .local/test/,    PostgreSQL 127.0.0.1:54321, Kafka 127.0.0.1:9192 (controller 9193)
  bench:   .local/bench/,   PostgreSQL 127.0.0.1:54330, Kafka 127.0.0.1:9072 (controller 9073)
  cluster: .local/cluster/, PostgreSQL 127.0.0.1:54322, three Kafka nodes on 9194, 9196, 9198
           (controllers 9195, 9197, 9199): replication factor 3, min.insync.replicas 2
  restore: .local/restore/, PostgreSQL 127.0.0.1:54323 only: the fresh server a restore drill fills
test, cluster and restore move by DVC_TEST_PORT_SHIFT, bench by DVC_BENCH_PORT_SHIFT.
`up` prints `export KEY=value` lines on stdout (progress goes to stderr). Every function is
idempotent: starting what already runs just returns its endpoints.
PostgreSQL refuses to run as root, so as root initdb/pg_ctl run as the `postgres` OS user
(created if missing, like the server itself: `apt-get install postgresql`).
Every connection, over TCP or the socket, needs a password (SCRAM): one per role, generated on
this machine and kept in .local/postgres-passwords/ (files only we can read). Each database
<svc> is owned by <svc>_owner, which runs the migrations; the service itself connects as
<svc>_app, which may only read and write rows (docs/security.md; deploy/database_roles.py
makes them). `dvc` creates the tests' throwaway databases. Kafka's client listener speaks TLS
(SASL_SSL) with a certificate of the checkout's own CA (kafka_tls.py).
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import pwd
import shlex
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from deploy import database_roles
from deploy.settings import ToolSettings
from shared.auth.sessions import load_secret

from . import kafka_access, kafka_broker
from ._common import (
    REPO_ROOT,
    apt_install,
    file_lock,
    log_tail,
    port_open,
    run_coro,
    say,
)

DATABASES = ("intake", "resolution", "stats", "notifier", "portal_sync")
SUPERUSER = "postgres"
ADMIN_ROLE = "dvc"  # may create databases (the tests' throwaway ones), nothing more
PASSWORDS = REPO_ROOT / ".local" / "postgres-passwords"
HBA = (
    "# Written by deploy/local/servers.py on every start: a password (SCRAM) for every role, loopback only.\n"
    "local all all scram-sha-256\n"
    "host  all all 127.0.0.1/32 scram-sha-256\n"
)


def owner_role(database: str) -> str:
    """Owns the database and its tables, runs the migrations."""
    return f"{database}_owner"


def app_role(database: str) -> str:
    """What the service connects as: rows only, no DDL, no other database."""
    return f"{database}_app"


def password(role: str) -> str:
    """The role's password on this machine: random, made once, readable by us only."""
    PASSWORDS.mkdir(mode=0o700, parents=True, exist_ok=True)
    return load_secret(None, PASSWORDS / role).decode()


def _url(role: str, port: int, database: str) -> str:
    return f"postgresql://{role}:{password(role)}@127.0.0.1:{port}/{database}"


@dataclass(frozen=True)
class Profile:
    name: str
    pg_port: int
    kafka_port: int  # the first broker's; node i (from 1) of a cluster listens on kafka_port + 2 (i - 1)
    controller_port: int
    brokers: int = 1  # 3: a cluster; 0: PostgreSQL only

    @property
    def nodes(self) -> tuple[kafka_broker.Node, ...]:
        """A cluster's nodes, in .local/<profile>/kafka/node-<id>/ (empty unless a cluster)."""
        if self.brokers < 2:
            return ()
        return tuple(
            kafka_broker.Node(
                i, self.kafka_home / f"node-{i}", self.kafka_port + 2 * (i - 1), self.controller_port + 2 * (i - 1)
            )
            for i in range(1, self.brokers + 1)
        )

    @property
    def home(self) -> Path:
        return REPO_ROOT / ".local" / self.name

    @property
    def pg_home(self) -> Path:  # owned by the postgres user: data/, socket/, postgres.log
        return self.home / "postgres"

    @property
    def kafka_home(self) -> Path:
        return self.home / "kafka"


# Two checkouts may test side by side on one machine: DVC_TEST_PORT_SHIFT moves every test port.
TEST_PORT_SHIFT = ToolSettings().test_port_shift
# `make bench` beside `make run` and `make test`; ports away from the test profile's shifts.
BENCH_PORT_SHIFT = ToolSettings().bench_port_shift
PROFILES = {
    "run": Profile("run", pg_port=54320, kafka_port=9092, controller_port=9093),
    "test": Profile(
        "test",
        pg_port=54321 + TEST_PORT_SHIFT,
        kafka_port=9192 + TEST_PORT_SHIFT,
        controller_port=9193 + TEST_PORT_SHIFT,
    ),
    "bench": Profile(
        "bench",
        pg_port=54330 + BENCH_PORT_SHIFT,
        kafka_port=9072 + BENCH_PORT_SHIFT,
        controller_port=9073 + BENCH_PORT_SHIFT,
    ),
    # Scale-out rehearsed on one machine: three combined broker+controller nodes (see docs/operations.md).
    "cluster": Profile(
        "cluster",
        pg_port=54322 + TEST_PORT_SHIFT,
        kafka_port=9194 + TEST_PORT_SHIFT,
        controller_port=9195 + TEST_PORT_SHIFT,
        brokers=3,
    ),
    "restore": Profile("restore", pg_port=54323 + TEST_PORT_SHIFT, kafka_port=0, controller_port=0, brokers=0),
}


@dataclass
class Endpoints:
    kafka_bootstrap: str
    database_urls: dict[str, str]  # "intake" | "resolution" | "stats" -> postgresql://... (the app role)
    migration_urls: dict[str, str] = field(default_factory=dict)  # the owner roles, of local databases
    # A local broker's SASL settings (its super user's, for tools and tests); empty for another Kafka.
    kafka_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        return {  # no Kafka line for a PostgreSQL-only profile: `eval` would blank a set one
            **({"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap} if self.kafka_bootstrap else {}),
            **self.kafka_env,
            **{f"{name.upper()}_DATABASE_URL": url for name, url in self.database_urls.items()},
            **{f"{name.upper()}_MIGRATION_DATABASE_URL": url for name, url in self.migration_urls.items()},
        }


def _profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}, expected one of {sorted(PROFILES)}") from None


# --- PostgreSQL ----------------------------------------------------------------------------


def version_key(bin_dir: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(bin_dir).parent.name.split(".") if part.isdigit())


def _pg_bin(data: Path) -> Path:
    """Server binaries: the version of an existing data folder, else the newest installed."""
    if (data / "PG_VERSION").is_file():
        same = Path(f"/usr/lib/postgresql/{(data / 'PG_VERSION').read_text().strip()}/bin")
        if (same / "pg_ctl").is_file():
            return same
    return pg_bin()


def pg_bin() -> Path:
    """The newest installed PostgreSQL programs (installed if missing): initdb for a new data
    folder, and the clients, which read older servers (pg_dump) too."""
    found = sorted((str(Path(p).parent) for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")), key=version_key)
    if not found:
        if shutil.which("initdb") and shutil.which("pg_ctl"):  # non-Debian layouts
            return Path(shutil.which("initdb")).parent
        say("PostgreSQL: server binaries missing, installing the Debian package `postgresql`…")
        apt_install("postgresql")
        _stop_debian_clusters()
        found = sorted((str(Path(p).parent) for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")), key=version_key)
        if not found:
            raise RuntimeError("PostgreSQL: installed the package but found no /usr/lib/postgresql/*/bin/initdb")
    return Path(found[-1])


def _stop_debian_clusters() -> None:
    """The package may create and start its own cluster (port 5432): stop it, we use ours."""
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False).stdout
    for version, cluster, _port, state, *_ in (line.split() for line in listing.splitlines() if line.strip()):
        if state.startswith("online"):
            subprocess.run(["pg_ctlcluster", version, cluster, "stop"], stdout=sys.stderr, check=False)


def _pg_user() -> str | None:
    """OS user that runs PostgreSQL: `postgres` when we are root, else ourselves (None)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        say("PostgreSQL: creating the system user `postgres`…")
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--home-dir",
                "/var/lib/postgresql",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                "postgres",
            ],
            check=True,
        )
    return "postgres"


def _as_pg(user: str | None, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    full = ["runuser", "-u", user, "--", *cmd] if user else cmd
    result = subprocess.run(full, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise RuntimeError(f"PostgreSQL: `{shlex.join(cmd)}` failed:\n{result.stdout}{result.stderr}")
    return result


def _pg_write(user: str | None, path: Path, text: str) -> None:
    path.write_text(text)
    if user:
        shutil.chown(path, user, user)


def _pg_init(p: Profile, bin_dir: Path, user: str | None) -> None:
    data, socket_dir = p.pg_home / "data", p.pg_home / "socket"
    say(f"PostgreSQL: initialising {data}…")
    for folder in (p.pg_home, socket_dir):
        folder.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(folder, user, user)
    if user and _as_pg(user, ["test", "-w", str(p.pg_home)], check=False).returncode != 0:
        raise RuntimeError(
            f"PostgreSQL: user {user} cannot reach {p.pg_home}: every parent folder needs the x permission for others"
        )
    pwfile = p.pg_home / "superuser-password"  # initdb reads it as the postgres user; gone right after
    pwfile.touch(mode=0o600)
    _pg_write(user, pwfile, password(SUPERUSER))
    try:
        _as_pg(
            user,
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                SUPERUSER,
                "-E",
                "UTF8",
                "--no-locale",
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
            ],
        )
    finally:
        pwfile.unlink()
    _pg_write(user, data / "pg_hba.conf", HBA)
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\ninclude = 'dvc-local.conf'  # deploy/local/servers.py\n")


def _pg_configure(p: Profile, user: str | None) -> None:
    socket_dir = p.pg_home / "socket"
    # A Unix socket path is limited to 107 bytes; without one, clients use TCP anyway.
    sockets = str(socket_dir) if len(str(socket_dir)) < 90 else ""
    _pg_write(
        user,
        p.pg_home / "data" / "dvc-local.conf",
        "# Written by deploy/local/servers.py on every start.\n"
        f"listen_addresses = '127.0.0.1'\nport = {p.pg_port}\n"
        f"unix_socket_directories = '{sockets}'\nmax_connections = 200\n"
        # Sized for a machine that holds a year of a province: the defaults (128 MB of buffers,
        # a checkpoint every 1 GB of WAL) make a rebuild of millions of events write every
        # page again after each checkpoint.
        "shared_buffers = 512MB\nmax_wal_size = 4GB\ncheckpoint_timeout = 15min\n",
    )


def _pg_running(p: Profile, bin_dir: Path, user: str | None) -> bool:
    return _as_pg(user, [str(bin_dir / "pg_ctl"), "status", "-D", str(p.pg_home / "data")], check=False).returncode == 0


async def _pg_connect(port: int, timeout: float, database: str = "postgres", **auth: str) -> asyncpg.Connection:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await asyncpg.connect(
                host="127.0.0.1", port=port, user=SUPERUSER, database=database, timeout=5, **auth
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.InterfaceError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def _pg_upgrade_trust(p: Profile, bin_dir: Path, user: str | None, timeout: float) -> None:
    """A data folder made before passwords trusted the loopback: give the superuser its password,
    then ask for passwords (the roles and grants follow in _pg_ensure_databases)."""
    hba = p.pg_home / "data" / "pg_hba.conf"
    if "trust" not in _as_pg(user, ["cat", str(hba)]).stdout:
        return
    say("PostgreSQL: moving from trust to passwords (scram-sha-256)…")
    conn = await _pg_connect(p.pg_port, timeout)
    try:
        await _set_password(conn, SUPERUSER)
    finally:
        await conn.close()
    _pg_write(user, hba, HBA)
    _as_pg(user, [str(bin_dir / "pg_ctl"), "reload", "-D", str(p.pg_home / "data")])


async def _set_password(conn: asyncpg.Connection, role: str) -> None:
    await database_roles.set_password(conn, role, password(role))


async def _pg_ensure_databases(port: int, timeout: float) -> None:
    """Roles (passwords from .local/ again, so a new file takes effect), databases, grants."""
    conn = await _pg_connect(port, timeout, password=password(SUPERUSER))
    try:
        await database_roles.ensure_role(conn, ADMIN_ROLE, password(ADMIN_ROLE), "LOGIN CREATEDB")
    finally:
        await conn.close()
    services = [
        database_roles.ServiceDatabase(
            name, owner_role(name), password(owner_role(name)), app_role(name), password(app_role(name))
        )
        for name in DATABASES
    ]
    created = await database_roles.ensure(
        lambda name: _pg_connect(port, timeout, database=name, password=password(SUPERUSER)), services
    )
    for name in created:
        say(f"PostgreSQL: created database {name}")
    conn = await _pg_connect(port, timeout, password=password(SUPERUSER))
    try:
        # The maintenance databases are for the superuser and the tests' database maker only.
        for maintenance in ("postgres", "template1"):
            await conn.execute(f"REVOKE ALL ON DATABASE {maintenance} FROM PUBLIC")
        await conn.execute(f"GRANT CONNECT ON DATABASE postgres TO {ADMIN_ROLE}")
    finally:
        await conn.close()


def database_urls(profile: str) -> dict[str, str]:
    """What each service connects as (its app role)."""
    port = _profile(profile).pg_port
    return {name: _url(app_role(name), port, name) for name in DATABASES}


def migration_urls(profile: str) -> dict[str, str]:
    """The owner roles: migrations, stats' rebuild, backups and restores."""
    port = _profile(profile).pg_port
    return {name: _url(owner_role(name), port, name) for name in DATABASES}


def admin_url(like: str) -> str:
    """The role that may create databases (the tests' throwaway ones), on the `postgres` database of
    the server of URL `like`; on a server not ours (no role of that name), `like`'s own role."""
    parts = urlsplit(like)
    if not (PASSWORDS / ADMIN_ROLE).is_file() or parts.hostname != "127.0.0.1":
        return like.rsplit("/", 1)[0] + "/postgres"
    return _url(ADMIN_ROLE, parts.port or 5432, "postgres")


def start_postgres(profile: str) -> dict[str, str]:
    """Initialise (first time), start unless running, create role and databases; return URLs."""
    p = _profile(profile)
    with file_lock(p.home / "postgres.lock"):
        data, log = p.pg_home / "data", p.pg_home / "postgres.log"
        bin_dir, user = _pg_bin(data), _pg_user()
        if not (data / "PG_VERSION").is_file():
            _pg_init(p, bin_dir, user)
        if not _pg_running(p, bin_dir, user):
            if port_open(p.pg_port):
                raise RuntimeError(f"PostgreSQL: port {p.pg_port} is already used by another process")
            started = time.monotonic()
            _pg_configure(p, user)
            result = _as_pg(
                user, [str(bin_dir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w", "-t", "60"], check=False
            )
            if result.returncode != 0:
                raise RuntimeError(
                    f"PostgreSQL: start failed:\n{result.stdout}{result.stderr}end of {log}:\n{log_tail(log)}"
                )
            run_coro(_pg_upgrade_trust(p, bin_dir, user, timeout=30))
            run_coro(_pg_ensure_databases(p.pg_port, timeout=30))
            say(f"PostgreSQL: ready on 127.0.0.1:{p.pg_port} in {time.monotonic() - started:.1f} s")
        else:
            run_coro(_pg_upgrade_trust(p, bin_dir, user, timeout=30))
            run_coro(_pg_ensure_databases(p.pg_port, timeout=30))
    return database_urls(profile)


def stop_postgres(profile: str, hard: bool = False) -> None:
    """pg_ctl stop -m fast (immediate if hard: like a crash, recovery on next start), wait."""
    p = _profile(profile)
    data = p.pg_home / "data"
    if not (data / "PG_VERSION").is_file():
        return
    with file_lock(p.home / "postgres.lock"):
        bin_dir, user = _pg_bin(data), _pg_user()
        if _pg_running(p, bin_dir, user):
            say(f"PostgreSQL: stopping{' (immediate)' if hard else ''}…")
            _as_pg(
                user,
                [
                    str(bin_dir / "pg_ctl"),
                    "stop",
                    "-D",
                    str(data),
                    "-m",
                    "immediate" if hard else "fast",
                    "-w",
                    "-t",
                    "60",
                ],
            )


def restart_postgres(profile: str, hard: bool = False) -> dict[str, str]:
    stop_postgres(profile, hard=hard)
    return start_postgres(profile)


# --- Kafka ---------------------------------------------------------------------------------


def start_kafka(profile: str) -> str:
    """Start the profile's broker(s) unless they run, wait until they serve metadata; return bootstrap."""
    p = _profile(profile)
    if p.brokers == 0:
        raise RuntimeError(f"profile {p.name} has no Kafka: set KAFKA_BOOTSTRAP_SERVERS")
    if p.nodes:
        return kafka_broker.start_cluster(p.nodes)
    return kafka_broker.start(p.kafka_home, p.kafka_port, p.controller_port)


def stop_kafka(profile: str, timeout: float = 30, hard: bool = False) -> None:
    """SIGTERM (SIGKILL right away if hard), wait for the exit, SIGKILL after timeout."""
    p = _profile(profile)
    if p.nodes:
        # All at once: stopped one by one, the last node waits for a quorum that left before it.
        with ThreadPoolExecutor(len(p.nodes)) as pool:
            list(pool.map(lambda n: kafka_broker.stop(n.home, timeout=timeout, hard=hard), p.nodes))
    elif p.brokers:
        kafka_broker.stop(p.kafka_home, timeout=timeout, hard=hard)


def start_broker(profile: str, node_id: int) -> str:
    """Start one node of a cluster again (after stop_broker); waits until the others see it."""
    return kafka_broker.start_cluster(_profile(profile).nodes, only=(node_id,))


def stop_broker(profile: str, node_id: int, hard: bool = False) -> None:
    """Stop one node of a cluster, SIGKILL if hard (a crash: no controlled leadership hand-over)."""
    [node] = [n for n in _profile(profile).nodes if n.node_id == node_id]
    kafka_broker.stop(node.home, hard=hard)


def restart_kafka(profile: str, hard: bool = False) -> str:
    stop_kafka(profile, hard=hard)
    return start_kafka(profile)


create_topics = kafka_broker.create_topics
TOPICS = kafka_broker.TOPICS


# --- both ----------------------------------------------------------------------------------


def up(profile: str, from_env: bool = True) -> Endpoints:
    """Start what is needed and return the endpoints. Environment overrides skip local servers:
    KAFKA_BOOTSTRAP_SERVERS (topics are still created there) and *_DATABASE_URL per database
    (local PostgreSQL is only started if one of the three is not set). `from_env=False` ignores
    them (a test starting a second profile beside the test profile's)."""
    p = _profile(profile)
    tools = ToolSettings()
    given = tools.database_urls() if from_env else dict.fromkeys(DATABASES)
    if all(given.values()):
        urls = {name: url or "" for name, url in given.items()}
        say("PostgreSQL: using *_DATABASE_URL from the environment, local server not started")
        owners = {}
    else:
        local = start_postgres(profile)
        urls = {name: url or local[name] for name, url in given.items()}
        owners = {name: url for name, url in migration_urls(profile).items() if not given[name]}
    bootstrap = (tools.kafka_bootstrap if from_env else None) or ""
    kafka_env: dict[str, str] = {}
    if bootstrap:
        say(f"Kafka: using KAFKA_BOOTSTRAP_SERVERS={bootstrap}, local broker not started")
        create_topics(bootstrap)
    elif p.brokers:
        bootstrap = start_kafka(profile)
        create_topics(bootstrap)
        kafka_broker.grant(bootstrap)
        kafka_env = kafka_access.client_env()
    return Endpoints(kafka_bootstrap=bootstrap, database_urls=urls, migration_urls=owners, kafka_env=kafka_env)


def down(profile: str) -> None:
    stop_kafka(profile)
    stop_postgres(profile)


def status(profile: str) -> dict[str, str]:
    p = _profile(profile)
    data = p.pg_home / "data"
    if not (data / "PG_VERSION").is_file():
        pg = "not initialised"
    else:
        pg = "running" if _pg_running(p, _pg_bin(data), _pg_user()) else "stopped"
    out = {"postgresql": f"{pg} (127.0.0.1:{p.pg_port}, {p.pg_home})"}
    for name, home, port in [(f"kafka node {n.node_id}", n.home, n.port) for n in p.nodes] or (
        [("kafka", p.kafka_home, p.kafka_port)] if p.brokers else []
    ):
        pid = kafka_broker.running_pid(home)
        out[name] = f"{f'running, pid {pid}' if pid else 'stopped'} (127.0.0.1:{port}, {home})"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local.servers", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="run")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            for key, value in up(args.profile).env().items():
                print(f"export {key}={shlex.quote(value)}")
        elif args.command == "down":
            down(args.profile)
        else:
            for name, state in status(args.profile).items():
                print(f"{name}: {state}")
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        say(f"error: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
