"""resolution's settings (see shared/settings.py for those every service reads)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import PORTS, EventTextSettings, ServiceSettings, local_database


class ResolutionSettings(ServiceSettings, EventTextSettings):
    model_config = SettingsConfigDict(env_prefix="RESOLUTION_")
    service: ClassVar[str] = "resolution"

    database_url: str = Field(local_database("resolution"), description="PostgreSQL URL of resolution's database")
    port: int = Field(PORTS["resolution"], ge=1, le=65535, description="resolution's HTTP port")
    export_max_seconds: float = Field(
        600.0,
        gt=0,
        description="How long one case export may hold its snapshot open; a longer one ends with an incomplete trailer",
    )
    deadline_watch_interval_s: float = Field(
        0.5, gt=0, description="How often the deadline watcher looks for clocks that passed their due time"
    )
    supplement_working_days: int = Field(
        10,
        ge=1,
        le=60,
        description="Form 02 after acceptance: working days the applicant has to bring missing papers "
        "when the officer sets no date; then processing stops (5 -> 8)",
    )
    result_max_bytes: int = Field(
        10 * 1024 * 1024,
        ge=64 * 1024,
        le=100 * 1024 * 1024,
        description="Largest signed PDF accepted as a case's electronic result (issue 15), in bytes",
    )
    result_trust_roots: Path | None = Field(
        None,
        description="PEM file of the certification authorities an electronic result's signer must chain to "
        "(the province's, e.g. the national root CA and its signing CAs); unset: any certificate whose "
        "signature verifies is taken (development only)",
    )
