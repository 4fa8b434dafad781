"""notifier's settings (see shared/settings.py for those every service reads)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PORTS, ServiceSettings, local_database


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_")
    service: ClassVar[str] = "notifier"

    database_url: str = Field(local_database("notifier"), description="PostgreSQL URL of notifier's database")
    port: int = Field(PORTS["notifier"], ge=1, le=65535, description="notifier's HTTP port")
    intake_url: str = Field(
        f"http://127.0.0.1:{PORTS['intake']}",
        validation_alias="INTAKE_URL",
        description="Base URL of intake's HTTP API, where the notifier reads a dossier's contact (service token)",
    )
    tracking_url: str = Field(
        f"http://127.0.0.1:{PORTS['intake']}/portal",
        description="The citizens' tracking page; messages link to it with `?code=<dossier code>`",
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server (make run: the local stand-in)")
    smtp_port: int = Field(8025, ge=1, le=65535, description="SMTP port (587 with STARTTLS at a real provider)")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS before sending")
    smtp_username: str = Field("", description="SMTP user (empty: no AUTH)")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    mail_from: str = Field(
        "Bo phan Mot cua <khong-tra-loi@dichvucong.local>", description="From: of the e-mails (ASCII display name)"
    )
    message_id_domain: str = Field(
        "notifier.dichvucong.local",
        description="Right part of the deterministic Message-ID (<event id>.email@DOMAIN)",
    )
    sms_provider: Literal["esms", "off"] = Field(
        "esms", description="SMS gateway adapter: `esms` (eSMS.vn JSON API V4), `off` (SMS opt-ins are skipped)"
    )
    sms_url: str = Field(
        "http://127.0.0.1:8026/MainService.svc/json/SendMultipleMessage_V4_post_json/",
        description="The gateway's send endpoint (make run: the local stand-in)",
    )
    sms_api_key: SecretStr = Field(SecretStr("local-api-key"), description="The gateway's ApiKey")
    sms_secret_key: SecretStr = Field(SecretStr("local-secret-key"), description="The gateway's SecretKey")
    sms_brandname: str = Field("DVCHANOI", description="Registered brand name the SMS is sent under")
    send_timeout_s: float = Field(15.0, gt=0, description="Seconds one SMTP or gateway call may take")
    max_attempts: int = Field(10, ge=1, description="Tries of one message before it is a dead letter")
    backoff_base_s: float = Field(2.0, gt=0, description="Wait after the first failure; doubled after each next")
    backoff_max_s: float = Field(600.0, gt=0, description="Longest wait between two tries")
    sending_lease_s: float = Field(
        120.0,
        gt=0,
        description="A message left `sending` this long (its process died mid-send) is sent again, with the "
        "same Message-ID / RequestId",
    )
    poll_interval_s: float = Field(1.0, gt=0, description="Seconds between looks for messages that are due")
    max_event_age_s: float = Field(
        172800.0,
        gt=0,
        description="An event older than this when read is not told (the notifier deployed over a topic "
        "with a history, a rewind, an import of past dossiers): a notice days late misleads more than it helps",
    )
    fault_exit_after_send: bool = Field(
        False, description="Tests only: exit the process right after a send, before recording it"
    )
