"""The local servers of deploy/local/servers.py, for real: profile "test" (started if needed,
left running for the other tests)."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from deploy.local.servers import Endpoints, up
from shared.kafka import client_options

pytestmark = pytest.mark.integration

LIFECYCLE = "dossier.lifecycle.v1"


@pytest.fixture(scope="module")
def endpoints() -> Endpoints:
    return up("test")  # idempotent: returns at once when the test profile already runs


def test_up_is_idempotent_and_fast_when_running(endpoints: Endpoints) -> None:
    started = time.monotonic()
    again = up("test")
    assert again == endpoints
    assert time.monotonic() - started < 10
    assert set(endpoints.database_urls) == {"intake", "resolution", "stats", "notifier", "portal_sync"}


async def test_kafka_round_trip_with_idempotent_producer(endpoints: Endpoints) -> None:
    key, value = uuid.uuid4().hex.encode(), f"ping {uuid.uuid4()}".encode()
    producer = AIOKafkaProducer(**client_options(endpoints.kafka_bootstrap), enable_idempotence=True)
    await producer.start()
    try:
        sent = await producer.send_and_wait(LIFECYCLE, value=value, key=key)
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        LIFECYCLE,
        **client_options(endpoints.kafka_bootstrap),
        group_id=f"test-local-servers-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        received = None
        deadline = time.monotonic() + 30
        while received is None and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                received = next((r for r in records if r.key == key), received)
        assert received is not None, "the produced message did not come back within 30 s"
        assert (received.value, received.partition, received.offset) == (value, sent.partition, sent.offset)
        tp = TopicPartition(LIFECYCLE, received.partition)
        await consumer.commit({tp: received.offset + 1})
        assert await consumer.committed(tp) == received.offset + 1
    finally:
        await consumer.stop()


async def test_each_database_answers(endpoints: Endpoints) -> None:
    for name, url in endpoints.database_urls.items():
        conn = await asyncpg.connect(url, timeout=10)
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("select current_database()") == name
            assert await conn.fetchval("select current_user") == f"{name}_app"
        finally:
            await conn.close()


async def test_topics_have_partitions_and_retention(endpoints: Endpoints) -> None:
    expected = {
        LIFECYCLE: (6, {"retention.ms": "-1", "retention.bytes": "-1"}),
        "dossier.requests.v1": (6, {"retention.ms": str(30 * 24 * 3600 * 1000)}),
        "dossier.lifecycle.v1.dlt": (1, {"retention.ms": "-1"}),
    }
    admin = AIOKafkaAdminClient(**client_options(endpoints.kafka_bootstrap))
    await admin.start()
    try:
        topics = {t["topic"]: t for t in await admin.describe_topics(list(expected))}
        responses = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, name, dict.fromkeys(configs))
                for name, (_, configs) in expected.items()
            ]
        )
    finally:
        await admin.close()
    configs = {
        resource["resource_name"]: {e["config_names"]: e["config_value"] for e in resource["config_entries"]}
        for response in responses
        for resource in response.to_object()["resources"]
    }
    for name, (partitions, wanted) in expected.items():
        assert topics[name]["error_code"] == 0, name
        assert len(topics[name]["partitions"]) == partitions, name
        assert configs[name] == wanted, name


async def test_up_works_inside_a_running_event_loop(endpoints: Endpoints) -> None:
    # up() drives asyncpg/aiokafka with its own loop; from async code it must not clash with ours.
    assert await asyncio.to_thread(up, "test") == endpoints
    assert up("test") == endpoints
