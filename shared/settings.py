"""Settings: every environment variable a service reads, typed and documented, in one object.

Each service has its own class (`services/<name>/settings.py`) on top of `ServiceSettings`;
nothing else in `services/` or `shared/` reads the environment. The defaults are those of
`make run` on one machine. The README's configuration table is generated from these classes
(`python -m deploy.settings_doc write`; a test fails when it is stale).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.sealed_text import KeyRing, local_ring

# The services' HTTP ports, defined here once (make run, the README, the launcher read them).
PORTS = {"intake": 8001, "resolution": 8002, "stats": 8003, "notifier": 8004, "portal_sync": 8005}
DEFAULT_MAX_BODY_BYTES = 256 * 1024  # a dossier's JSON is a few KiB; uploads and imports have their own caps


def local_database(service: str) -> str:
    """The service's database on `make run`'s PostgreSQL."""
    return f"postgresql://{service}_app@127.0.0.1:54320/{service}"


def owner_url(database_url: str, migration_url: str | None) -> str:
    """The URL that migrates `database_url`'s database: `migration_url` when it names the same
    database (host, port, name). One left over from another database (a tool or test pointing
    *_DATABASE_URL elsewhere and inheriting the rest of the environment) is not used: migrating a
    database other than the one served would be worse than migrating with the service's role."""
    if not migration_url:
        return database_url
    a, b = urlsplit(database_url), urlsplit(migration_url)
    return migration_url if (a.hostname, a.port, a.path) == (b.hostname, b.port, b.path) else database_url


class CalendarSettings(BaseSettings):
    """The working calendar's one setting (read by the services and by `python -m shared.calendar`)."""

    office_hours: str = Field(
        "",
        validation_alias="OFFICE_HOURS",
        description='Office hours, e.g. "07:00-11:30,13:30-17:00" (empty: that default)',
    )


class KafkaSettings(BaseSettings):
    """How to reach Kafka securely: read by the services and by every tool and test client that
    connects (through `shared.kafka.client_options`), so one set of variables serves them all."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        validation_alias="KAFKA_SECURITY_PROTOCOL",
        description="`SASL_SSL` (TLS and SCRAM), `SASL_PLAINTEXT`, `SSL` or `PLAINTEXT` (locally the stack "
        "sets `SASL_SSL`)",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM", description="SASL mechanism"
    )
    kafka_sasl_username: str = Field(
        "",
        validation_alias="KAFKA_SASL_USERNAME",
        description="This service's Kafka principal (locally one per service, passwords derived from `.local/kafka-secret`)",
    )
    kafka_sasl_password: SecretStr | None = Field(
        None, validation_alias="KAFKA_SASL_PASSWORD", description="The password of `KAFKA_SASL_USERNAME`"
    )
    kafka_ssl_cafile: str = Field(
        "",
        validation_alias="KAFKA_SSL_CAFILE",
        description="CA certificates (PEM) that sign the brokers' TLS certificates (empty: the system's; locally "
        "`.local/kafka-tls/ca.crt`)",
    )


class ServiceSettings(KafkaSettings, CalendarSettings):
    """What every service reads. A subclass names the service and sets its prefix (`INTAKE_`, …),
    which the fields without an explicit variable name take (`INTAKE_DATABASE_URL`)."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    service: ClassVar[str]

    database_url: str = Field(description="PostgreSQL URL of the service's own database")
    migration_database_url: str | None = Field(
        None,
        description="PostgreSQL URL of the role that owns the service's tables: it runs the migrations at "
        "start-up (and makes stats' projection generations), so the database URL's role needs only to read and "
        "write rows (unset: the database URL does both)",
    )
    port: int = Field(ge=1, le=65535, description="HTTP port")
    host: str | None = Field(None, description="Bind address of this service (else `HTTP_HOST`)")
    http_host: str = Field("127.0.0.1", validation_alias="HTTP_HOST", description="Bind address of every service")
    kafka_bootstrap: str = Field(
        "127.0.0.1:9092",
        validation_alias="KAFKA_BOOTSTRAP_SERVERS",
        description="Kafka bootstrap servers, comma-separated",
    )
    session_secret: SecretStr | None = Field(
        None,
        validation_alias="SESSION_SECRET",
        description="Key that signs staff session cookies; the same for every instance of every service "
        "(locally a random one is kept in `.local/session-secret`)",
    )
    service_token: SecretStr | None = Field(
        None,
        validation_alias="SERVICE_TOKEN",
        description="Bearer token one service shows another (stats reading resolution's case export); the "
        "same for every service (locally a random one is kept in `.local/service-token`)",
    )
    session_cookie_secure: bool = Field(
        False,
        validation_alias="SESSION_COOKIE_SECURE",
        description="Mark the session cookie Secure even on plain HTTP (it always is over HTTPS, where it "
        "is named `__Host-dvc_session`; sign-in over plain HTTP is refused except on the loopback)",
    )
    clock_offset_seconds: float = Field(
        0.0,
        validation_alias="CLOCK_OFFSET_SECONDS",
        description="Shifts the service's 'now' (demos and end-to-end tests only)",
    )
    sign_in_account_failures: int = Field(
        10, ge=1, validation_alias="SIGN_IN_ACCOUNT_FAILURES", description="Wrong sign-ins that lock an account"
    )
    sign_in_account_lock_s: float = Field(
        1800.0,
        gt=0,
        validation_alias="SIGN_IN_ACCOUNT_LOCK_S",
        description="Seconds an account stays locked (a leader may lift it)",
    )
    sign_in_address_failures: int = Field(
        50,
        ge=1,
        validation_alias="SIGN_IN_ADDRESS_FAILURES",
        description="Wrong sign-ins from one client address, within the window, before it must wait",
    )
    sign_in_address_window_s: float = Field(
        900.0,
        gt=0,
        validation_alias="SIGN_IN_ADDRESS_WINDOW_S",
        description="The window of the address limit, in seconds",
    )
    trusted_origins: list[str] = Field(
        [],
        validation_alias="TRUSTED_ORIGINS",
        description="Origins (scheme://host[:port]) besides the service's own host whose pages may send "
        "cookie-signed changes, e.g. a portal on another host name",
    )
    outbox_keep_sent_s: float = Field(
        7 * 86400.0,
        gt=0,
        validation_alias="OUTBOX_KEEP_SENT_S",
        description="Seconds a sent outbox row is kept (its event is on Kafka) before the purge deletes it",
    )
    retention_interval_s: float = Field(
        3600.0, gt=0, validation_alias="RETENTION_INTERVAL_S", description="Seconds between purges of expired rows"
    )
    http_max_body_bytes: int = Field(
        DEFAULT_MAX_BODY_BYTES,
        ge=1024,
        validation_alias="HTTP_MAX_BODY_BYTES",
        description="Largest request body, except uploads and imports (413 above)",
    )

    instance_id: str = Field(
        "",
        validation_alias="INSTANCE_ID",
        description="Name of this instance in logs and traces (empty: host name and process id; "
        "under Kubernetes, the pod's name)",
    )
    log_format: Literal["json", "text"] = Field(
        "json",
        validation_alias="LOG_FORMAT",
        description="`json`: one JSON object a line, for the log collector; `text`: plain lines for a developer",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="LOG_LEVEL", description="Lowest level logged"
    )
    otlp_endpoint: str = Field(
        "",
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OpenTelemetry collector's OTLP/HTTP base URL, e.g. `http://otel-collector:4318`; "
        "traces are exported to its `/v1/traces` (empty: no traces exported)",
    )
    ops_allowed_networks: str = Field(
        "",
        validation_alias="OPS_ALLOWED_NETWORKS",
        description="Client networks allowed to read `/metrics` and `/docs`, comma-separated CIDRs, "
        "e.g. `10.0.0.0/8,127.0.0.1/32` (empty: everyone)",
    )

    @field_validator("ops_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                ipaddress.ip_network(part.strip(), strict=False)  # a ValueError names the bad one
        return value

    @property
    def owner_database_url(self) -> str:
        return owner_url(self.database_url, self.migration_database_url)

    def service_credential(self) -> str:
        from shared.auth.sessions import SERVICE_TOKEN_FILE, load_secret

        configured = self.service_token.get_secret_value() if self.service_token else None
        return load_secret(configured, SERVICE_TOKEN_FILE).decode()

    @property
    def bind_host(self) -> str:
        return self.host or self.http_host

    @property
    def instance(self) -> str:
        return self.instance_id or f"{socket.gethostname()}-{os.getpid()}"


class EventTextSettings(BaseSettings):
    """The keys of staff's words on events (shared/sealed_text.py): intake's and resolution's, never stats'."""

    event_text_keys: SecretStr | None = Field(
        None,
        validation_alias="EVENT_TEXT_KEYS",
        description="Keys that seal staff's free text on lifecycle events, `keyid:base64key` comma-separated "
        "(16, 24 or 32 bytes each): the first seals, all open; dropping one makes what it sealed unreadable "
        "everywhere. The same for intake and resolution, never given to stats (locally one derived from "
        "`.local/event-text-key`)",
    )

    @field_validator("event_text_keys")
    @classmethod
    def _ring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            KeyRing.parse(value.get_secret_value())  # a ValueError says what is wrong, never a key
        return value

    def event_key_ring(self) -> KeyRing:
        return KeyRing.parse(self.event_text_keys.get_secret_value()) if self.event_text_keys else local_ring()


class ResolutionAddress(BaseSettings):
    """Where resolution's HTTP API is, for the services that call it (intake, stats)."""

    resolution_url: str = Field(
        f"http://127.0.0.1:{PORTS['resolution']}",
        validation_alias="RESOLUTION_URL",
        description="Base URL of resolution's HTTP API",
    )
