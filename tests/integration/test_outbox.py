"""The outbox relay against the real PostgreSQL and Kafka: in order, once per row."""

from __future__ import annotations

from collections import defaultdict

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry
from pydantic import BaseModel

from shared import outbox
from shared.db import migrate
from shared.kafka import client_options
from shared.runtime import SHARED_MIGRATIONS
from tests.conftest import eventually


class Note(BaseModel):
    key: str
    n: int


async def _write(pool, topic, rows):
    async with pool.acquire() as conn, conn.transaction():
        for key, n in rows:
            await outbox.append(conn, topic, key, Note(key=key, n=n))


async def _read_all(bootstrap, topic) -> list[tuple[str, int]]:
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in range(3)]  # fresh_topic's partitions
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        end = await consumer.end_offsets(parts)
        out = []
        while [p for p in parts if await consumer.position(p) < end[p]]:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                out += [(r.key.decode(), Note.model_validate_json(r.value).n) for r in records]
        return out
    finally:
        await consumer.stop()


async def _unsent(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")


async def test_rows_published_in_order_and_once_across_a_relay_restart(fresh_database, fresh_topic, bootstrap):
    pool = await asyncpg.create_pool(fresh_database)
    await migrate(pool, SHARED_MIGRATIONS)
    keys = [f"D-{i}" for i in range(20)]
    first = [(k, n) for n in range(10) for k in keys]  # 200 rows, 10 per key, interleaved
    await _write(pool, fresh_topic, first)

    relay = outbox.OutboxRelay(pool, fresh_database, bootstrap, "test", CollectorRegistry())
    relay.start()
    await eventually(lambda: _is_zero(pool), what="first 200 rows sent")
    await relay.stop()

    # A new relay starts on the same table: it must not publish the sent rows again.
    second = [(k, n) for n in range(10, 15) for k in keys]
    await _write(pool, fresh_topic, second)
    relay2 = outbox.OutboxRelay(pool, fresh_database, bootstrap, "test", CollectorRegistry())
    relay2.start()
    await eventually(lambda: _is_zero(pool), what="second 100 rows sent")
    await relay2.stop()

    received = await _read_all(bootstrap, fresh_topic)
    assert len(received) == 300, "each row exactly once"
    per_key = defaultdict(list)
    for key, n in received:
        per_key[key].append(n)
    assert all(ns == list(range(15)) for ns in per_key.values()), "each key's rows in order"
    await pool.close()


async def _is_zero(pool) -> bool:
    return await _unsent(pool) == 0
