"""Figure 3: from intake's 201 answer to the live board (its SSE stream) counting that dossier,
at a steady 200 dossiers per second through the three real services."""

from __future__ import annotations

import asyncio
import bisect

from bench.http_load import encode_bodies, open_loop, percentile
from bench.load import ONLINE_ONLY, submission_bodies
from bench.measure import Figure, Summary, say
from bench.routes import stats_paths
from bench.sse import read_board_events
from bench.system import System

RATE, GOAL_P99 = 200, 1.0
STREAM = "/api/v1/stats/live/stream"


def _total(board: dict) -> int:
    return int(board["total_dossiers"])


async def _one_run(system: System, bodies: list[bytes], seconds: float) -> tuple[list[float], float]:
    events: list[tuple[float, dict]] = []
    ready = asyncio.Event()
    reader = asyncio.create_task(read_board_events(system.url("stats") + STREAM, events, ready))
    await asyncio.wait_for(ready.wait(), 10)
    await asyncio.sleep(0.5)  # the first event is the board as it stands
    baseline = _total(events[-1][1]) if events else 0
    answers: list[float] = []
    result = await open_loop(
        f"{system.url('intake')}/api/v1/dossiers",
        bodies,
        rate=RATE,
        seconds=seconds,
        what=f"steady {RATE}/s",
        on_answer=lambda _r, at: answers.append(at),
    )
    if result["errors"]:
        raise RuntimeError(f"{result['errors']} submissions failed, last: {result['last_error']}")
    expected = baseline + len(answers)
    for _ in range(600):  # wait (at most a minute) for the board to count every dossier
        if events and _total(events[-1][1]) >= expected:
            break
        await asyncio.sleep(0.1)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    times = [t for t, _ in events]
    totals = [_total(b) for _, b in events]
    lags = []
    # The k-th answered dossier is shown once the board counts k more than before: stats may
    # apply dossiers in another order, but in aggregate this matches answers to counts.
    for k, answered in enumerate(sorted(answers), start=1):
        i = bisect.bisect_left(totals, baseline + k)
        if i == len(totals):
            raise RuntimeError(f"the board never counted dossier {k} of {len(answers)} (last {totals[-1:]})")
        lags.append(max(0.0, times[i] - answered))
    return lags, result["achieved_rate"]


def run(env: dict[str, str], sizes, memory: dict) -> Figure:
    if STREAM not in stats_paths():
        return Figure(3, "Freshness", goal="p99 < 1 s", not_measured=f"stats has no {STREAM} on this branch yet")
    system = System(env).start()
    try:
        bodies = encode_bodies(submission_bodies(5_000, seed=11, channels=ONLINE_ONLY))
        p50, p99, worst, achieved = [], [], [], []
        for rep in range(sizes.reps):
            lags, rate = asyncio.run(_one_run(system, bodies, sizes.steady_seconds))
            achieved.append(rate)
            p50.append(percentile(lags, 50))
            p99.append(percentile(lags, 99))
            worst.append(max(lags))
            say(
                f"  freshness: repetition {rep + 1}/{sizes.reps}: p50 {p50[-1] * 1000:.0f} ms, "
                f"p99 {p99[-1] * 1000:.0f} ms, max {worst[-1] * 1000:.0f} ms over {len(lags):,} dossiers"
            )
            system.sample_memory()
    finally:
        system.stop(memory)
    value = Summary.of([x * 1000 for x in p99])
    return Figure(
        3,
        "Freshness (p99, 201 -> SSE board)",
        "ms",
        value=value,
        goal="p99 < 1,000 ms",
        met=value.median < GOAL_P99 * 1000,
        extra={
            "p50": {**Summary.of([x * 1000 for x in p50]).__dict__, "unit": "ms"},
            "max": {**Summary.of([x * 1000 for x in worst]).__dict__, "unit": "ms"},
            "load": f"{RATE} dossiers/s planned for {sizes.steady_seconds:g} s a repetition "
            f"(intake answered {min(achieved):.0f}-{max(achieved):.0f}/s), all three services",
        },
    )
