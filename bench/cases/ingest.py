"""Figure 1: the stats service's ingestion against a bare consumer reading the same topic."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid

import asyncpg

from bench import cpu, procs, topics
from bench.measure import Figure, Summary, ratios, say

GOAL_RATIO, GOAL_RATE = 0.5, 20_000
GOAL_RATIO_ONE = 0.3  # one instance alone


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


def _ingest(
    env: dict[str, str], bootstrap: str, topic: str, n_events: int, instances: int
) -> tuple[float, float, dict]:
    """Events/s of `instances` stats processes in one consumer group, from the first record any of
    them decoded to the commit that completed the facts; the largest peak memory; and the CPU
    each party spent per event over the same span."""
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
    started = [r for r in results if r["first"]]
    # Each instance's commits up to the one that completed the facts, with the sample taken after each.
    done = [[(c, s) for c, s in zip(r["commits"], r["samples"][1:], strict=True) if c <= complete] for r in started]
    end, last = max((commits[-1] for commits in done if commits), key=lambda c: c[0])
    first = min(started, key=lambda r: r["first"])
    seconds = end - first["first"]
    own = sum(
        commits[-1][1]["own"] - r["samples"][0]["own"] for r, commits in zip(started, done, strict=True) if commits
    )
    usage = cpu.per_event(first["samples"][0], last, seconds, n_events, own)
    return n_events / seconds, max(r["peak_rss_mb"] for r in results), usage


def run(env: dict[str, str], n_events: int, reps: int, memory: dict) -> Figure:
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    topic = asyncio.run(topics.create_topic(bootstrap))
    rates: dict[int, list[float]] = {n: [] for n in INSTANCES}
    usage: dict[str, list[dict]] = {"bare consumer": [], **{_name(n): [] for n in INSTANCES}}
    try:
        asyncio.run(topics.produce(bootstrap, topic, n_events))
        ceiling, peaks = [], []
        for rep in range(reps):
            bare = procs.run_worker("ceiling", [bootstrap, topic, str(n_events)], env, timeout=1800)
            ceiling.append(bare["events"] / bare["seconds"])
            before, after = bare["cpu"]
            usage["bare consumer"].append(
                cpu.per_event(before, after, bare["seconds"], bare["events"], after["own"] - before["own"])
            )
            for n in INSTANCES:
                rate, peak, used = _ingest(env, bootstrap, topic, n_events, n)
                rates[n].append(rate)
                peaks.append(peak)
                usage[_name(n)].append(used)
            say(
                f"  ingest: repetition {rep + 1}/{reps}: ceiling {ceiling[-1]:,.0f}/s, "
                + ", ".join(
                    f"{_name(n)} {rates[n][-1]:,.0f}/s (ratio {rates[n][-1] / ceiling[-1]:.2f})" for n in INSTANCES
                )
            )
            for name, runs in usage.items():
                say(f"    CPU, {name}: {_described(runs[-1])}")
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
            **{f"CPU, {name}": _described(_medians(runs)) for name, runs in usage.items()},
            "CPU an event may cost at the goals": f"one instance at {GOAL_RATIO_ONE}: "
            f"{_budget(GOAL_RATIO_ONE, statistics.median(ceiling))} µs, two at {GOAL_RATIO}: "
            f"{_budget(GOAL_RATIO, statistics.median(ceiling))} µs, every process together "
            f"({os.cpu_count()} cores / (goal x the ceiling's median))",
        },
    )


def _name(instances: int) -> str:
    return f"{instances} instance{'s' if instances > 1 else ''}"


def _medians(runs: list[dict]) -> dict:
    """Each measure's median over the repetitions: where the processor time went per event."""
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def _described(usage: dict) -> str:
    return ", ".join(f"{key} {value:,.1f}" for key, value in usage.items())


def _budget(ratio: float, ceiling: float) -> float:
    """Processor µs an event may cost, every process on this machine together, at `ratio` x `ceiling`."""
    return round((os.cpu_count() or 1) * 1e6 / (ratio * ceiling), 1)
