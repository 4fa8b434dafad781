"""Figure 6: due times per second from the deadline module, on a realistic mix of inputs."""

from __future__ import annotations

import time

from bench.load import deadline_inputs
from bench.measure import Figure, Summary, say
from shared.calendar import default_calendar

GOAL = 100_000


def run(size: int, reps: int) -> Figure:
    cal = default_calendar()
    inputs = deadline_inputs(size)
    due = cal.due_time
    for at, hours, kind in inputs[:1000]:  # build the day tables once, as a running service has
        due(at, hours, kind)
    rates = []
    for rep in range(reps):
        started = time.perf_counter()
        for at, hours, kind in inputs:
            due(at, hours, kind)
        rates.append(len(inputs) / (time.perf_counter() - started))
        say(f"  deadline: repetition {rep + 1}/{reps}: {rates[-1]:,.0f} due times/s")
    value = Summary.of(rates)
    working = sum(1 for _, h, k in inputs if k == "working" and h > 0)
    return Figure(
        6,
        "Deadline computation",
        "due times/s",
        value=value,
        goal=f">= {GOAL:,}/s",
        met=value.median >= GOAL,
        extra={
            "inputs": f"{len(inputs):,} (working hours {working:,}, same-day or calendar-day "
            f"{len(inputs) - working:,})",
            "per call": {"median": 1e6 / value.median, "unit": "µs"},
        },
    )
