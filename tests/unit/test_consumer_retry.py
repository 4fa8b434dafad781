"""What the batch consumer waits out and what it dead-letters (a stand-in broker records publishes)."""

from __future__ import annotations

import asyncpg
from aiokafka import ConsumerRecord
from prometheus_client import CollectorRegistry

from shared.consumer import BatchProcessor


class RecordingBroker:
    def __init__(self):
        self.published = []

    async def publish(self, body, **kwargs):
        self.published.append((body, kwargs))


def record(offset: int) -> ConsumerRecord:
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=b"k",
        value=b"v",
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        headers=[],
    )


async def test_a_client_error_while_postgresql_restarts_is_retried_not_dead_lettered():
    calls = []

    async def apply(items):
        calls.append(len(items))
        if len(calls) == 1:  # what asyncpg raised in the chaos test when the server went away mid-query
            raise asyncpg.exceptions.InternalClientError(
                "cannot switch to state 15; another operation (2) is in progress"
            )
        return []

    broker = RecordingBroker()
    await BatchProcessor("t", broker, CollectorRegistry(), lambda raw: raw, apply).process_batch([record(5)])
    assert calls == [1, 1] and broker.published == []


async def test_a_message_that_fails_for_good_is_dead_lettered_and_the_rest_applied():
    async def apply(items):
        if any(i.message == b"bad" for i in items):
            raise OverflowError("date value out of range")
        return []

    broker = RecordingBroker()
    bad = record(7)
    bad = ConsumerRecord(**{**bad.__dict__, "value": b"bad"})
    await BatchProcessor("t", broker, CollectorRegistry(), lambda raw: raw, apply).process_batch([record(6), bad])
    assert [(body, kw["headers"]["dlt-original-offset"]) for body, kw in broker.published] == [(b"bad", "7")]
