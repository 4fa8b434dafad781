"""Scale-out on a real three-broker cluster: brokers and a service instance die under load.

The `cluster` profile (three KRaft nodes, replication factor 3, min.insync.replicas 2, its own
PostgreSQL) carries lifecycles driven through TWO instances of every service, a round-robin
in front of them as a load balancer would be. Meanwhile the leader of the busiest partitions is
SIGKILLed (leadership and, when it held them, the controller and group coordinators move), started
again and waited back into every ISR; then a resolution instance is SIGKILLed (its partitions go to
the other one) and, with it still down, the leader of the busiest partitions is SIGKILLed again.

Then: no dossier lost (each is in stats with its owner's status and seq, each accepted one in
resolution), none counted twice (each (code, seq) on the topic applied once; the counters agree
with the facts), reconciliation finds nothing. The figures are printed on the last line.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import shutil
import time
from collections import Counter

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from prometheus_client.parser import text_string_to_metric_families

from deploy.local import servers
from shared.events import LIFECYCLE_TOPIC, REQUESTS_TOPIC
from shared.kafka import client_options, end_offsets
from tests.chaos.test_nothing_lost import SHIFT, Driver, differences, snapshot, topic_duplicates
from tests.conftest import write_staff
from tests.e2e.reconciliation import reconcile_over_http
from tests.e2e.settle import settle
from tests.fleet import Fleet

pytestmark = pytest.mark.chaos
PROFILE = "cluster"
DOSSIERS = int(os.environ.get("CLUSTER_CHAOS_DOSSIERS", "300"))
INSTANCES = [
    {"intake": 18181 + SHIFT, "resolution": 18182 + SHIFT, "stats": 18183 + SHIFT},
    {"intake": 18184 + SHIFT, "resolution": 18185 + SHIFT, "stats": 18186 + SHIFT},
]
SETTLE_S = 180.0


@pytest.fixture(scope="module")
def cluster():
    """The cluster profile, from empty folders, stopped afterwards (three JVMs are not left behind)."""
    servers.down(PROFILE)
    shutil.rmtree(servers.PROFILES[PROFILE].home, ignore_errors=True)
    try:
        yield servers.up(PROFILE, from_env=False).env()
    finally:
        servers.down(PROFILE)


class RoundRobin:
    """The instances of each service behind one address, as a load balancer would route: an
    instance whose process has exited is skipped; one still starting refuses and is retried."""

    def __init__(self, fleets: list[Fleet], figures: Counter):
        self.fleets, self.turn, self.figures = fleets, itertools.count(), figures

    def url(self, name: str) -> str:
        live = [f for f in self.fleets if f.procs[name].poll() is None] or self.fleets
        chosen = live[next(self.turn) % len(live)]
        self.figures[f"calls_to_{name}_{self.fleets.index(chosen) + 1}"] += 1
        return chosen.url(name)


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(**client_options(bootstrap), request_timeout_ms=10000)
    await admin.start()
    return admin


async def replication(bootstrap: str) -> dict[str, tuple[set[int], str]]:
    """{topic: (replica counts of its partitions, its min.insync.replicas)} of the application's topics."""
    names = list(servers.TOPICS)
    admin = await _admin(bootstrap)
    try:
        topics = await admin.describe_topics(names)
        [response] = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, name, {"min.insync.replicas": None}) for name in names]
        )
    finally:
        await admin.close()
    min_isr = {r["resource_name"]: r["config_entries"][0]["config_value"] for r in response.to_object()["resources"]}
    return {t["topic"]: ({len(p["replicas"]) for p in t["partitions"]}, min_isr[t["topic"]]) for t in topics}


async def consumed(url: str) -> float:
    """Messages an instance's consumers applied or skipped (its consumed_messages_total)."""
    async with httpx.AsyncClient(timeout=10, follow_redirects=True) as client:
        text = (await client.get(f"{url}/metrics")).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "consumed_messages_total"
    )


async def busiest_leader(bootstrap: str) -> tuple[int, list[int]]:
    """The broker leading the most records of the application's topics, and the lifecycle
    partitions it leads."""
    admin = await _admin(bootstrap)
    try:
        topics = await admin.describe_topics([LIFECYCLE_TOPIC, REQUESTS_TOPIC])
    finally:
        await admin.close()
    records: Counter[int] = Counter()
    led: dict[int, list[int]] = {}
    for topic in topics:
        ends = await end_offsets(bootstrap, topic["topic"])
        for part in topic["partitions"]:
            size = next(end for tp, end in ends.items() if tp.partition == part["partition"])
            records[part["leader"]] += size
            if topic["topic"] == LIFECYCLE_TOPIC:
                led.setdefault(part["leader"], []).append(part["partition"])
    node = records.most_common(1)[0][0]
    return node, sorted(led.get(node, []))


async def out_of_sync(bootstrap: str) -> int:
    """Partitions of every topic (the consumer offsets' included) with a replica missing from the ISR."""
    admin = await _admin(bootstrap)
    try:
        topics = await admin.describe_topics()
    finally:
        await admin.close()
    return sum(len(p["isr"]) < len(p["replicas"]) for t in topics for p in t["partitions"])


async def wait_in_sync(bootstrap: str, timeout: float = 120) -> float:
    """Seconds until every replica is back in its ISR; fails after `timeout`."""
    started = time.monotonic()
    while (lagging := await out_of_sync(bootstrap)) > 0:
        assert time.monotonic() - started < timeout, f"{lagging} partitions still under-replicated"
        await asyncio.sleep(0.5)
    return time.monotonic() - started


async def test_cluster_survives_leader_kills_and_an_instance_kill(cluster, tmp_path, capsys):
    staff = write_staff(cluster)
    bootstrap = cluster["KAFKA_BOOTSTRAP_SERVERS"]
    assert await replication(bootstrap) == dict.fromkeys(servers.TOPICS, ({3}, "2"))
    fleets = []
    for i, ports in enumerate(INSTANCES):
        (tmp_path / f"instance-{i + 1}").mkdir()
        fleets.append(Fleet(ports, dict(cluster), tmp_path / f"instance-{i + 1}"))
    figures: Counter = Counter()
    started = time.monotonic()
    try:
        for fleet in fleets:  # one after the other: the first applies the migrations
            for name in fleet.ports:
                fleet.start(name)
            for name in fleet.ports:
                await asyncio.to_thread(fleet.wait_healthy, name)
        driver = Driver(RoundRobin(fleets, figures), staff.auth("leader"), figures, random.Random(12))

        async def when(share: float) -> None:
            while figures["dossiers"] < share * DOSSIERS:
                await asyncio.sleep(0.1)

        async def kill_leader(share: float) -> int:
            await when(share)
            node, partitions = await busiest_leader(bootstrap)
            await asyncio.to_thread(servers.stop_broker, PROFILE, node, True)
            figures["broker_kills"] += 1
            figures[f"kill{figures['broker_kills']}_node"] = node
            figures[f"kill{figures['broker_kills']}_lifecycle_partitions_led"] = len(partitions)
            return node

        async def faults() -> None:
            node = await kill_leader(0.15)
            await when(0.30)  # the load goes on with two brokers
            await asyncio.to_thread(servers.start_broker, PROFILE, node)
            figures["resync_s"] = round(await wait_in_sync(bootstrap), 1)
            await when(0.40)
            fleets[1].kill("resolution")  # its partitions and its HTTP share go to the other
            figures["instance_kills"] += 1
            node = await kill_leader(0.50)
            await when(0.70)
            await asyncio.to_thread(servers.start_broker, PROFILE, node)
            fleets[1].start("resolution")
            await asyncio.to_thread(fleets[1].wait_healthy, "resolution")
            figures["resync2_s"] = round(await wait_in_sync(bootstrap), 1)

        await asyncio.gather(driver.run(DOSSIERS), faults())

        await settle(cluster, timeout=SETTLE_S)
        deadline, diffs = time.monotonic() + SETTLE_S, ["not compared yet"]
        while diffs and time.monotonic() < deadline:  # settled, yet a consumer may still be committing
            diffs = differences(await snapshot(cluster))
            if diffs:
                await asyncio.sleep(1.0)
        for i, fleet in enumerate(fleets, 1):  # both stats and intake instances had partitions
            for name in ("intake", "stats"):
                figures[f"consumed_by_{name}_{i}"] = int(await consumed(fleet.url(name)))
        rec = await reconcile_over_http(fleets[0].url("stats"), staff.auth("monitor"))
        final = await snapshot(cluster)
        events, duplicates = await topic_duplicates(bootstrap)
    finally:
        for fleet in fleets:
            fleet.stop_all()
    applied = sum(f["last_seq"] for f in final["stats"].values())
    lost = len(final["intake"].keys() - final["stats"].keys())
    figures.update(
        dossiers_in_intake=len(final["intake"]),
        facts_in_stats=len(final["stats"]),
        lost=lost,
        counted_twice=applied - (events - duplicates),
        reconciliation_mismatches=rec["mismatches"],
        events_on_topic=events,
        duplicates_delivered_and_ignored=duplicates,
        seconds=round(time.monotonic() - started),
    )
    with capsys.disabled():  # the figures belong in the CI log, failed or not
        print("\ncluster chaos figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))
    assert not diffs, f"{len(diffs)} differences, first: {diffs[:10]}"
    assert lost == 0 and figures["dossiers"] >= DOSSIERS
    assert figures["counted_twice"] == 0, figures
    assert rec["mismatches"] == 0, rec
    assert figures["broker_kills"] == 2 and figures["instance_kills"] == 1
    assert all(figures[f"calls_to_{name}_{i}"] > 0 for name in ("intake", "resolution") for i in (1, 2)), figures
    assert all(figures[f"consumed_by_{name}_{i}"] > 0 for name in ("intake", "stats") for i in (1, 2)), figures
