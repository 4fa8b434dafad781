"""Nothing lost, nothing counted twice: full lifecycles under kills, restarts and an outage.

At least 2,000 dossiers (CHAOS_DOSSIERS) go through their lifecycles on all channels while,
at random moments, every service is SIGKILLed and started again several times (stats while
it chews the backlog after the broker outage, resolution right after an action answered, i.e.
between its commit and its publish), the Kafka broker restarts, PostgreSQL restarts, and the
broker is stopped for 30 seconds while intake keeps accepting dossiers.

Then: every dossier intake holds is in stats with the same status and seq, every accepted one
is in resolution with the same status; stats' reconciliation (counters vs facts vs
resolution) finds nothing; and the topic's duplicates (an outbox row published again after a
crash) were ignored. The figures are printed at the end.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from deploy.local import servers
from shared.events import LIFECYCLE_TOPIC, BadEvent, parse_event
from shared.kafka import client_options, topic_partitions
from tests.e2e.reconciliation import reconcile_over_http
from tests.e2e.settle import settle
from tests.fleet import Fleet

pytestmark = pytest.mark.chaos
DOSSIERS = int(os.environ.get("CHAOS_DOSSIERS", "2000"))
WORKERS = 12
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))
PORTS = {"intake": 18151 + SHIFT, "resolution": 18152 + SHIFT, "stats": 18153 + SHIFT}
OUTAGE_S = 30.0
# (procedure, the commune that resolves it when every commune performs it): land and civil status,
# at agencies with a test officer to hand the case to (tests/conftest.py)
PROCEDURES = [
    ("1.013831", None),
    ("1.001193", "000.01.01.H26"),
    ("1.012783", None),
    ("1.004873", "000.01.01.H26"),
    ("3.000333", None),
]
APPLICANT = {"name": "Lê Văn Chaos", "id_number": "001099000777", "phone": "0911000777"}
RETRYABLE = (httpx.TransportError,)


class Driver:
    """Drives dossiers through the API as clerks, officers and citizens would, retrying through outages."""

    def __init__(self, fleet: Fleet, auth, figures: Counter, rng: random.Random):
        self.fleet, self.auth, self.figures, self.rng = fleet, auth, figures, rng
        self.client = httpx.AsyncClient(timeout=10, auth=auth)
        self.on_resolution_success = None  # set by the chaos task to kill right after a commit

    async def call(self, method: str, service: str, path: str, ok=(200, 201, 202), timeout: float = 240, **kw):
        deadline = time.monotonic() + timeout
        while True:
            try:
                r = await self.client.request(method, self.fleet.url(service) + path, **kw)
                if r.status_code in ok or r.status_code in (404, 409, 422):
                    if (
                        service == "resolution"
                        and method == "POST"
                        and r.status_code == 200
                        and self.on_resolution_success
                    ):
                        hook, self.on_resolution_success = self.on_resolution_success, None
                        hook()
                    return r
                self.figures["http_retries"] += 1  # 5xx while a dependency restarts
            except RETRYABLE:
                self.figures["http_retries"] += 1
            assert time.monotonic() < deadline, f"{method} {service}{path} kept failing"
            await asyncio.sleep(0.2)

    async def case_status(self, code: str) -> int | None:
        r = await self.call("GET", "resolution", f"/api/v1/cases/{code}", ok=(200,))
        return r.json()["case"]["status"] if r.status_code == 200 else None

    async def wait_case(self, code: str, timeout: float = 240) -> int:
        deadline = time.monotonic() + timeout
        while (status := await self.case_status(code)) is None:
            assert time.monotonic() < deadline, f"case {code} never reached resolution"
            await asyncio.sleep(0.3)
        return status

    async def act(self, code: str, action: str, target: int) -> None:
        r = await self.call(
            "POST", "resolution", f"/api/v1/cases/{code}/{action}", json={"by": "chaos", "reason": "chaos"}
        )
        if r.status_code == 409:  # a retry of an action that did commit: the case is already there
            assert await self.case_status(code) == target, r.text
        else:
            assert r.status_code == 200, r.text

    async def inside(self, code: str, path: str, body: dict, field: str) -> None:
        """A hand-over or an approval (no status moves): a retry of one that did commit answers 409
        or 422, and the case then shows it."""
        r = await self.call("POST", "resolution", f"/api/v1/cases/{code}/{path}", json=body)
        if r.status_code != 200:
            case = (await self.call("GET", "resolution", f"/api/v1/cases/{code}", ok=(200,))).json()["case"]
            assert case[field] is not None, r.text

    async def dossier(self, i: int) -> None:
        channel = ("counter", "online", "post")[i % 3]
        key = str(uuid.uuid4())
        r = await self.call(
            "POST",
            "intake",
            "/api/v1/dossiers",
            headers={"Idempotency-Key": key},
            json={
                "procedure_code": PROCEDURES[i % len(PROCEDURES)][0],
                "agency_id": PROCEDURES[i % len(PROCEDURES)][1],
                "channel": channel,
                "applicant": APPLICANT,
                "documents": ["Tờ khai"],
            },
        )
        assert r.status_code == 201, r.text
        code, pin = r.json()["code"], r.json()["tracking_pin"]
        self.figures["dossiers"] += 1
        plan = i % 10
        if channel == "online":
            if plan == 9:
                await self.call(
                    "POST", "intake", f"/api/v1/dossiers/{code}/refuse", json={"by": "chaos", "reason": "Thiếu giấy tờ"}
                )
                return
            await self.call("POST", "intake", f"/api/v1/dossiers/{code}/accept", json={"by": "chaos"})
        await self.wait_case(code)
        if plan == 8:  # the citizen withdraws: intake forwards it, resolution records 7
            await self.call(
                "POST",
                "intake",
                f"/api/v1/dossiers/{code}/withdraw",
                json={"id_number": APPLICANT["id_number"], "pin": pin},
            )
            return
        await self.act(code, "start-processing", 4)
        await self.inside(code, "assign", {"auto": True}, "assignee")  # the agency's least-loaded officer
        if plan == 7:
            return  # left in processing
        if plan == 6:
            await self.act(code, "stop", 8)
            return
        if plan in (4, 5):
            await self.act(code, "request-supplement", 5)
            await self.act(code, "record-supplement", 4)
        await self.inside(code, "approve", {}, "approved_by")
        await self.act(code, "resolve", 9)
        if plan != 3:
            await self.act(code, "return-result", 10)

    async def counter_desk(self, figures: Counter) -> None:
        """Receives counter dossiers one after another (while the broker is away): each must be
        answered, stored, and reach resolution and stats once the broker is back."""
        while True:
            r = await self.call(
                "POST",
                "intake",
                "/api/v1/dossiers",
                headers={"Idempotency-Key": str(uuid.uuid4())},
                json={
                    "procedure_code": PROCEDURES[0][0],
                    "channel": "counter",
                    "applicant": APPLICANT,
                    "documents": ["Tờ khai"],
                },
            )
            assert r.status_code == 201, r.text
            figures["accepted_during_outage"] += 1

    async def run(self, dossiers: int = DOSSIERS) -> None:
        queue = asyncio.Queue()
        for i in range(dossiers):
            queue.put_nowait(i)

        async def worker():
            while not queue.empty():
                await self.dossier(queue.get_nowait())

        try:
            await asyncio.gather(*[worker() for _ in range(WORKERS)])
        finally:
            await self.client.aclose()


async def restart(fleet: Fleet, name: str, figures: Counter, pause: float = 0.5) -> None:
    fleet.kill(name)
    figures[f"killed_{name}"] += 1
    await asyncio.sleep(pause)  # the fault's duration: the service is down this long
    fleet.start(name)
    await asyncio.to_thread(fleet.wait_healthy, name)


async def chaos(fleet: Fleet, driver: Driver, figures: Counter, rng: random.Random, progress) -> None:
    """The faults, at random moments spread over the load."""

    async def when(share: float):  # wait until this share of the dossiers has been created
        while progress() < share:
            await asyncio.sleep(0.1)

    plan = [
        (0.05, "kill", "stats"),
        (0.10, "kill", "intake"),
        (0.15, "kill-after-commit", "resolution"),
        (0.22, "kafka-restart", None),
        (0.30, "kill", "resolution"),
        (0.36, "postgres-restart", None),
        (0.42, "kill", "intake"),
        (0.48, "kafka-outage", None),
        (0.60, "kill", "stats"),
        (0.68, "kill-after-commit", "resolution"),
        (0.75, "kill", "intake"),
        (0.82, "kill", "stats"),
    ]
    for share, fault, name in plan:
        await when(share + rng.uniform(0, 0.03))
        if fault == "kill":
            await restart(fleet, name, figures)
        elif fault == "kill-after-commit":
            done = asyncio.Event()
            driver.on_resolution_success = lambda done=done: (fleet.kill("resolution"), done.set())
            await done.wait()
            figures["killed_resolution"] += 1
            fleet.start("resolution")
            await asyncio.to_thread(fleet.wait_healthy, "resolution")
        elif fault == "kafka-restart":
            await asyncio.to_thread(servers.restart_kafka, "test", True)
            figures["kafka_restarts"] += 1
        elif fault == "postgres-restart":
            await asyncio.to_thread(servers.restart_postgres, "test")
            figures["postgres_restarts"] += 1
        elif fault == "kafka-outage":
            await asyncio.to_thread(servers.stop_kafka, "test")
            counter = asyncio.create_task(driver.counter_desk(figures))  # the counter goes on receiving
            await asyncio.sleep(OUTAGE_S)  # the outage itself
            counter.cancel()
            await asyncio.gather(counter, return_exceptions=True)
            await asyncio.to_thread(servers.start_kafka, "test")
            figures["kafka_restarts"] += 1
            await asyncio.sleep(0.3)  # stats is now applying the backlog: kill it mid-batch
            await restart(fleet, "stats", figures)


async def snapshot(endpoints) -> dict:
    out = {}
    intake = await asyncpg.connect(endpoints["INTAKE_DATABASE_URL"])
    try:
        out["intake"] = {
            r["code"]: r
            for r in await intake.fetch(
                "SELECT code, accepted_at IS NOT NULL AS accepted, "
                "CASE WHEN tracked_seq > last_seq THEN tracked_status ELSE status END AS status, "
                "greatest(tracked_seq, last_seq) AS seq FROM dossiers"
            )
        }
    finally:
        await intake.close()
    resolution = await asyncpg.connect(endpoints["RESOLUTION_DATABASE_URL"])
    try:
        out["resolution"] = {r["code"]: r for r in await resolution.fetch("SELECT code, status, last_seq FROM cases")}
    finally:
        await resolution.close()
    stats = await asyncpg.connect(endpoints["STATS_DATABASE_URL"])
    try:
        schema = await stats.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        out["stats"] = {r["code"]: r for r in await stats.fetch(f"SELECT code, status, last_seq FROM {schema}.facts")}
    finally:
        await stats.close()
    return out


def differences(s: dict) -> list[str]:
    """Each dossier in stats with the status and seq of its owner: resolution once accepted
    (its seq also counts events that move no status, such as overdue notices), intake before."""
    out = []
    for code, d in s["intake"].items():
        fact, case = s["stats"].get(code), s["resolution"].get(code)
        owner = (case["status"], case["last_seq"]) if d["accepted"] and case else (d["status"], d["seq"])
        if d["accepted"] and (case is None or case["status"] != d["status"]):
            out.append(f"{code}: intake {d['status']}, resolution {case and case['status']}")
        if fact is None or (fact["status"], fact["last_seq"]) != owner:
            out.append(f"{code}: owner {owner}, stats {fact and (fact['status'], fact['last_seq'])}")
    out += [f"{c}: in stats only" for c in s["stats"].keys() - s["intake"].keys()]
    out += [f"{c}: in resolution only" for c in s["resolution"].keys() - s["intake"].keys()]
    return out


async def topic_duplicates(bootstrap: str) -> tuple[int, int]:
    """(messages on the lifecycle topic, of which repeats of an already seen (code, seq))."""
    parts = await topic_partitions(bootstrap, LIFECYCLE_TOPIC)
    consumer = AIOKafkaConsumer(**client_options(bootstrap), group_id=None, enable_auto_commit=False)
    await consumer.start()
    seen, total = Counter(), 0
    try:
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:  # a list: `any` takes no awaits
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                for rec in records:
                    try:
                        e = parse_event(rec.value)
                    except BadEvent:
                        continue  # a poison message another test put there on purpose
                    seen[(e.dossier_code, e.seq)] += 1
                    total += 1
    finally:
        await consumer.stop()
    return total, total - len(seen)


async def all_agree(endpoints, stats_url: str, settle_s: float, auth) -> tuple[dict, int, int]:
    """Once the system settles: every dossier agrees in every service, reconciliation finds
    nothing, and each (code, seq) on the topic was applied once. Returns (snapshot, events,
    duplicates delivered and ignored)."""
    deadline, diffs = time.monotonic() + settle_s, ["not compared yet"]
    # First nothing in flight (outboxes sent, every consumer group caught up, the requests topic
    # included: a withdrawal waiting there moves no service's status until it is applied).
    await settle(endpoints, timeout=settle_s)
    while diffs and time.monotonic() < deadline:
        diffs = differences(await snapshot(endpoints))
        if diffs:
            await asyncio.sleep(1.0)
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:10]}"
    rec = await reconcile_over_http(stats_url, auth)
    assert rec["mismatches"] == 0, rec
    final = await snapshot(endpoints)
    events, duplicates = await topic_duplicates(endpoints["KAFKA_BOOTSTRAP_SERVERS"])
    assert events - duplicates == sum(f["last_seq"] for f in final["stats"].values())
    return final, events, duplicates


async def test_nothing_lost_nothing_counted_twice(endpoints, staff, tmp_path, capsys):
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "26")))
    fleet = Fleet(PORTS, dict(endpoints), tmp_path)
    figures = Counter()
    started = time.monotonic()
    for name in PORTS:
        fleet.start(name)
    for name in PORTS:
        await asyncio.to_thread(fleet.wait_healthy, name)
    driver = Driver(fleet, staff.auth("leader"), figures, rng)
    try:
        load = asyncio.create_task(driver.run())
        faults = asyncio.create_task(chaos(fleet, driver, figures, rng, lambda: figures["dossiers"] / DOSSIERS))
        await asyncio.gather(load, faults)

        final, events, duplicates = await all_agree(
            endpoints, fleet.url("stats"), settle_s=240, auth=staff.auth("monitor")
        )
    finally:
        fleet.stop_all()
    figures.update(
        events_on_topic=events,
        duplicates_delivered_and_ignored=duplicates,
        dossiers_in_intake=len(final["intake"]),
        cases_in_resolution=len(final["resolution"]),
        facts_in_stats=len(final["stats"]),
        process_kills=fleet.kills,
        process_starts=fleet.starts,
        seconds=round(time.monotonic() - started),
    )
    with capsys.disabled():  # the figures belong in the CI log, not only in a failure report
        print("\nchaos figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))
    assert figures["dossiers"] >= DOSSIERS and figures["accepted_during_outage"] >= 20
