"""Shared test fixtures: the real servers of the test profile, fresh databases and topics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.local.servers import admin_url
from shared.db import drop_database
from shared.kafka import client_options, topic_partitions
from shared.settings import owner_url


def _env_or_up() -> dict[str, str]:
    keys = (
        "KAFKA_BOOTSTRAP_SERVERS",
        "INTAKE_DATABASE_URL",
        "RESOLUTION_DATABASE_URL",
        "STATS_DATABASE_URL",
        "NOTIFIER_DATABASE_URL",
    )
    if all(os.environ.get(k) for k in keys):
        # The owners' URLs too, when the local server gave them (migrations, DDL in tests, backups),
        # and the Kafka principal of the tests and tools (services started by a test get their own).
        owners = [f"{s}_MIGRATION_DATABASE_URL" for s in ("INTAKE", "RESOLUTION", "STATS", "NOTIFIER")]
        security = [k for k in os.environ if k.startswith(("KAFKA_SASL_", "KAFKA_SECURITY_", "KAFKA_SSL_"))]
        return {k: os.environ[k] for k in (*keys, *owners, *security) if os.environ.get(k)}
    from deploy.local import (
        servers,  # run standalone: bring the test profile up (idempotent)
    )

    env = servers.up("test").env()
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def endpoints() -> dict[str, str]:
    return _env_or_up()


@pytest.fixture(scope="session")
def bootstrap(endpoints) -> str:
    return endpoints["KAFKA_BOOTSTRAP_SERVERS"]


@contextlib.asynccontextmanager
async def new_database(endpoints):
    """A new, empty database, dropped on leaving. Made and used by the local server's role that may
    create databases (the services' roles may not)."""
    base = admin_url(endpoints["STATS_DATABASE_URL"]).rsplit("/", 1)[0]
    name = f"t_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(f"{base}/postgres")
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        await drop_database(admin, name)
        await admin.close()


@pytest.fixture
async def fresh_database(endpoints):
    """A new, empty database for one test."""
    async with new_database(endpoints) as url:
        yield url


@pytest.fixture
async def fresh_topic(bootstrap):
    """A new topic with 3 partitions, so a test sees only its own messages."""
    name = f"test.{uuid.uuid4().hex[:10]}"
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1)])
        yield name
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def eventually(check, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Poll `check` (sync or async) until it returns a truthy value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"{what} not reached in {timeout:.0f} s (last value: {last!r})")


# --- staff accounts -----------------------------------------------------------------------
# Tests sign in like any API client: HTTP Basic with an account written to the three service
# databases by the same code as `make user`. Passwords are fixed per name: accounts persist in
# the test profile's databases, and writing them again is an update.
TEST_AGENCIES = {"land": "000.00.31.H26", "police": "000.00.09.H26", "commune": "000.01.01.H26"}
TEST_AGENCIES["tax"] = "000.00.40.H26"  # the tax office of the liên thông steps (tests/e2e/test_between_agencies.py)
TEST_STAFF = {  # key: (role, agency key or None)
    "clerk": ("clerk", None),
    "clerk_commune": ("clerk", "commune"),
    "officer_land": ("officer", "land"),
    "officer_police": ("officer", "police"),
    "officer_commune": ("officer", "commune"),
    "leader": ("leader", None),
    "monitor": ("monitor", None),
    "officer_tax": ("officer", "tax"),
}


class StaffAccounts:
    """`staff.auth("officer_land")` -> an httpx auth; `staff.username(...)`, `staff.password(...)`."""

    def __init__(self, prefix: str = "t"):
        self.prefix = prefix

    def username(self, key: str) -> str:
        return f"{self.prefix}.{key.replace('_', '.')}"

    def password(self, key: str) -> str:
        return f"pw-{key}-for-tests"

    def agency(self, key: str) -> str | None:
        agency = TEST_STAFF[key][1]
        return TEST_AGENCIES[agency] if agency else None

    def auth(self, key: str):
        import httpx

        return httpx.BasicAuth(self.username(key), self.password(key))


def owner_urls(endpoints: dict[str, str], services=("intake", "resolution", "stats")) -> dict[str, str]:
    """Each service's database as the owner of its tables (*_MIGRATION_DATABASE_URL when given)."""
    return {
        s: owner_url(endpoints[f"{s.upper()}_DATABASE_URL"], endpoints.get(f"{s.upper()}_MIGRATION_DATABASE_URL"))
        for s in services
    }


def write_staff(endpoints: dict[str, str], services=("intake", "resolution", "stats")) -> StaffAccounts:
    """Write the TEST_STAFF accounts into the `services`' databases of `endpoints` (*_DATABASE_URL)."""
    from deploy.local._common import run_coro
    from deploy.users import write_accounts
    from shared.auth import Account, Role
    from shared.auth.passwords import hash_password

    accounts = StaffAccounts()
    run_coro(
        write_accounts(
            owner_urls(endpoints, services),
            [
                (
                    Account(accounts.username(k), Role(role), accounts.agency(k)),
                    hash_password(accounts.password(k)),
                    True,
                )
                for k, (role, _) in TEST_STAFF.items()
            ],
        )
    )
    return accounts


@pytest.fixture(scope="session")
def staff(endpoints) -> StaffAccounts:
    """The TEST_STAFF accounts, present in the intake, resolution and stats databases."""
    return write_staff(endpoints)


async def start_group_at_the_end(bootstrap: str, group: str, topic: str) -> None:
    """`group` starts at `topic`'s end, as a consumer deployed now would be set up
    (`kafka-consumer-groups --reset-offsets --to-latest`): in `make test` the topic holds every
    other test's dossiers (an import of 21,000 among them), which a connector under test need not
    work through first."""
    partitions = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.commit(await consumer.end_offsets(partitions))
    finally:
        await consumer.stop()
