"""What the operator commands read (make run, make test, make bench, make user, make import,
make dlt), typed and documented like the services' settings. Each is optional: unset, the
local servers and defaults of `make run` are used."""

from __future__ import annotations

import getpass
import sys

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import owner_url


class ToolSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    intake_database_url: str | None = Field(
        None,
        validation_alias="INTAKE_DATABASE_URL",
        description="intake's database: set, no local PostgreSQL is started",
    )
    resolution_database_url: str | None = Field(
        None, validation_alias="RESOLUTION_DATABASE_URL", description="resolution's database (as above)"
    )
    stats_database_url: str | None = Field(
        None, validation_alias="STATS_DATABASE_URL", description="stats' database (as above)"
    )
    intake_migration_database_url: str | None = Field(
        None,
        validation_alias="INTAKE_MIGRATION_DATABASE_URL",
        description="make backup / restore: intake's database as the owner of its tables (else INTAKE_DATABASE_URL)",
    )
    resolution_migration_database_url: str | None = Field(
        None, validation_alias="RESOLUTION_MIGRATION_DATABASE_URL", description="resolution's (as above)"
    )
    stats_migration_database_url: str | None = Field(
        None, validation_alias="STATS_MIGRATION_DATABASE_URL", description="stats' (as above)"
    )
    notifier_database_url: str | None = Field(
        None, validation_alias="NOTIFIER_DATABASE_URL", description="notifier's database (as above)"
    )
    notifier_migration_database_url: str | None = Field(
        None, validation_alias="NOTIFIER_MIGRATION_DATABASE_URL", description="notifier's (as above)"
    )
    # The national-portal connector's database (issue 15).
    portal_sync_database_url: str | None = Field(
        None, validation_alias="PORTAL_SYNC_DATABASE_URL", description="portal_sync's database (as above)"
    )
    portal_sync_migration_database_url: str | None = Field(
        None, validation_alias="PORTAL_SYNC_MIGRATION_DATABASE_URL", description="portal_sync's (as above)"
    )
    kafka_bootstrap: str | None = Field(
        None,
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        description="Kafka: set, no local broker is started (topics are created there if missing)",
    )
    demo_accounts: bool | None = Field(
        None,
        validation_alias="DEMO_ACCOUNTS",
        description="make run creates and prints the demo staff accounts: by default only on the local databases",
    )
    keep_servers: bool = Field(
        False,
        validation_alias="KEEP_SERVERS",
        description="make test / make bench leave their PostgreSQL and Kafka running",
    )
    test_port_shift: int = Field(
        0,
        validation_alias="DVC_TEST_PORT_SHIFT",
        description="Moves every port of make test (two checkouts testing side by side)",
    )
    bench_port_shift: int = Field(
        0, validation_alias="DVC_BENCH_PORT_SHIFT", description="Moves every port of make bench"
    )
    postgres_admin_url: SecretStr | None = Field(
        None,
        validation_alias="POSTGRES_ADMIN_URL",
        description="python -m deploy.database_roles (Compose, Kubernetes): a superuser's URL that creates "
        "each service's owner and app roles",
    )
    notifier_url: str = Field(
        "http://127.0.0.1:8004", validation_alias="NOTIFIER_URL", description="make notify-dlt: the notifier's API"
    )
    service_token: SecretStr | None = Field(
        None,
        validation_alias="SERVICE_TOKEN",
        description="make notify-dlt: the services' token (unset: the local one in .local/service-token)",
    )
    password: SecretStr | None = Field(
        None, validation_alias="PASSWORD", description="make user / make import: the password, instead of asking"
    )

    def database_urls(self) -> dict[str, str | None]:
        return {
            "intake": self.intake_database_url,
            "resolution": self.resolution_database_url,
            "stats": self.stats_database_url,
            "notifier": self.notifier_database_url,
            "portal_sync": self.portal_sync_database_url,
        }

    def owner_urls(self) -> dict[str, str | None]:
        """Each database as the owner of its tables (what dumps and restores need), else as given."""
        owners = {
            "intake": self.intake_migration_database_url,
            "resolution": self.resolution_migration_database_url,
            "stats": self.stats_migration_database_url,
            "notifier": self.notifier_migration_database_url,
            "portal_sync": self.portal_sync_migration_database_url,
        }
        return {
            name: (url and owner_url(url, owners[name])) or owners[name] for name, url in self.database_urls().items()
        }


def password_or_ask(settings: ToolSettings | None = None) -> str:
    """PASSWORD if set, else typed at the terminal (nothing when there is none)."""
    configured = (settings or ToolSettings()).password
    if configured is not None:
        return configured.get_secret_value()
    return getpass.getpass("Password: ") if sys.stdin.isatty() else ""
