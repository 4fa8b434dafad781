"""Kafka clients set up the way docs/design.md asks: idempotent producers, bounded stops, and
every connection (FastStream's, the outbox's, admin clients, the rebuild, tools, tests) secured by
one factory, `client_options`, from the KAFKA_SECURITY_PROTOCOL / KAFKA_SASL_* / KAFKA_SSL_CAFILE settings."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from prometheus_client import CollectorRegistry

from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


def client_options(bootstrap: str, settings: KafkaSettings | None = None) -> dict[str, Any]:
    """The keywords that connect an aiokafka client to `bootstrap` with TLS and SASL as configured.
    `settings` default to the environment's (a service's are the same variables)."""
    s = settings or KafkaSettings()
    options: dict[str, Any] = {"bootstrap_servers": bootstrap, "security_protocol": s.kafka_security_protocol}
    if "SSL" in s.kafka_security_protocol:
        options["ssl_context"] = create_ssl_context(cafile=s.kafka_ssl_cafile or None)
    if s.kafka_security_protocol.startswith("SASL"):
        options["sasl_mechanism"] = s.kafka_sasl_mechanism
        options["sasl_plain_username"] = s.kafka_sasl_username
        options["sasl_plain_password"] = s.kafka_sasl_password.get_secret_value() if s.kafka_sasl_password else ""
    return options


def broker_security(settings: KafkaSettings | None = None) -> BaseSecurity | None:
    """The same connection as FastStream's security object (which also documents it in AsyncAPI)."""
    options = client_options("", settings)
    protocol, ssl_context = options["security_protocol"], options.get("ssl_context")
    if not protocol.startswith("SASL"):
        return BaseSecurity(ssl_context, use_ssl=True) if ssl_context else None
    kind = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
    return kind[options["sasl_mechanism"]](
        options["sasl_plain_username"], options["sasl_plain_password"], ssl_context, use_ssl=bool(ssl_context)
    )


def make_producer(bootstrap: str, client_id: str, settings: KafkaSettings | None = None) -> AIOKafkaProducer:
    # Idempotence forces acks=all and keeps per-partition order across retries.
    return AIOKafkaProducer(
        **client_options(bootstrap, settings),
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=2,
        request_timeout_ms=15000,
    )


def make_broker(
    bootstrap: str, client_id: str, registry: CollectorRegistry, settings: KafkaSettings | None = None
) -> KafkaBroker:
    return KafkaBroker(
        # A list: FastStream takes one string as a single host, and "a:9092,b:9092" would not resolve.
        [host.strip() for host in bootstrap.split(",") if host.strip()],
        client_id=client_id,
        security=broker_security(settings),
        # The topics are the deployment's (deploy/local, Strimzi's KafkaTopics); a service's principal
        # may not create them, and its attempt would only log a refusal.
        allow_auto_create_topics=False,
        enable_idempotence=True,
        middlewares=[KafkaPrometheusMiddleware(registry=registry, app_name=client_id)],
        graceful_timeout=8.0,  # within the shutdown budget of shared/runtime.py
        # A plain logger: its lines go through the root's handler (JSON, with the correlation id),
        # not through FastStream's own coloured one.
        logger=logging.getLogger("dvc.kafka"),
    )


async def bounded(coro, seconds: float, what: str) -> bool:
    """Await `coro` for at most `seconds`: aiokafka's stop() can hang with the broker gone.
    True when it finished in time and without error."""
    try:
        await asyncio.wait_for(coro, seconds)
        return True
    except TimeoutError:
        log.warning("%s did not finish in %.1f s; going on", what, seconds)
    except Exception as exc:  # a failing close must not stop the shutdown of the rest
        log.warning("%s failed: %s", what, exc)
    return False


async def topic_partitions(bootstrap: str, topic: str) -> list[TopicPartition]:
    """The topic's partitions, asked of the broker (a consumer's cached metadata may not know them yet)."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] or not described["partitions"]:
        raise RuntimeError(f"topic {topic} not found on {bootstrap}")
    return [TopicPartition(topic, p) for p in sorted(x["partition"] for x in described["partitions"])]


async def end_offsets(bootstrap: str, topic: str) -> dict[TopicPartition, int]:
    """Where each partition of `topic` ends now."""
    parts = await topic_partitions(bootstrap, topic)
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


async def wait_for_groups(
    bootstrap: str,
    groups: Mapping[str, str],
    deadline: float,
    *,
    targets: Mapping[TopicPartition, int] | None = None,
    interval: float = 0.2,
) -> int:
    """Wait until every consumer group ({group: topic}) has committed up to `targets` (default:
    its topic's ends when called), or `deadline` (time.monotonic()) passes. Returns the records
    still to commit past: 0 when they caught up."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        goals: dict[TopicPartition, int] = dict(targets or {})
        for topic in {t for t in groups.values() if not any(tp.topic == t for tp in goals)}:
            goals.update(await consumer.end_offsets(await topic_partitions(bootstrap, topic)))
        while True:
            behind = 0
            for group, topic in groups.items():
                committed = await admin.list_consumer_group_offsets(group)
                behind += sum(
                    max(0, end - (committed[tp].offset if tp in committed else 0))
                    for tp, end in goals.items()
                    if tp.topic == topic
                )
            if behind == 0 or time.monotonic() >= deadline:
                return behind
            await asyncio.sleep(interval)
    finally:
        await bounded(consumer.stop(), 10, "consumer stop")
        await bounded(admin.close(), 10, "admin close")
