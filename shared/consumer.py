"""Idempotent batch consumption: decode, dead-letter the poison, apply with retries.

The subscriber commits offsets only after `process_batch` returns, i.e. after the
service's database transaction committed (manual acknowledgement, docs/design.md).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from aiokafka import ConsumerRecord, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import CollectorRegistry, Counter

from shared.db import TRANSIENT_DB_ERRORS
from shared.events import DEAD_LETTER_TOPIC, BadEvent
from shared.logs import correlation_id
from shared.tracing import context_of_headers, tracer

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Item(Generic[T]):
    record: ConsumerRecord
    message: T


class Rejected(Exception):
    """Raised by an applier for a message that can never be applied (impossible transition, gap)."""


_METRICS: weakref.WeakKeyDictionary[CollectorRegistry, tuple[Counter, Counter]] = weakref.WeakKeyDictionary()


def _metrics(registry: CollectorRegistry) -> tuple[Counter, Counter]:
    """One set of consumer metrics per registry, shared by the service's processors."""
    if registry not in _METRICS:
        _METRICS[registry] = (
            Counter(
                "dead_letters_total", "Messages sent to the dead-letter topic", ["topic", "kind"], registry=registry
            ),
            Counter(
                "consumed_messages_total",
                "Messages consumed and applied or skipped as duplicates",
                ["topic"],
                registry=registry,
            ),
        )
    return _METRICS[registry]


class BatchProcessor(Generic[T]):
    """Turns a batch of records into applied messages and dead letters.

    `apply(items)` applies many messages in one transaction and returns the ones it
    rejects (with the reason); they are dead-lettered after it commits. A batch that
    fails for a reason other than a transient outage is retried message by message,
    so one bad message cannot block the partition.
    """

    def __init__(
        self,
        service: str,
        broker: KafkaBroker,
        registry: CollectorRegistry,
        decode: Callable[[bytes], T],
        apply: Callable[[list[Item[T]]], Awaitable[list[tuple[Item[T], str]]]],
    ):
        self.service, self.broker, self.decode, self.apply = service, broker, decode, apply
        self.dead_letters, self.applied = _metrics(registry)

    async def process_batch(self, records: Sequence[ConsumerRecord]) -> None:
        items: list[Item[T]] = []
        for record in records:
            try:
                items.append(Item(record, self.decode(record.value or b"")))
            except BadEvent as exc:
                await self._dead_letter(record, "bad_event", str(exc))
            except Exception as exc:  # e.g. RecursionError on deeply nested JSON: still poison, never retried
                await self._dead_letter(record, "bad_event", f"undecodable: {type(exc).__name__}: {exc}"[:1000])
        if not items:
            return
        try:
            rejected = await self._with_retry(items)
        except Exception:
            log.exception("batch of %d failed; applying one by one", len(items))
            rejected = []
            for item in items:
                try:
                    rejected += await self._with_retry([item])
                except Exception as exc:
                    rejected.append((item, f"{type(exc).__name__}: {exc}"))
        for item, reason in rejected:
            await self._dead_letter(item.record, "rejected", reason)
        for topic, n in collections.Counter(item.record.topic for item in items).items():
            self.applied.labels(topic).inc(n)

    async def _with_retry(self, items: list[Item[T]]) -> list[tuple[Item[T], str]]:
        delay = 0.2
        while True:  # an outage is waited out: moving on would lose the messages
            try:
                return await self.apply(items)
            except TRANSIENT_DB_ERRORS as exc:
                log.warning("database unavailable (%s); retrying in %.1f s", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _dead_letter(self, record: ConsumerRecord, kind: str, reason: str) -> None:
        correlation_id.set(_where(record))  # this event, in the lines that follow
        log.warning("dead-lettering %s[%d]@%d: %s", record.topic, record.partition, record.offset, reason)
        headers: dict[str, Any] = {
            "dlt-reason": reason[:1000],
            "dlt-kind": kind,
            "dlt-service": self.service,
            "dlt-original-topic": record.topic,
            "dlt-original-partition": str(record.partition),
            "dlt-original-offset": str(record.offset),
            "dlt-original-timestamp": str(record.timestamp),
        }
        await self.broker.publish(record.value or b"", topic=DEAD_LETTER_TOPIC, key=record.key, headers=headers)
        self.dead_letters.labels(record.topic, kind).inc()


async def _records_undecoded(msg):
    """The raw records, bodies untouched: `processor.decode` judges them. FastStream's own
    decoder parses every body as JSON before the handler runs, and a body it cannot parse
    (nested too deep, or a lying content-type header) failed the whole batch, uncommitted
    but skipped: good events behind the poison were lost."""
    return msg.raw_message


def subscribe_batches(
    broker: KafkaBroker,
    topic: str,
    group_id: str,
    processor: BatchProcessor,
    *,
    max_records: int = 500,
    description: str = "",
) -> Any:
    """Register a batch subscriber that commits offsets only after the batch is applied; returns it."""

    subscriber = broker.subscriber(
        topic,
        group_id=group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=100,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,
        decoder=_records_undecoded,
        title=f"{group_id}:{topic}",
        description=description,
    )

    @subscriber
    async def handle(msg: KafkaMessage) -> None:
        records = msg.raw_message
        # The batch's lines carry where it starts and how many records follow.
        token = correlation_id.set(f"{_where(records[0])}+{len(records) - 1}" if records else None)
        try:
            await _apply_batch(msg, records, processor, group_id)
        finally:
            correlation_id.reset(token)

    return subscriber


async def _apply_batch(msg: KafkaMessage, records, processor: BatchProcessor, group_id: str) -> None:
    spans = _record_spans(records, group_id)
    try:
        await processor.process_batch(records)
    except BaseException as exc:
        for span in spans:
            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            span.end()
        # Not applied: fetch these records again rather than let a later commit skip them.
        firsts: dict = {}
        for r in records:
            firsts.setdefault(TopicPartition(r.topic, r.partition), r.offset)
        for tp, offset in firsts.items():
            if tp in msg.consumer.assignment():  # type: ignore[attr-defined] # aiokafka's, behind FastStream's protocol
                msg.consumer.seek(tp, offset)
        raise
    for span in spans:
        span.end()
    await msg.ack()  # commits the positions of what was fetched, all of it now applied


def _where(record: ConsumerRecord) -> str:
    """An event's correlation id in logs: where it sits on the topic (its body may be personal)."""
    return f"{record.topic}/{record.partition}@{record.offset}"


def _record_spans(records: Sequence[ConsumerRecord], group_id: str) -> list:
    """One consumer span per record that carries a trace context, child of the span that wrote it
    to the outbox: the request's trace goes on in every service that applies the event. They last
    as long as the batch's transaction, which applies them together."""
    spans = []
    for record in records:
        parent = context_of_headers(record.headers)
        if parent is None:
            continue
        span = tracer.start_span(f"{record.topic} process", context=parent, kind=SpanKind.CONSUMER)
        span.set_attributes(
            {
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": group_id,
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            }
        )
        spans.append(span)
    return spans
