"""What a stats process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from prometheus_client import Gauge

from services.stats.adapters.changes import BoardChanges
from services.stats.settings import StatsSettings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


class StatsRuntime(Runtime):
    settings: StatsSettings

    def __init__(self, settings: StatsSettings):
        super().__init__(settings, MIGRATIONS, with_outbox=False)
        self.board_changes = BoardChanges()  # wakes the board's event streams when a batch committed
        self.reconciliation_gauge = Gauge(
            "stats_reconciliation_mismatches",
            "Mismatches found by the last reconciliation (counters, facts, resolution)",
            registry=self.registry,
        )


def runtime_of(request: Request) -> StatsRuntime:
    runtime: StatsRuntime = request.app.state.runtime
    return runtime
