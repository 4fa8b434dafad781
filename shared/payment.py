"""Fee rules and the gateway's signature (modelled on VNPAY payment API 2.1), pure: no I/O.

The national payment platform's own specification is not public; VNPAY's is, and its signing
scheme (HMAC-SHA512 over the sorted, URL-encoded query) is what the stand-in and adapter follow.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from enum import StrEnum
from urllib.parse import quote_plus

MAX_FEE_VND = 10**12
# Fields the gateway appends after signing: never part of the signed text.
UNSIGNED_FIELDS = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})


class CollectionMoment(StrEnum):
    AT_INTAKE = "at_intake"
    AT_SUPPLEMENT = "at_supplement"
    AT_RETURN = "at_return"


class PaymentMethod(StrEnum):
    CASH = "cash"
    ONLINE = "online"


def fee_problem(amount: int) -> str | None:
    """Why a requested fee is refused (None when it is acceptable): whole VND, > 0, <= 1e12."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        return "the fee must be a whole number of VND"
    if amount <= 0:
        return "the fee must be greater than zero"
    if amount > MAX_FEE_VND:
        return "the fee must not exceed 1,000,000,000,000 VND"
    return None


def payment_matches(requested: int, paid: int) -> bool:
    """A payment settles the fee only for exactly the amount requested."""
    return requested == paid


def signed_text(params: Mapping[str, str]) -> str:
    """The text the gateway signs: fields sorted by name, each URL-encoded, joined by '&'."""
    return "&".join(
        f"{quote_plus(key)}={quote_plus(str(value))}"
        for key, value in sorted(params.items())
        if key not in UNSIGNED_FIELDS and value != ""
    )


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), signed_text(params).encode(), hashlib.sha512).hexdigest()


def signature_valid(params: Mapping[str, str], secret: str) -> bool:
    """Constant-time check of the vnp_SecureHash the gateway sent with its parameters."""
    given = params.get("vnp_SecureHash", "")
    return hmac.compare_digest(given.lower(), sign(params, secret))


def receipt_number(code: str, serial: int | str) -> str:
    """The e-receipt's number: the dossier's code and a serial unique for it (a seq or an order)."""
    return f"BL-{code}-{serial}"[:64]


def vnd(amount: int) -> str:
    """150000 -> '150.000 đồng', as Vietnamese writes amounts."""
    return f"{amount:,}".replace(",", ".") + " đồng"
