"""Kafka clients set up the way DESIGN.md asks: idempotent producers, bounded stops."""
from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry

log = logging.getLogger(__name__)


def make_producer(bootstrap: str, client_id: str) -> AIOKafkaProducer:
    # Idempotence forces acks=all and keeps per-partition order across retries.
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, client_id=client_id, enable_idempotence=True,
        acks="all", linger_ms=2, request_timeout_ms=15000,
    )


def make_broker(bootstrap: str, client_id: str, registry: CollectorRegistry) -> KafkaBroker:
    return KafkaBroker(
        bootstrap, client_id=client_id, enable_idempotence=True,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=client_id)],
        graceful_timeout=15.0,
    )


async def bounded(coro, seconds: float, what: str) -> None:
    """Await `coro` for at most `seconds`: aiokafka's stop() can hang with the broker gone."""
    try:
        await asyncio.wait_for(coro, seconds)
    except asyncio.TimeoutError:
        log.warning("%s did not finish in %.0f s; going on", what, seconds)
    except Exception as exc:  # a failing close must not stop the shutdown of the rest
        log.warning("%s failed: %s", what, exc)


async def topic_partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions, asked of the broker (a consumer's cached metadata may not know them yet)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] or not described["partitions"]:
        raise RuntimeError(f"topic {topic} not found on {bootstrap}")
    return [TopicPartition(topic, p) for p in sorted(x["partition"] for x in described["partitions"])]
