"""intake's settings (see shared/settings.py for those every service reads)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from shared.settings import PORTS, EventTextSettings, ResolutionAddress, ServiceSettings, local_database


class IntakeSettings(ServiceSettings, ResolutionAddress, EventTextSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_")
    service: ClassVar[str] = "intake"

    database_url: str = Field(local_database("intake"), description="PostgreSQL URL of intake's database")
    port: int = Field(PORTS["intake"], ge=1, le=65535, description="intake's HTTP port")
    citizen_dossier_failures: int = Field(
        5, ge=1, description="Wrong tracking tries (code, ID number, secret) on one dossier before it waits"
    )
    citizen_address_failures: int = Field(
        30, ge=1, description="Wrong tracking tries from one client address before it waits"
    )
    citizen_window_s: float = Field(900.0, gt=0, description="The window and the wait of those limits, in seconds")
    idempotency_keep_s: float = Field(
        2 * 86400.0, gt=0, description="Seconds an Idempotency-Key (and the answer kept for it) is remembered"
    )
    # Periods counted from the dossier's closing (refused, withdrawn, stopped, returned). The
    # defaults assume the archive periods of the Law on Archives and Circular 10/2022/TT-BNV for
    # administrative-procedure records (5 to 10 years for most) and Decree 13/2023/NĐ-CP's rule that
    # personal data goes once its purpose ends; the province sets them from its own records list.
    keep_attachments_days: float = Field(
        5 * 365.0, gt=0, description="Days the uploaded files of a closed dossier are kept, then deleted"
    )
    keep_personal_days: float = Field(
        10 * 365.0,
        gt=0,
        description="Days the applicant's name, ID number, phone, email, address and own words (withdrawal "
        "reason, rating comment) of a closed dossier are kept, then replaced by a marker",
    )
    catalogue_file: Path | None = Field(
        None,
        validation_alias="CATALOGUE_FILE",
        description="Procedure catalogue (JSON) loaded at start-up; default: the "
        "Hà Nội catalogue shipped in services/intake/data/",
    )
    public_url: str | None = Field(
        None,
        validation_alias="PUBLIC_INTAKE_URL",
        description="Public address of intake's pages, printed under the slip's QR code "
        "(default: the address the clerk used)",
    )
    bench_bare: bool = Field(
        False, description="Mount the one-INSERT endpoint `make bench` compares reception with (benchmarks only)"
    )
    supplement_working_days: int = Field(
        10,
        ge=1,
        le=60,
        description="Form 02: working days the applicant has to bring missing papers when the clerk sets no date",
    )
    supplement_watch_interval_s: float = Field(
        5.0, gt=0, description="How often intake looks for dossiers whose papers did not come in time (refused, 5 -> 3)"
    )
    # E-payment (issue 15): a gateway following VNPAY's payment API 2.1 (make run: the local stand-in).
    payment_gateway_url: str = Field(
        "http://127.0.0.1:8091/paymentv2/vpcpay.html",
        description="The gateway's payment page the citizen is sent to (VNPAY: .../paymentv2/vpcpay.html)",
    )
    payment_tmn_code: str = Field("DVCLOCAL", min_length=1, max_length=20, description="The merchant's vnp_TmnCode")
    payment_hash_secret: SecretStr = Field(
        SecretStr("local-payment-secret"),
        description="The merchant's hash secret (vnp_HashSecret) signing orders and verifying callbacks",
    )
