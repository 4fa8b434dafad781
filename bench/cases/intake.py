"""Figure 2: dossiers per second through POST /api/v1/dossiers against a one-INSERT endpoint
in the same process, then latency at a steady 200 dossiers per second."""

from __future__ import annotations

import asyncio

from bench.http_load import closed_loop, encode_bodies, open_loop, percentile
from bench.load import ONLINE_ONLY, submission_bodies
from bench.measure import Figure, Summary, ratios, say
from bench.system import System

GOAL_RATIO, GOAL_RATE, STEADY_RATE, CONCURRENCY = 0.5, 1_000, 200, 32


def run(env: dict[str, str], sizes, memory: dict) -> Figure:
    system = System(env, {"INTAKE_BENCH_BARE": "1"}).start()
    try:
        bodies = encode_bodies(submission_bodies(5_000, channels=ONLINE_ONLY))
        real = f"{system.url('intake')}/api/v1/dossiers"
        bare = f"{system.url('intake')}/api/v1/_bench/bare"
        for url in (bare, real):  # warm up: connections, caches, the JIT-free parts of start-up
            asyncio.run(closed_loop(url, bodies, concurrency=CONCURRENCY, seconds=2, what="warm-up"))
        bare_rates, real_rates, client_cpu = [], [], []
        for rep in range(sizes.reps):
            b = asyncio.run(
                closed_loop(
                    bare, bodies, concurrency=CONCURRENCY, seconds=sizes.intake_seconds, what="bare endpoint: answered"
                )
            )
            r = asyncio.run(
                closed_loop(
                    real,
                    bodies,
                    concurrency=CONCURRENCY,
                    seconds=sizes.intake_seconds,
                    what="POST /api/v1/dossiers: answered",
                )
            )
            for name, result in (("bare", b), ("dossiers", r)):
                if result["errors"]:
                    raise RuntimeError(f"{name}: {result['errors']} failed requests, last: {result['last_error']}")
            client_cpu += [b["client_cpu"], r["client_cpu"]]
            bare_rates.append(b["rate"])
            real_rates.append(r["rate"])
            say(
                f"  intake: repetition {rep + 1}/{sizes.reps}: bare {b['rate']:,.0f}/s, dossiers {r['rate']:,.0f}/s "
                f"(ratio {r['rate'] / b['rate']:.2f})"
            )
            system.sample_memory()
        steady = asyncio.run(
            open_loop(real, bodies, rate=STEADY_RATE, seconds=sizes.steady_seconds, what=f"steady {STEADY_RATE}/s")
        )
        system.sample_memory()
    finally:
        system.stop(memory)
    lat = steady["latencies"]
    value, ratio = Summary.of(real_rates), ratios(real_rates, bare_rates)
    return Figure(
        2,
        "Intake submissions",
        "dossiers/s",
        value=value,
        reference=Summary.of(bare_rates),
        reference_name="one-INSERT endpoint",
        ratio=ratio,
        goal=f">= {GOAL_RATIO} of bare and >= {GOAL_RATE:,}/s",
        met=ratio.median >= GOAL_RATIO and value.median >= GOAL_RATE,
        extra={
            "clients": f"{CONCURRENCY} concurrent keep-alive HTTP/1.1 clients, {sizes.intake_seconds:g} s a run; "
            "online channel (public; counter and post need a clerk's sign-in)",
            "client CPU": {"median": max(client_cpu), "unit": "of one core (max)"},
            f"p50 at {STEADY_RATE}/s": {"median": percentile(lat, 50) * 1000, "unit": "ms"},
            f"p99 at {STEADY_RATE}/s": {"median": percentile(lat, 99) * 1000, "unit": "ms"},
            "steady run": f"{len(lat):,} dossiers in {sizes.steady_seconds:g} s, "
            f"{steady['errors']} errors, achieved {steady['achieved_rate']:.0f}/s",
        },
    )
