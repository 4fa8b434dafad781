"""The test profile's broker speaks TLS before anything else (SASL_SSL, deploy/local/kafka_tls.py):
a client without TLS cannot talk to it even with the right password, a client that does not trust
the checkout's CA (or checks another name) fails the handshake, and the right CA with SCRAM works."""

from __future__ import annotations

import asyncio
import ssl
import struct

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaConnectionError

from deploy.local import kafka_access, kafka_tls
from shared.events import LIFECYCLE_TOPIC
from shared.kafka import bounded, client_options, topic_partitions
from shared.settings import KafkaSettings

pytestmark = pytest.mark.integration


def _host_port(bootstrap: str) -> tuple[str, int]:
    host, port = bootstrap.split(",")[0].rsplit(":", 1)
    return host, int(port)


def _as_intake(bootstrap: str, **overrides: str) -> dict:
    return client_options(bootstrap, KafkaSettings.model_validate({**kafka_access.client_env("intake"), **overrides}))


async def _metadata(options: dict) -> None:
    consumer = AIOKafkaConsumer(**options, request_timeout_ms=5000, metadata_max_age_ms=5000)
    try:
        await consumer.start()
        await consumer.topics()
    finally:
        await bounded(consumer.stop(), 10, "consumer stop")


async def test_a_client_without_tls_cannot_talk_even_with_the_right_password(bootstrap) -> None:
    with pytest.raises(KafkaConnectionError):
        await _metadata(_as_intake(bootstrap, KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT"))


async def test_plaintext_bytes_get_no_kafka_answer(bootstrap) -> None:
    """An ApiVersions request in clear: the broker reads it as a broken TLS record and hangs up
    without a Kafka answer (a plaintext listener would answer with its versions)."""
    reader, writer = await asyncio.open_connection(*_host_port(bootstrap))
    client = b"attacker"
    body = struct.pack(">hhih", 18, 0, 1, len(client)) + client  # ApiVersions v0, correlation id 1
    writer.write(struct.pack(">i", len(body)) + body)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(4096), 15)
    except ConnectionResetError:
        answer = b""
    finally:
        writer.close()
    # A TLS alert (record type 21) at most, never a Kafka response carrying our correlation id.
    assert answer[:1] in (b"", b"\x15"), answer[:16]
    assert struct.pack(">i", 1) not in answer[4:8]


async def test_a_client_that_does_not_trust_our_ca_fails_the_handshake(bootstrap) -> None:
    host, port = _host_port(bootstrap)
    system_only = ssl.create_default_context()  # the machine's CAs, not the checkout's
    with pytest.raises(ssl.SSLCertVerificationError):
        await asyncio.wait_for(asyncio.open_connection(host, port, ssl=system_only), 15)
    # And through the client factory: KAFKA_SSL_CAFILE empty means the system's CAs.
    with pytest.raises(KafkaConnectionError):
        await _metadata(_as_intake(bootstrap, KAFKA_SSL_CAFILE=""))


async def test_the_brokers_name_is_checked(bootstrap) -> None:
    """Our CA, but another name than the certificate's (127.0.0.1, localhost): refused."""
    host, port = _host_port(bootstrap)
    ours = ssl.create_default_context(cafile=kafka_tls.ca_file())
    with pytest.raises(ssl.SSLCertVerificationError, match=r"(?i)hostname|match"):
        await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ours, server_hostname="kafka.example.org"), 15)


async def test_our_ca_and_scram_work_over_tls(bootstrap) -> None:
    host, port = _host_port(bootstrap)
    _, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, ssl=ssl.create_default_context(cafile=kafka_tls.ca_file())), 15
    )
    try:
        peer = writer.get_extra_info("peercert")
        assert ("IP Address", "127.0.0.1") in peer["subjectAltName"]
        assert writer.get_extra_info("ssl_object").version() in ("TLSv1.3", "TLSv1.2")
    finally:
        writer.close()
    options = _as_intake(bootstrap)
    assert options["security_protocol"] == "SASL_SSL"
    parts = await topic_partitions(bootstrap, LIFECYCLE_TOPIC)
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False)
    await consumer.start()
    try:
        assert set(await consumer.end_offsets(parts)) == set(parts)
    finally:
        await bounded(consumer.stop(), 10, "consumer stop")
