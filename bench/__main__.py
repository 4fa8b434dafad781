"""`make bench`: how fast, measured against the ceiling and the naive way, in one run.

    python -m bench [--full] [--only 6,1,2]     quick mode by default (under 10 minutes)

Starts the `bench` profile's PostgreSQL and Kafka (deploy/local/servers.py: own ports and
.local/bench/, so it runs beside `make run` and `make test`), runs each figure, prints the
table and writes it as JSON under bench-results/.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import sys
import time
import traceback

from bench import procs, report
from bench.measure import Figure, say
from bench.sizes import FULL, QUICK, Sizes

ORDER = (6, 1, 2, 3, 5, 4, 8, 7)  # 5, 4, 8 share one rebuilt database, in that order
TITLES = {
    1: "Stats ingest vs the ceiling",
    2: "Intake submissions",
    3: "Freshness",
    4: "Reports at scale",
    5: "Rebuild",
    6: "Deadline computation",
    7: "Memory",
    8: "Reconciliation over the changes",
}


def _run_one(number: int, sizes: Sizes, env: dict[str, str], memory: dict) -> Figure:
    if number == 6:
        from bench.cases import deadline

        return deadline.run(sizes.deadline_inputs, sizes.reps)
    if number == 1:
        from bench.cases import ingest

        return ingest.run(env, sizes.ingest_events, sizes.reps, memory)
    if number == 2:
        from bench.cases import intake

        return intake.run(env, sizes, memory)
    if number == 3:
        from bench.cases import freshness

        return freshness.run(env, sizes, memory)
    if number in (4, 5, 8):
        from bench.cases import scale

        return scale.run(number, env, sizes, memory)
    from bench.cases import memory as mem

    return mem.figure(memory)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes (1M events, 1M dossiers)")
    parser.add_argument("--only", default="", help="comma-separated figure numbers, e.g. 6,1")
    parser.add_argument("--reps", type=int, default=0, help="repetitions of each measurement (default: the mode's)")
    args = parser.parse_args(argv)
    sizes = FULL if args.full else QUICK
    if args.reps:
        sizes = dataclasses.replace(sizes, reps=args.reps)
    wanted = [n for n in ORDER if not args.only or str(n) in args.only.split(",")]

    from deploy.local import servers
    from deploy.settings import ToolSettings

    started, load_at_start = time.monotonic(), os.getloadavg()[0]
    endpoints = servers.up("bench")
    env = {**endpoints.env(), "DVC_BENCH": "1"}
    os.environ.update(endpoints.kafka_env)  # the bench's own Kafka clients, as the tooling's principal
    if stale := asyncio.run(procs.drop_stale_databases(env["STATS_DATABASE_URL"])):
        say(f"dropped {len(stale)} databases an interrupted run left: {', '.join(stale)}")
    figures: list[Figure] = []
    memory: dict[str, float] = {}
    try:
        for number in wanted:
            say(f"\n== figure {number}: {TITLES[number]} ({sizes.name} mode) ==")
            t0 = time.monotonic()
            try:
                figures.append(_run_one(number, sizes, env, memory))
            except Exception as exc:  # one broken figure must not hide the others
                traceback.print_exc()
                figures.append(Figure(number, TITLES[number], not_measured=f"failed: {type(exc).__name__}: {exc}"))
            say(f"   ({time.monotonic() - t0:.0f} s)")
    finally:
        if not ToolSettings().keep_servers:
            servers.down("bench")
    # The machine may be shared: say how busy it was, since absolute numbers move with it.
    load = (
        f"load average {load_at_start:.1f} at the start and {os.getloadavg()[0]:.1f} at the end, "
        f"on {os.cpu_count()} CPUs"
    )
    path = report.write(figures, sizes.name, load)
    print(f"\nBenchmarks, {sizes.name} mode, {time.monotonic() - started:.0f} s; {load}\n")
    print(report.table(figures))
    print(f"\nJSON: {path.relative_to(report.RESULTS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
