"""Figure 1: the stats service's ingestion against a bare consumer reading the same topic."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg

from bench import procs, topics
from bench.measure import Figure, Summary, ratios, say

GOAL_RATIO, GOAL_RATE = 0.5, 20_000


INSTANCES = (1, 2)  # one process; then one per core of this machine, sharing the partitions


async def _applied(url: str) -> int:
    """Events the facts hold: the sum of their seq marks (a redelivered event adds nothing)."""
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT to_regclass('projection_generations') IS NOT NULL"):
            return 0  # the instances have not migrated the database yet
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        return await conn.fetchval(f"SELECT coalesce(sum(last_seq), 0) FROM {schema}.facts") if schema else 0
    finally:
        await conn.close()


def _ingest(env: dict[str, str], bootstrap: str, topic: str, n_events: int, instances: int) -> tuple[float, float]:
    """Events/s of `instances` stats processes in one consumer group, from the first record any of
    them decoded to the commit that completed the facts; and the largest peak memory."""
    url = asyncio.run(procs.create_database(env["STATS_DATABASE_URL"], "bench_ingest"))
    group = f"bench-stats-{uuid.uuid4().hex[:8]}"
    workers = procs.start_workers("stats_ingest", [[bootstrap, topic, url, group]] * instances, env)
    try:
        deadline = time.monotonic() + 3600
        while asyncio.run(_applied(url)) < n_events:  # polled from here: the instances only apply
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                raise RuntimeError("stats ingest stopped or stalled before applying every event")
            time.sleep(1.0)  # a sum over the facts: rarely, so it does not slow what it measures
        complete = time.perf_counter()
        results = procs.stop_workers(workers)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        asyncio.run(procs.drop_database(url))
    if any(r["rejected"] for r in results):
        raise RuntimeError(f"stats ingest rejected events: {results}")
    end = max(c for r in results for c in r["commits"] if c <= complete)
    seconds = end - min(r["first"] for r in results if r["first"])
    return n_events / seconds, max(r["peak_rss_mb"] for r in results)


def run(env: dict[str, str], n_events: int, reps: int, memory: dict) -> Figure:
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    topic = asyncio.run(topics.create_topic(bootstrap))
    rates: dict[int, list[float]] = {n: [] for n in INSTANCES}
    try:
        asyncio.run(topics.produce(bootstrap, topic, n_events))
        ceiling, peaks = [], []
        for rep in range(reps):
            bare = procs.run_worker("ceiling", [bootstrap, topic, str(n_events)], env, timeout=1800)
            ceiling.append(bare["events"] / bare["seconds"])
            for n in INSTANCES:
                rate, peak = _ingest(env, bootstrap, topic, n_events, n)
                rates[n].append(rate)
                peaks.append(peak)
            say(
                f"  ingest: repetition {rep + 1}/{reps}: ceiling {ceiling[-1]:,.0f}/s, "
                + ", ".join(
                    f"{n} instance{'s' if n > 1 else ''} {rates[n][-1]:,.0f}/s (ratio {rates[n][-1] / ceiling[-1]:.2f})"
                    for n in INSTANCES
                )
            )
    finally:
        asyncio.run(topics.delete_topic(bootstrap, topic))
    memory["stats (ingest worker)"] = max(peaks)
    best = INSTANCES[-1]
    value, ratio = Summary.of(rates[best]), ratios(rates[best], ceiling)
    return Figure(
        1,
        "Stats ingest vs the ceiling",
        "events/s",
        value=value,
        reference=Summary.of(ceiling),
        reference_name="bare consumer",
        ratio=ratio,
        goal=f">= {GOAL_RATIO} of ceiling and >= {GOAL_RATE:,}/s",
        met=ratio.median >= GOAL_RATIO and value.median >= GOAL_RATE,
        extra={
            "events": f"{n_events:,} on {topics.PARTITIONS} partitions, every one applied and committed",
            "instances": f"{best} stats processes in one consumer group (one per core); the figure",
            "1 instance": {**Summary.of(rates[1]).__dict__, "unit": "events/s"},
            "1 instance, ratio": {**ratios(rates[1], ceiling).__dict__, "unit": "of ceiling"},
        },
    )
