"""Figure 1's subject: the stats service's own ingestion, wired as services/stats/entrypoints/main.py
wires it (FastStream batch subscriber, BatchProcessor, ingest.apply_batch), on a given topic and
a fresh database with the stats migrations.

    python -m bench.workers.stats_ingest BOOTSTRAP TOPIC EVENTS DATABASE_URL
Prints {"events", "seconds", "peak_rss_mb", "rejected"} once every event is applied and its
transaction committed; seconds run from the first record decoded.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from pathlib import Path

from prometheus_client import CollectorRegistry

from bench.measure import Progress
from bench.procs import peak_rss_mb
from services.stats.adapters import generations
from services.stats.service import ingest
from shared.consumer import AssignmentTracker, BatchProcessor, subscribe_batches
from shared.db import create_pool, migrate
from shared.events import parse_event
from shared.kafka import make_broker
from shared.runtime import tune_gc

import services.stats

MIGRATIONS = Path(services.stats.__file__).parent / "migrations"


async def main(bootstrap: str, topic: str, expected: int, database_url: str) -> dict:
    pool = await create_pool(database_url, max_size=10)
    await migrate(pool, MIGRATIONS)
    await generations.ensure_active(pool)  # as the service's start-up does
    registry = CollectorRegistry()
    broker = make_broker(bootstrap, "stats", registry)
    done = asyncio.Event()
    state = {"first": None, "applied": 0, "rejected": 0}
    progress = Progress("stats ingest: events committed", expected)

    def decode(raw: bytes):
        if state["first"] is None:
            state["first"] = time.perf_counter()
        return parse_event(raw)

    async def apply(items):
        rejected = await ingest.apply_batch(pool, items)  # returns after its transaction committed
        state["applied"] += len(items)
        state["rejected"] += len(rejected)
        progress.add(len(items))
        if state["applied"] >= expected:
            state["end"] = time.perf_counter()
            done.set()
        return rejected

    processor = BatchProcessor("stats", broker, registry, decode, apply)
    subscribe_batches(broker, topic, f"bench-stats-{uuid.uuid4().hex[:8]}", processor, AssignmentTracker(),
                      max_records=ingest.BATCH_RECORDS)
    await broker.start()
    tune_gc()  # as a service does once started
    try:
        await done.wait()
    finally:
        progress.done()
        await broker.stop()
    async with pool.acquire() as conn, conn.transaction():
        await generations.use_active(conn)
        applied_seq = await conn.fetchval("SELECT coalesce(sum(last_seq), 0) FROM facts")
    await pool.close()
    return {"events": state["applied"], "seconds": state["end"] - state["first"], "rejected": state["rejected"],
            "facts_last_seq_sum": applied_seq, "peak_rss_mb": peak_rss_mb(os.getpid())}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))))
