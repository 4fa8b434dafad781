"""Fresh topics filled with generated lifecycle events."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.load import lifecycle_events
from bench.measure import Progress
from shared.kafka import client_options

PARTITIONS = 6  # as dossier.lifecycle.v1 (deploy/local/kafka_broker.py)


async def create_topic(bootstrap: str, name: str | None = None, partitions: int = PARTITIONS) -> str:
    name = name or f"bench.lifecycle.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1, topic_configs={"retention.ms": "-1"})])
    finally:
        await admin.close()
    return name


async def delete_topic(bootstrap: str, name: str) -> None:
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        await admin.delete_topics([name])
    finally:
        await admin.close()


async def produce(
    bootstrap: str, topic: str, n_events: int | None = None, seed: int = 1, n_dossiers: int | None = None
) -> int:
    """Send `n_events` generated events keyed by dossier code (so each dossier stays in order on
    one partition), as the services' idempotent producers do. Returns how many were sent."""
    producer = AIOKafkaProducer(
        **client_options(bootstrap), enable_idempotence=True, acks="all", linger_ms=20, max_batch_size=512 * 1024
    )
    await producer.start()
    progress = Progress(f"producing {topic}", n_events)
    events = lifecycle_events(n_events, seed=seed, n_dossiers=n_dossiers)
    pending = []
    try:
        for code, _seq, value in events:
            pending.append(await producer.send(topic, value, key=code.encode()))
            if len(pending) >= 5000:
                await asyncio.gather(*pending)
                progress.add(len(pending))
                pending.clear()
        await asyncio.gather(*pending)
        progress.add(len(pending))
    finally:
        await producer.stop()
        progress.done()
    return progress.count
