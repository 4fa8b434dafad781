"""What a stats process holds besides what every service does, and how a route reaches it."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from prometheus_client import Counter, Gauge

from services.stats.adapters.changes import BoardChanges
from services.stats.service import board
from services.stats.service.live_feed import LIVE_RECHECK_S, SharedBoards
from services.stats.settings import StatsSettings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


class StatsRuntime(Runtime):
    settings: StatsSettings

    def __init__(self, settings: StatsSettings):
        # The outbox carries only its sign-outs to the other services (shared/auth/signouts.py).
        super().__init__(settings, MIGRATIONS, with_outbox=True)
        self.board_changes = BoardChanges()  # wakes the board's event streams when a batch committed
        queries = Counter(
            "stats_live_board_queries",
            "Live-board computations for the streams (shared by listeners)",
            registry=self.registry,
        )
        self.live_boards = SharedBoards(
            self.board_changes,
            lambda **filters: board.live_board(self.db, self.calendar, self.clock(), **filters),
            max_age_s=LIVE_RECHECK_S,
            max_listeners=settings.live_stream_max_listeners,
            on_compute=queries.inc,
        )
        Gauge("stats_live_listeners", "Open live-board streams", registry=self.registry).set_function(
            lambda: self.live_boards.listeners
        )
        self.reconciliation_gauge = Gauge(
            "stats_reconciliation_mismatches",
            "Mismatches found by the last reconciliation (counters, facts, resolution)",
            registry=self.registry,
        )


def runtime_of(request: Request) -> StatsRuntime:
    runtime: StatsRuntime = request.app.state.runtime
    return runtime
