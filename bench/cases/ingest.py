"""Figure 1: the stats service's ingestion against a bare consumer reading the same topic."""
from __future__ import annotations

import asyncio

from bench import procs, topics
from bench.measure import Figure, Summary, ratios, say

GOAL_RATIO, GOAL_RATE = 0.5, 20_000


def run(env: dict[str, str], n_events: int, reps: int, memory: dict) -> Figure:
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    topic = asyncio.run(topics.create_topic(bootstrap))
    try:
        asyncio.run(topics.produce(bootstrap, topic, n_events))
        ceiling, stats, peaks = [], [], []
        for rep in range(reps):
            bare = procs.run_worker("ceiling", [bootstrap, topic, str(n_events)], env, timeout=1800)
            ceiling.append(bare["events"] / bare["seconds"])
            url = asyncio.run(procs.create_database(env["STATS_DATABASE_URL"], "bench_ingest"))
            try:
                got = procs.run_worker("stats_ingest", [bootstrap, topic, str(n_events), url], env, timeout=3600)
            finally:
                asyncio.run(procs.drop_database(url))
            if got["rejected"] or got["facts_last_seq_sum"] != n_events:
                raise RuntimeError(f"stats ingest did not apply every event: {got}")
            stats.append(got["events"] / got["seconds"])
            peaks.append(got["peak_rss_mb"])
            say(f"  ingest: repetition {rep + 1}/{reps}: ceiling {ceiling[-1]:,.0f}/s, stats {stats[-1]:,.0f}/s "
                f"(ratio {stats[-1] / ceiling[-1]:.2f})")
    finally:
        asyncio.run(topics.delete_topic(bootstrap, topic))
    memory["stats (ingest worker)"] = max(peaks)
    value, ratio = Summary.of(stats), ratios(stats, ceiling)
    return Figure(1, "Stats ingest vs the ceiling", "events/s", value=value, reference=Summary.of(ceiling),
                  reference_name="bare consumer", ratio=ratio,
                  goal=f">= {GOAL_RATIO} of ceiling and >= {GOAL_RATE:,}/s",
                  met=ratio.median >= GOAL_RATIO and value.median >= GOAL_RATE,
                  extra={"events": f"{n_events:,} on {topics.PARTITIONS} partitions, every one applied and committed"})
