"""portal_sync's settings (see shared/settings.py for those every service reads)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PORTS, ServiceSettings, local_database


class PortalSyncSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_SYNC_")
    service: ClassVar[str] = "portal_sync"

    database_url: str = Field(local_database("portal_sync"), description="PostgreSQL URL of portal_sync's database")
    port: int = Field(PORTS["portal_sync"], ge=1, le=65535, description="portal_sync's HTTP port")
    portal_url: str = Field(
        "http://127.0.0.1:8090",
        description="Base URL of the national public-service portal's synchronisation API (make run: the local "
        "stand-in, deploy/local/portal_standin.py)",
    )
    portal_token: SecretStr | None = Field(
        None,
        description="Bearer token the portal issued to this province (locally the stand-in's, kept in "
        "`.local/portal-token`)",
    )
    portal_timeout_s: float = Field(10.0, gt=0, description="Seconds one portal call may take before it is retried")
    retry_max_s: float = Field(
        30.0,
        gt=0,
        description="Longest wait between two tries while the portal is unreachable (backoff doubles up to it)",
    )
    poll_interval_s: float = Field(
        2.0, gt=0, description="Seconds between looks for unsent calls when nothing woke the sender"
    )
    reconcile_at: str = Field(
        "02:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="Local time (HH:MM) of the nightly reconciliation against the portal's statuses",
    )
    reconcile_batch: int = Field(100, ge=1, le=1000, description="Dossiers asked about in one status query")
    fault_crash_after_send: str = Field(
        "",
        description="Tests only: the idempotency key after whose acknowledged call the process exits at once, "
        "before recording it (proves a crash between send and record makes no duplicate)",
    )
