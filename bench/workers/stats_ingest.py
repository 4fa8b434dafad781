"""Figure 1's subject: the stats service's own ingestion, wired as services/stats/entrypoints/main.py
wires it (FastStream batch subscriber, BatchProcessor, ingest.apply_batch), on a given topic and
a fresh database with the stats migrations.

    python -m bench.workers.stats_ingest BOOTSTRAP TOPIC DATABASE_URL GROUP
Several started with one GROUP are instances of one service sharing the partitions. Each runs
until SIGTERM (bench/cases/ingest.py sends it once the facts hold every event), then prints
{"events", "first", "commits", "samples", "rejected", "peak_rss_mb"}: when it decoded its first
record and when each of its transactions committed, with a processor sample (bench/cpu.py) at
the first record and after each commit.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry

import services.stats
from bench.cpu import sample
from bench.measure import Progress
from bench.procs import peak_rss_mb
from services.stats.adapters import generations
from services.stats.adapters.fast_events import decode_owned_event
from services.stats.service import ingest
from shared.consumer import BatchProcessor, subscribe_batches
from shared.db import create_pool, migrate
from shared.kafka import make_broker
from shared.runtime import tune_gc

MIGRATIONS = Path(services.stats.__file__).parent / "migrations"


async def main(bootstrap: str, topic: str, database_url: str, group: str) -> dict:
    pool = await create_pool(database_url, max_size=10)
    await migrate(pool, MIGRATIONS)
    await generations.ensure_active(pool)  # as the service's start-up does
    registry = CollectorRegistry()
    broker = make_broker(bootstrap, "stats", registry)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    state: dict = {"first": None, "commits": [], "samples": [], "applied": 0, "rejected": 0}
    progress = Progress("stats ingest: events committed (this instance, redeliveries included)")

    def decode(raw: bytes):
        if state["first"] is None:
            state["first"] = time.perf_counter()
            state["samples"].append(sample())
        return decode_owned_event(raw)

    async def apply(items):
        rejected = await ingest.apply_batch(pool, items)  # returns after its transaction committed
        state["commits"].append(time.perf_counter())
        state["samples"].append(sample())
        state["applied"] += len(items)
        state["rejected"] += len(rejected)
        progress.add(len(items))
        return rejected

    processor = BatchProcessor("stats", broker, registry, decode, apply)
    subscribe_batches(broker, topic, group, processor, max_records=ingest.BATCH_RECORDS)
    await broker.start()
    tune_gc()  # as a service does once started
    try:
        await stop.wait()
    finally:
        progress.done()
        await broker.stop()
    await pool.close()
    # perf_counter is the system's monotonic clock: comparable between processes
    return {
        "events": state["applied"],
        "first": state["first"],
        "commits": state["commits"],
        "samples": state["samples"],  # the first record's, then one per commit
        "rejected": state["rejected"],
        "peak_rss_mb": peak_rss_mb(os.getpid()),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:5]))))
