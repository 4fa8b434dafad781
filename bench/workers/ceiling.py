"""The ceiling of figure 1: a bare aiokafka consumer reading the whole topic, doing nothing.

    python -m bench.workers.ceiling BOOTSTRAP TOPIC EVENTS
Prints {"events", "seconds", "peak_rss_mb", "cpu"}; seconds run from the first record to the last,
so joining the group is not counted (nor is it for the stats worker); "cpu" is a processor
sample (bench/cpu.py) at each end.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid

from aiokafka import AIOKafkaConsumer

from bench.cpu import sample
from bench.procs import peak_rss_mb
from shared.kafka import client_options


async def main(bootstrap: str, topic: str, expected: int) -> dict:
    consumer = AIOKafkaConsumer(
        topic,
        **client_options(bootstrap),
        group_id=f"bench-ceiling-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        seen, first, cpu_first = 0, None, None
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000)
            for records in batches.values():
                if first is None:
                    first, cpu_first = time.perf_counter(), sample()
                seen += len(records)
        seconds = time.perf_counter() - first
        return {
            "events": seen,
            "seconds": seconds,
            "peak_rss_mb": peak_rss_mb(os.getpid()),
            "cpu": [cpu_first, sample()],
        }
    finally:
        await consumer.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))))
