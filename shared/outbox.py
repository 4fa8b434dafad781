"""Outbox: append in the caller's transaction; the relay publishes rows in id order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel

from shared.db import TRANSIENT_DB_ERRORS
from shared.kafka import bounded, make_producer
from shared.settings import KafkaSettings
from shared.tracing import current_traceparent

log = logging.getLogger(__name__)
RELAY_LOCK_ID = 727275  # one active relay per database, so rows leave in order


async def append(conn: asyncpg.Connection, topic: str, key: str, message: BaseModel) -> None:
    """Queue `message` for `topic`; call inside the transaction that changes the business row."""
    await conn.execute(
        "INSERT INTO outbox(topic, key, payload, traceparent) VALUES ($1, $2, $3, $4)",
        topic,
        key,
        message.model_dump_json().encode(),
        current_traceparent(),
    )
    await conn.execute("NOTIFY outbox")  # delivered at commit; wakes the relay at once


async def append_many(conn: asyncpg.Connection, rows: list[tuple[str, str, BaseModel]]) -> None:
    """Queue many (topic, key, message) in one statement, in list order (ids follow it)."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO outbox(topic, key, payload, traceparent) SELECT topic, key, payload, $4 "
        "FROM unnest($1::text[], $2::text[], $3::bytea[]) "
        "WITH ORDINALITY AS r(topic, key, payload, n) ORDER BY n",
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2].model_dump_json().encode() for r in rows],
        current_traceparent(),
    )
    await conn.execute("NOTIFY outbox")


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        database_url: str,
        bootstrap: str,
        client_id: str,
        registry: CollectorRegistry,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.2,
        kafka: KafkaSettings | None = None,
    ):
        self.pool, self.database_url, self.bootstrap, self.client_id = pool, database_url, bootstrap, client_id
        self.batch_size, self.poll_seconds, self.kafka = batch_size, poll_seconds, kafka
        self.published = Counter("outbox_published_total", "Outbox rows published to Kafka", registry=registry)
        self.oldest_unsent = Gauge(
            "outbox_oldest_unsent_seconds", "Age of the oldest unsent outbox row", registry=registry
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.active = False  # holds the relay lock

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                await self._run_with_lock()
            except asyncio.CancelledError:
                raise
            except (*TRANSIENT_DB_ERRORS, KafkaError) as exc:
                log.warning("outbox relay interrupted (%s: %s); restarting", type(exc).__name__, exc)
            except Exception:
                log.exception("outbox relay failed; restarting")
            self.active = False
            await asyncio.sleep(1)

    async def _run_with_lock(self) -> None:
        # A dedicated connection: the advisory lock and LISTEN live as long as it does.
        conn = await asyncpg.connect(self.database_url)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_ID):
                await asyncio.sleep(1)
            self.active = True
            await conn.add_listener("outbox", lambda *_: self._wake.set())
            producer = make_producer(self.bootstrap, self.client_id + "-outbox", self.kafka)
            await producer.start()
            try:
                await self._pump(conn, producer)
            finally:
                await bounded(producer.stop(), 10, "outbox producer stop")
        finally:
            await bounded(conn.close(), 5, "outbox connection close")

    async def _pump(self, conn: asyncpg.Connection, producer) -> None:
        while True:
            rows = await conn.fetch(
                "SELECT id, topic, key, payload, traceparent, created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
                self.batch_size,
            )
            if not rows:
                self.oldest_unsent.set(0)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                continue
            self.oldest_unsent.set(max(0.0, time.time() - rows[0]["created_at"].timestamp()))
            # send() only enqueues; the idempotent producer keeps each partition's order.
            futures = [
                await producer.send(r["topic"], r["payload"], key=r["key"].encode(), headers=_headers(r["traceparent"]))
                for r in rows
            ]
            await asyncio.gather(*futures)
            await conn.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
            )
            self.published.inc(len(rows))


def _headers(traceparent: str | None) -> list[tuple[str, bytes]] | None:
    """The row's trace context as a Kafka header: the consumers' spans continue the request's trace."""
    return [("traceparent", traceparent.encode())] if traceparent else None


class OutboxGauges:
    """The outbox's backlog and the age of its oldest unsent row, read from the table every
    `interval_s`: unlike the relay's own gauge they keep rising while Kafka is down (or the relay is
    stuck), which is what the alert needs. Every instance reads them; they agree."""

    def __init__(self, pool: asyncpg.Pool, service: str, registry: CollectorRegistry, interval_s: float = 5.0):
        self.pool, self.interval_s = pool, interval_s
        self.backlog = Gauge(
            "outbox_backlog_rows", "Outbox rows not yet published", ["service"], registry=registry
        ).labels(service)
        self.age = Gauge(
            "outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"], registry=registry
        ).labels(service)

    async def refresh(self) -> None:
        row = await self.pool.fetchrow(
            "SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
            "FROM outbox WHERE sent_at IS NULL"
        )
        self.backlog.set(row["n"])
        self.age.set(max(0.0, float(row["age"])))

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except (*TRANSIENT_DB_ERRORS, asyncpg.PostgresError) as exc:
                log.warning("outbox gauges: database unavailable (%s)", type(exc).__name__)
            await asyncio.sleep(self.interval_s)
