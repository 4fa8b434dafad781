"""Helpers of the integration tests: a stats database, a stats consumer, a producer."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from services.stats.adapters import generations
from services.stats.service import ingest
from shared.consumer import BatchProcessor, subscribe_batches
from shared.db import migrate
from shared.events import encode, parse_owned_event
from shared.kafka import client_options, make_broker
from tests.conftest import eventually

STATS_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "stats" / "migrations"


async def produce(bootstrap: str, topic: str, events: list) -> None:
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic, encode(e), key=e.dossier_code.encode())
    finally:
        await producer.stop()


@pytest.fixture
async def stats_db(fresh_database):
    pool = await asyncpg.create_pool(fresh_database)
    await migrate(pool, STATS_MIGRATIONS)
    schema = await generations.ensure_active(pool)
    await pool.close()
    # The test reads the projection tables of the first generation without qualifying them.
    pool = await asyncpg.create_pool(fresh_database, server_settings={"search_path": f"{schema}, public"})
    yield pool
    await pool.close()


async def start_stats_consumer(bootstrap, topic, group, pool):
    registry = CollectorRegistry()
    broker = make_broker(bootstrap, "test-stats", registry)
    processor = BatchProcessor(
        "test", broker, registry, parse_owned_event, lambda items: ingest.apply_batch(pool, items)
    )
    subscribe_batches(broker, topic, group, processor)
    await broker.start()
    return broker


async def apply_events(bootstrap: str, topic: str, stats_db, events: list) -> None:
    """`events` on the topic, consumed into stats' tables as the service does, until every one is in."""
    await produce(bootstrap, topic, events)
    broker = await start_stats_consumer(bootstrap, topic, f"g-{uuid.uuid4().hex[:8]}", stats_db)
    try:

        async def all_applied():
            return await stats_db.fetchval("SELECT coalesce(sum(last_seq), 0) FROM facts") == len(events)

        await eventually(all_applied, what="every event applied")
    finally:
        await broker.stop()


def intake_units(pool):
    """intake's use cases on this pool, as the service wires them."""
    from services.intake.adapters.repository import IntakeRepository
    from shared.uow import pg_units

    return pg_units(lambda: pool, IntakeRepository)


def resolution_units(pool):
    """resolution's use cases on this pool, as the service wires them."""
    from services.resolution.adapters.repository import ResolutionRepository
    from shared.uow import pg_units

    return pg_units(lambda: pool, ResolutionRepository)
