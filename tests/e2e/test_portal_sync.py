"""The national-portal connector end to end: lifecycle events on the real Kafka topic, the
connector as its own process on its own (fresh) database, and the local stand-in portal
(deploy/local/portal_standin.py), which enforces the order and the shapes and counts every call by
its idempotency key. Dossiers are fake (agency TEST.PORTAL) and written straight to the topic, as
intake and resolution would write them."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy import dlt
from deploy.local.portal_standin import PortalStandin, StandinServer
from services.portal_sync.entrypoints.runtime import CRASH_EXIT_CODE
from shared.events import LIFECYCLE_TOPIC, PORTAL_SYNC_GROUP, EventType, encode
from shared.kafka import client_options
from tests.conftest import eventually, new_database, start_group_at_the_end, write_staff
from tests.events import owned_event
from tests.fleet import Fleet

pytestmark = pytest.mark.e2e
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))
PORTS = {"portal_sync": 18105 + SHIFT}
STANDIN_PORT = 18190 + SHIFT
RUN = uuid.uuid4().hex[:8]
TOKEN = f"token-{RUN}"
NOW = datetime.now(UTC).replace(microsecond=0)
DUE = NOW + timedelta(days=10)
DIMENSIONS = {
    "agency_id": "TEST.PORTAL",
    "procedure_code": "1.013831",
    "channel": "online",
    "applicant_type": 0,
    "procedure_name": "Thủ tục thử",
}
OUTAGE_S = 30.0


def code(name: str) -> str:
    return f"PORTAL-{RUN}-{name}"


def event(type_: EventType, dossier: str, seq: int, **payload):
    return owned_event(type_, dossier, seq, NOW + timedelta(minutes=seq), "portal-test", **payload)


def life(dossier: str) -> list:
    """A dossier from online submission to its rating: 7 events, 7 portal calls of 5 kinds."""
    return [
        event(EventType.SUBMITTED, dossier, 1, to_status=1, actor="citizen", dimensions=DIMENSIONS),
        event(
            EventType.ACCEPTED,
            dossier,
            2,
            from_status=1,
            to_status=2,
            actor="t.clerk",
            dimensions=DIMENSIONS,
            accepted_at=NOW,
            deadline={
                "due_at": DUE,
                "processing_hours": 40,
                "time_type": "working",
                "clock_policy": "pause",
                "rule_version": "test",
            },
        ),
        event(EventType.PROCESSING_STARTED, dossier, 3, from_status=2, to_status=4, actor="t.officer", due_at=DUE),
        event(EventType.ASSIGNED, dossier, 4, actor="t.leader", assignee="t.officer", step=0, step_name="Thẩm định"),
        event(
            EventType.RESOLVED,
            dossier,
            5,
            from_status=4,
            to_status=9,
            actor="t.officer",
            due_at=DUE,
            compliance="on_time",
            working_hours_used=12.5,
        ),
        event(EventType.RETURNED, dossier, 6, from_status=9, to_status=10, actor="t.clerk"),
        event(EventType.RATED, dossier, 7, score=5),
    ]


def keys(dossier: str, seqs) -> list[str]:
    return [f"{dossier}:{s}" for s in seqs]


@pytest.fixture(scope="module")
async def portal():
    server = StandinServer(PortalStandin(TOKEN), STANDIN_PORT)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def database(endpoints):
    """The connector's own database, new for this module, so reconciliation sees only its dossiers."""
    async with new_database(endpoints) as url:
        yield url


class Connector:
    """portal_sync as a process the tests stop, crash and start again."""

    def __init__(self, env: dict[str, str], logs):
        self.env, self.logs = env, logs
        self.fleet: Fleet | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{PORTS['portal_sync']}"

    async def start(self, **extra: str) -> None:
        # The fleet names resolution's address to every service; the connector never calls it.
        self.fleet = Fleet({**PORTS, "resolution": 18102 + SHIFT}, {**self.env, **extra}, self.logs)
        self.fleet.start("portal_sync")
        await asyncio.to_thread(self.fleet.wait_healthy, "portal_sync", 120)

    @property
    def proc(self):
        assert self.fleet is not None
        return self.fleet.procs["portal_sync"]

    async def stop(self) -> None:
        if self.fleet is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            await asyncio.to_thread(self.proc.wait, 30)

    async def metric(self, name: str) -> float:
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{self.url}/metrics", timeout=5)).text
        found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0


@pytest.fixture(scope="module")
async def connector(endpoints, database, portal, bootstrap, tmp_path_factory):
    env = {
        **endpoints,
        "PORTAL_SYNC_DATABASE_URL": database,
        "PORTAL_SYNC_MIGRATION_DATABASE_URL": database,
        "PORTAL_SYNC_PORTAL_URL": portal.url,
        "PORTAL_SYNC_PORTAL_TOKEN": TOKEN,
        "PORTAL_SYNC_RETRY_MAX_S": "1",
        "PORTAL_SYNC_POLL_INTERVAL_S": "0.5",
        "SIGN_IN_ADDRESS_FAILURES": "100000",
    }
    running = Connector(env, tmp_path_factory.mktemp("portal-sync-logs"))
    await start_group_at_the_end(bootstrap, PORTAL_SYNC_GROUP, LIFECYCLE_TOPIC)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(scope="module")
async def staff(connector, database, endpoints):
    return await asyncio.to_thread(write_staff, {**endpoints, "PORTAL_SYNC_DATABASE_URL": database}, ("portal_sync",))


@pytest.fixture(scope="module")
async def producer(bootstrap):
    kafka = AIOKafkaProducer(**client_options(bootstrap), acks="all", enable_idempotence=True)
    await kafka.start()
    yield kafka
    await kafka.stop()


async def publish(producer, events) -> None:
    for e in events:
        await producer.send_and_wait(LIFECYCLE_TOPIC, encode(e), key=e.dossier_code.encode())


def applied_once(portal: StandinServer, wanted: list[str]) -> bool:
    return all(portal.portal.applied[k] == 1 for k in wanted)


async def calls_of(database: str, dossier: str) -> list[tuple[int, str]]:
    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch("SELECT seq, state FROM portal_calls WHERE dossier_code = $1 ORDER BY seq", dossier)
        return [(r["seq"], r["state"]) for r in rows]
    finally:
        await conn.close()


async def test_a_dossiers_life_is_synchronised_in_order_and_duplicates_make_no_call(connector, portal, producer):
    dossier = code("life")
    events = life(dossier)
    # Redelivered and replayed events (seq 2 and 3 again, after the rest) are not sent again.
    await publish(producer, [*events, events[1], events[2]])
    wanted = keys(dossier, range(1, 8))
    await eventually(lambda: applied_once(portal, wanted), timeout=60, what="the life applied at the portal")
    log = [c for c in portal.portal.log if c["key"] and c["key"].startswith(f"{dossier}:")]
    assert [c["key"] for c in log] == wanted  # in order, each once, none refused
    assert [c["kind"] for c in log] == ["hoso", "trangthai", "trangthai", "tiendo", "ketqua", "trangthai", "danhgia"]
    assert all(c["status"] == 200 for c in log)
    assert portal.portal.dossiers[dossier]["TrangThaiHoSo"] == 10
    assert all(portal.portal.received[k] == 1 for k in wanted)
    await eventually(lambda: _at_most(connector, "portal_sync_backlog", 0), timeout=30, what="nothing left to send")


async def test_a_crash_between_send_and_record_makes_no_duplicate_call(connector, portal, producer, database):
    dossier = code("crash")
    events = life(dossier)
    await publish(producer, events[:1])
    await eventually(lambda: applied_once(portal, keys(dossier, [1])), timeout=60, what="the dossier created")
    await connector.stop()
    # The portal acknowledges seq 2, and the process dies before the journal records it.
    await connector.start(PORTAL_SYNC_FAULT_CRASH_AFTER_SEND=f"{dossier}:2")
    await publish(producer, events[1:3])
    await eventually(lambda: connector.proc.poll() is not None, timeout=60, what="the injected crash")
    assert connector.proc.returncode == CRASH_EXIT_CODE
    assert portal.portal.applied[f"{dossier}:2"] == 1
    assert portal.portal.received[f"{dossier}:3"] == 0  # nothing after the crash
    assert (2, "sending") in await calls_of(database, dossier)  # sent, not recorded

    await connector.start()
    await eventually(lambda: applied_once(portal, keys(dossier, [1, 2, 3])), timeout=60, what="the rest sent")
    assert portal.portal.received[f"{dossier}:2"] == 2  # sent again after the restart…
    assert portal.portal.applied[f"{dossier}:2"] == 1  # …and applied once
    assert portal.portal.dossiers[dossier]["TrangThaiHoSo"] == 4

    async def recorded():
        return await calls_of(database, dossier) == [(1, "sent"), (2, "sent"), (3, "sent")]

    await eventually(recorded, timeout=30, what="every call recorded as sent")


async def test_a_portal_outage_of_30_s_is_waited_out_and_the_backlog_drains(connector, portal, producer):
    dossiers = [code(f"outage{i}") for i in range(5)]
    await portal.stop()
    down_at = time.monotonic()
    try:
        await publish(producer, [e for d in dossiers for e in life(d)[:3]])
        # Taken from the topic and queued (the consumer does not wait), not acknowledged.
        await eventually(
            lambda: _at_least(connector, "portal_sync_backlog", 15), timeout=OUTAGE_S, what="a backlog of 15"
        )
        peak = await connector.metric("portal_sync_backlog")
        await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down_at)))  # the outage's length, by design
    finally:
        await portal.start()
    outage = time.monotonic() - down_at
    wanted = [k for d in dossiers for k in keys(d, [1, 2, 3])]
    await eventually(lambda: applied_once(portal, wanted), timeout=90, what="the backlog sent")
    await eventually(lambda: _at_most(connector, "portal_sync_backlog", 0), timeout=30, what="the backlog drained")
    assert outage >= OUTAGE_S and peak >= 15
    assert await connector.metric('dead_letters_total{topic="dossier.lifecycle.v1",kind="rejected"}') == 0
    print(f"outage {outage:.1f} s, backlog peak {peak:.0f} calls, drained")


async def _at_least(connector: Connector, name: str, value: float) -> bool:
    return await connector.metric(name) >= value


async def _at_most(connector: Connector, name: str, value: float) -> bool:
    return await connector.metric(name) <= value


async def test_a_poison_event_is_dead_lettered_and_the_partition_keeps_flowing(connector, portal, producer, bootstrap):
    dossier = code("after-poison")
    poison = await producer.send_and_wait(LIFECYCLE_TOPIC, b"{not json at all", key=dossier.encode())
    await publish(producer, life(dossier)[:2])  # same key: the same partition, behind the poison
    await eventually(lambda: applied_once(portal, keys(dossier, [1, 2])), timeout=60, what="later events sent")

    async def dead_lettered():
        letters = await dlt.read(bootstrap)
        return [
            letter
            for letter, _ in letters
            if letter.service == "portal_sync"
            and letter.original_topic == LIFECYCLE_TOPIC  # it dead-letters bad sign-outs too
            and letter.original_partition == poison.partition
            and letter.original_offset == poison.offset
        ]

    [letter] = await eventually(dead_lettered, timeout=30, what="the poison in the dead-letter topic")
    assert letter.kind == "bad_event"


async def test_operator_api_needs_staff_and_answers_in_both_languages(connector, staff):
    async with httpx.AsyncClient(base_url=connector.url, timeout=30) as client:
        assert (await client.get("/api/v1/portal/backlog")).status_code == 401
        missing = await client.post("/api/v1/portal/rejected/NO-SUCH/retry", auth=staff.auth("leader"))
        assert missing.status_code == 404
        assert missing.json()["error"]["message_vi"] and missing.json()["error"]["message_en"]
        officer = await client.post("/api/v1/portal/reconciliations", auth=staff.auth("officer_land"))
        assert officer.status_code == 403


async def test_reconciliation_finds_nothing_on_a_clean_run_and_the_one_status_corrupted(
    connector, portal, producer, staff, database
):
    dossier = code("reconcile")
    await publish(producer, life(dossier))
    await eventually(lambda: applied_once(portal, keys(dossier, range(1, 8))), timeout=60, what="synchronised")
    async with httpx.AsyncClient(base_url=connector.url, timeout=60, auth=staff.auth("leader")) as client:

        async def recorded():
            return [state for _, state in await calls_of(database, dossier)] == ["sent"] * 7

        await eventually(recorded, timeout=30, what="every call recorded as sent")
        clean = (await client.post("/api/v1/portal/reconciliations")).json()
        assert clean["mismatches"] == 0 and clean["checked"] >= 1, clean
        assert await connector.metric("portal_sync_reconciliation_mismatches") == 0

        portal.portal.dossiers[dossier]["TrangThaiHoSo"] = 4  # changed behind the connector's back
        found = (await client.post("/api/v1/portal/reconciliations")).json()
        assert found["mismatches"] == 1
        assert found["details"] == [{"dossier_code": dossier, "ours": 10, "portal": 4}]
        assert found["checked"] == clean["checked"]
        assert await connector.metric("portal_sync_reconciliation_mismatches") == 1
        latest = (await client.get("/api/v1/portal/reconciliations/latest")).json()
        assert latest["id"] == found["id"] and latest["mismatches"] == 1
        portal.portal.dossiers[dossier]["TrangThaiHoSo"] = 10


async def test_a_refused_call_holds_its_dossier_until_an_operator_requeues_it(connector, portal, producer, staff):
    dossier = code("refused")
    events = life(dossier)
    # A result while the portal holds status 2 breaks its order: refused, and the dossier's later
    # calls wait behind it rather than arrive out of order.
    await publish(producer, [events[0], events[1], events[4].model_copy(update={"seq": 3}), events[5]])
    async with httpx.AsyncClient(base_url=connector.url, timeout=30, auth=staff.auth("leader")) as client:

        async def refused():
            listed = (await client.get("/api/v1/portal/rejected")).json()
            return [r for r in listed if r["dossier_code"] == dossier]

        [row] = await eventually(refused, timeout=60, what="the refusal listed")
        assert (row["seq"], row["kind"]) == (3, "ketqua") and "409" in row["last_error"]
        assert portal.portal.received[f"{dossier}:6"] == 0
        assert (await client.get("/api/v1/portal/backlog")).json()["rejected"] >= 1
        requeued = await client.post(f"/api/v1/portal/rejected/{dossier}/retry")
        assert requeued.json() == {"requeued": 1}
        await eventually(refused, timeout=60, what="refused again (the portal's order has not changed)")
        assert portal.portal.received[f"{dossier}:3"] == 2 and portal.portal.applied[f"{dossier}:3"] == 0
