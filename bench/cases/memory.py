"""Figure 7: peak resident memory (the kernel's VmHWM) of each service process seen in the run."""

from __future__ import annotations

from bench.measure import Figure, Summary

GOAL_MB = 300


def figure(memory: dict[str, float]) -> Figure:
    if not memory:
        return Figure(
            7, "Memory", not_measured="no service process ran (figures 1-5 skipped)", goal=f"< {GOAL_MB} MB each"
        )
    worst = max(memory.values())
    return Figure(
        7,
        "Memory (peak RSS, worst process)",
        "MB",
        value=Summary.of([worst]),
        goal=f"< {GOAL_MB} MB each",
        met=worst < GOAL_MB,
        extra={name: {"median": mb, "unit": "MB"} for name, mb in sorted(memory.items())},
    )
