"""How big each figure's data set is: quick mode for `make bench`, the issue's sizes for FULL=1."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    name: str
    reps: int  # repetitions of each measurement (median and spread)
    deadline_inputs: int  # figure 6: due times per repetition
    ingest_events: int  # figure 1: events on the topic
    intake_seconds: float  # figure 2: length of each throughput run
    steady_seconds: float  # figures 2 and 3: length of the steady 200/s run
    scale_dossiers: int  # figures 4 and 5: dossiers replayed and reported on
    # figure 8: histories reconciled, each grown from figure 4's by copying it (multiples of scale_dossiers)
    reconcile_dossiers: tuple[int, ...] = ()


QUICK = Sizes(
    "quick",
    reps=3,
    deadline_inputs=200_000,
    ingest_events=100_000,
    intake_seconds=8,
    steady_seconds=10,
    scale_dossiers=50_000,
    reconcile_dossiers=(100_000, 1_000_000),
)
FULL = Sizes(
    "full",
    reps=3,
    deadline_inputs=1_000_000,
    ingest_events=1_000_000,
    intake_seconds=20,
    steady_seconds=30,
    scale_dossiers=1_000_000,
    reconcile_dossiers=(1_000_000, 5_000_000),
)
