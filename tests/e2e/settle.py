"""Wait until the running services have nothing in flight: outboxes sent, every consumer
group caught up. A test that made events nobody waits for calls this before the next test
reads the board, so no late event moves its figures."""
from __future__ import annotations

import asyncio
import time

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.events import LIFECYCLE_TOPIC, REQUESTS_TOPIC

GROUPS = {"intake-tracking": LIFECYCLE_TOPIC, "resolution-cases": LIFECYCLE_TOPIC,
          "resolution-requests": REQUESTS_TOPIC, "stats-projections": LIFECYCLE_TOPIC}


async def unsent(endpoints: dict[str, str]) -> int:
    total = 0
    for key in ("INTAKE_DATABASE_URL", "RESOLUTION_DATABASE_URL"):
        conn = await asyncpg.connect(endpoints[key])
        try:
            total += await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        finally:
            await conn.close()
    return total


async def lag(bootstrap: str) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        total = 0
        for group, topic in GROUPS.items():
            committed = await admin.list_consumer_group_offsets(group)
            described = (await admin.describe_topics([topic]))[0]
            tps = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
            ends = await consumer.end_offsets(tps)
            total += sum(max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items())
        return total
    finally:
        await consumer.stop()
        await admin.close()


async def settle(endpoints: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        pending = await unsent(endpoints)
        behind = await lag(endpoints["KAFKA_BOOTSTRAP_SERVERS"]) if not pending else -1
        if pending == 0 and behind == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"services not settled in {timeout:.0f} s: {pending} unsent, lag {behind}")
        await asyncio.sleep(0.2)
