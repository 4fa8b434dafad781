"""Rebuild the projections from the lifecycle topic into a new generation, then switch.

1. A new generation schema is created, empty, in state 'building'.
2. The topic is replayed from its beginning into it, while the live consumer goes on
   filling the active generation and the board is served from it. Replaying is Python-bound
   (decoding and projecting; PostgreSQL idles at a tenth of a core), so worker processes share
   the partitions, one per CPU: a dossier's events are all on one partition, so each worker
   owns its facts, and the counters they share are added to in a sorted order (no deadlock).
3. Close to the end, the rebuild takes every partition lock the live consumer takes for
   each batch (so it pauses), reads what is left up to the topic's end, applies it, and
   flips the active generation in the same transaction. The live consumer's next batch
   goes to the new generation; what it re-applies is a no-op there (seq marks).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition

from services.stats.adapters import generations
from services.stats.adapters import repository as repo
from services.stats.adapters.fast_events import decode_owned_event
from services.stats.service import ingest
from shared.consumer import Item
from shared.db import create_pool
from shared.events import BadEvent
from shared.kafka import client_options, topic_partitions
from shared.runtime import tune_gc

FETCH_RECORDS = 10000
# Distinct counter rows held in memory before they are written. The topic runs roughly in time
# order, so the batches of a few weeks share most of their day rows. With 200,000 a worker peaked
# at 287 MB on 5 M events (the bound is 300 MB); 100,000 measured no slower on 1 M.
HOLD_COUNTERS = 100_000


@dataclass
class Progress:
    total: int = 0  # events to replay as first measured (grows while the topic grows)
    applied: int = 0
    skipped_bad: int = 0  # could never be decoded: the live consumer dead-lettered them
    rejected: int = 0  # decoded but not applicable (a gap, an impossible move)
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        return self.applied / max(time.monotonic() - self.started, 1e-9)


async def _ends(
    consumer: AIOKafkaConsumer, starts: dict[TopicPartition, int], progress: Progress
) -> dict[TopicPartition, int]:
    """Where each partition ends now; the progress total grows to match."""
    ends = await consumer.end_offsets(list(starts))
    progress.total = sum(ends[tp] - starts[tp] for tp in starts)
    return ends


async def _replay_until(
    consumer, ends: dict[TopicPartition, int], apply, progress: Progress, report: Callable[[Progress], None]
) -> None:
    """Read every partition up to `ends` and hand the decoded events to `apply`, batch by batch.

    Batches are applied one after another (a dossier's events may span two), but the next one
    is fetched and decoded while PostgreSQL works on the previous one.
    """
    applying: asyncio.Task | None = None

    async def finish() -> None:
        assert applying is not None
        rejected, count = await applying
        progress.rejected += len(rejected)
        progress.applied += count
        report(progress)

    async def run(items: list[Item]):
        return await apply(items), len(items)

    while pending := [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
        batch = await consumer.getmany(*pending, timeout_ms=1000, max_records=FETCH_RECORDS)
        items = []
        for tp, records in batch.items():
            for record in records:
                if record.offset >= ends[tp]:
                    continue  # beyond this pass; the next pass reads it again
                try:
                    items.append(Item(record, decode_owned_event(record.value)))
                except BadEvent:
                    progress.skipped_bad += 1
        for tp, records in batch.items():
            past = [r for r in records if r.offset >= ends[tp]]
            if past:
                consumer.seek(tp, past[0].offset)
        if applying is not None:
            await finish()
            applying = None
        if items:
            applying = asyncio.create_task(run(items))
    if applying is not None:
        await finish()


def _consumer(bootstrap: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(bootstrap),
        enable_auto_commit=False,
        group_id=None,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
    )


async def _replay_into(
    pool: asyncpg.Pool,
    schema: str,
    consumer,
    ends: dict[TopicPartition, int],
    progress: Progress,
    report: Callable[[Progress], None],
) -> None:
    """Replay up to `ends` into the building generation, its counters held and written in passes."""
    held = ingest.HeldCounters()

    async def write_held():
        async with pool.acquire() as conn, conn.transaction():
            await generations.use(conn, schema)
            await held.write(conn)

    async def into_new(items):
        rejected = await ingest.apply_batch(pool, items, schema, held)
        if len(held) >= HOLD_COUNTERS:
            await write_held()
        return rejected

    await _replay_until(consumer, ends, into_new, progress, report)
    await write_held()


_shared_applied: Any = None  # in a worker process: its slot of the parent's progress counters


def _init_worker(applied) -> None:
    global _shared_applied
    _shared_applied = applied


def _replay_share(
    database_url: str, bootstrap: str, schema: str, slot: int, ends: list[tuple[str, int, int]]
) -> tuple[int, int, int]:
    """A worker process: its partitions, from their beginning up to `ends` [(topic, partition,
    offset)], into `schema`. Returns (applied, skipped_bad, rejected)."""

    async def run() -> Progress:
        pool = await create_pool(database_url, max_size=2)
        consumer = _consumer(bootstrap)
        await consumer.start()
        tune_gc()
        try:
            limits = {TopicPartition(topic, partition): offset for topic, partition, offset in ends}
            consumer.assign(list(limits))
            await consumer.seek_to_beginning(*limits)
            progress = Progress()

            def report(p: Progress) -> None:
                _shared_applied[slot] = p.applied

            await _replay_into(pool, schema, consumer, limits, progress, report)
            return progress
        finally:
            await consumer.stop()
            await pool.close()

    done = asyncio.run(run())
    return done.applied, done.skipped_bad, done.rejected


async def _replay_in_workers(
    database_url: str,
    bootstrap: str,
    schema: str,
    ends: dict[TopicPartition, int],
    workers: int,
    progress: Progress,
    report: Callable[[Progress], None],
) -> None:
    """The long pass: the partitions dealt out to worker processes; progress summed as they go."""
    parts = sorted(ends, key=lambda tp: tp.partition)
    shares = [parts[i::workers] for i in range(min(workers, len(parts)))]
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited event loop or sockets
    applied = context.Array("q", len(shares), lock=False)
    before = progress.applied
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(len(shares), mp_context=context, initializer=_init_worker, initargs=(applied,)) as pool:
        running = [
            loop.run_in_executor(
                pool,
                _replay_share,
                database_url,
                bootstrap,
                schema,
                slot,
                [(tp.topic, tp.partition, ends[tp]) for tp in share],
            )
            for slot, share in enumerate(shares)
        ]
        while not all(f.done() for f in running):
            await asyncio.wait(running, timeout=0.5)
            progress.applied = before + sum(applied)
            report(progress)
        results = [f.result() for f in running]  # a worker's failure fails the rebuild
    progress.applied = before + sum(r[0] for r in results)
    progress.skipped_bad += sum(r[1] for r in results)
    progress.rejected += sum(r[2] for r in results)


async def rebuild(
    pool: asyncpg.Pool,
    database_url: str,
    bootstrap: str,
    topic: str,
    report: Callable[[Progress], None] = lambda p: None,
    workers: int = 0,
) -> dict:
    """`workers`: processes replaying the partitions in the long pass (0: one per CPU)."""
    workers = workers or os.cpu_count() or 1
    async with pool.acquire() as conn, conn.transaction():
        for schema in await generations.abandoned(conn):
            await generations.drop(conn, schema)
        schema = await generations.create(conn)
    consumer = _consumer(bootstrap)
    await consumer.start()
    progress = Progress()
    try:
        parts = await topic_partitions(bootstrap, topic)
        consumer.assign(parts)
        starts = await consumer.beginning_offsets(parts)
        ends = await _ends(consumer, starts, progress)
        await _replay_in_workers(database_url, bootstrap, schema, ends, workers, progress, report)
        for tp in parts:  # the short pass, for what arrived during the long one, starts where it ended
            consumer.seek(tp, ends[tp])
        ends = await _ends(consumer, starts, progress)
        await _replay_into(pool, schema, consumer, ends, progress, report)
        async with pool.acquire() as conn:
            # Fresh tables have no planner statistics yet: without them the first reports and
            # reconciliations on the new generation get plans that take minutes.
            await generations.analyze(conn, schema)
        async with pool.acquire() as conn, conn.transaction():
            await repo.lock_partitions(conn, {tp.partition for tp in parts})  # the live consumer waits here

            async def in_switch(items):
                return await ingest.apply_in(conn, items, schema)

            ends = await _ends(consumer, starts, progress)
            await _replay_until(consumer, ends, in_switch, progress, report)
            old = await generations.activate(conn, schema)
    finally:
        await consumer.stop()
    if old:
        async with pool.acquire() as conn, conn.transaction():
            await generations.drop(conn, old)
    return {
        "generation": schema,
        "replaced": old,
        "events": progress.applied,
        "skipped_bad": progress.skipped_bad,
        "rejected": progress.rejected,
        "seconds": round(time.monotonic() - progress.started, 1),
        "events_per_second": round(progress.rate),
    }
