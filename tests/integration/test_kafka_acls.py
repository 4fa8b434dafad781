"""The test profile's broker enforces who may write: SASL/SCRAM-SHA-512 only, one principal per
service with the ACLs of deploy/local/kafka_access.py. Attacks it the way a forger would."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from deploy.local import kafka_access
from shared.events import LIFECYCLE_TOPIC, REQUESTS_TOPIC, STATS_GROUP
from shared.kafka import bounded, client_options, topic_partitions
from shared.settings import KafkaSettings

pytestmark = pytest.mark.integration


def _as(user: str, bootstrap: str, **overrides: str) -> dict:
    return client_options(bootstrap, KafkaSettings.model_validate({**kafka_access.client_env(user), **overrides}))


async def _send(options: dict, topic: str) -> None:
    producer = AIOKafkaProducer(**options, request_timeout_ms=10000, enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"forged": true}', key=b"forged")
    finally:
        await bounded(producer.stop(), 10, "producer stop")


@pytest.mark.parametrize("topic", [LIFECYCLE_TOPIC, REQUESTS_TOPIC])
async def test_stats_principal_cannot_write_events(bootstrap, topic) -> None:
    """Stats only reads: with its own credentials it cannot forge a status change or a request."""
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(_as("stats", bootstrap), topic)


async def test_resolution_principal_cannot_write_requests(bootstrap) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(_as("resolution", bootstrap), REQUESTS_TOPIC)


async def test_stats_principal_reads_the_lifecycle_only_in_its_own_group(bootstrap) -> None:
    """What stats needs works (so the refusals above are ACLs, not a broken login); another group does not."""
    options = _as("stats", bootstrap)
    parts = await topic_partitions(bootstrap, LIFECYCLE_TOPIC)  # described as the tooling's super user
    reader = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await reader.start()
    try:
        ends = await reader.end_offsets(parts)
        assert set(ends) == set(parts)
    finally:
        await bounded(reader.stop(), 10, "consumer stop")
    stranger = AIOKafkaConsumer(LIFECYCLE_TOPIC, **options, group_id=f"not-{STATS_GROUP}-{uuid.uuid4().hex[:6]}")
    with pytest.raises(GroupAuthorizationFailedError):
        await stranger.start()
        await stranger.getmany(timeout_ms=5000)
    await bounded(stranger.stop(), 10, "consumer stop")


async def test_unauthenticated_connection_is_refused(bootstrap) -> None:
    """No credentials at all: the listener speaks only SASL, so the client never gets metadata."""
    producer = AIOKafkaProducer(
        **client_options(bootstrap, KafkaSettings(kafka_security_protocol="PLAINTEXT")), request_timeout_ms=5000
    )
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await bounded(producer.stop(), 10, "producer stop")


async def test_wrong_password_is_refused(bootstrap) -> None:
    with pytest.raises(KafkaError):
        await _send(_as("intake", bootstrap, KAFKA_SASL_PASSWORD="guessed-" + uuid.uuid4().hex), LIFECYCLE_TOPIC)
