"""stats' settings (see shared/settings.py for those every service reads)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import PORTS, ResolutionAddress, ServiceSettings, local_database


class StatsSettings(ServiceSettings, ResolutionAddress):
    model_config = SettingsConfigDict(env_prefix="STATS_")
    service: ClassVar[str] = "stats"

    database_url: str = Field(local_database("stats"), description="PostgreSQL URL of stats' database")
    port: int = Field(PORTS["stats"], ge=1, le=65535, description="stats' HTTP port")
    reconcile_interval_s: float = Field(
        900.0,
        ge=0,
        description="Seconds between reconciliations of what changed, which refresh the mismatch gauge (0 turns them off)",
    )
    reconcile_sweep_interval_s: float = Field(
        86400.0,
        gt=0,
        description="Seconds between full reconciliation sweeps (taken in place of a run over the changes)",
    )
    reconcile_settle_s: float = Field(
        60.0,
        ge=0,
        description="How long a difference with resolution may take to "
        "resolve itself (an event in flight) before it counts",
    )
    live_stream_max_listeners: int = Field(
        500, ge=1, description="Open live-board streams one instance serves at once (503 beyond)"
    )
    rebuild_workers: int = Field(0, ge=0, description="Worker processes of a rebuild (0: one per CPU)")
