"""Online payment of a dossier's fee through a gateway modelled on VNPAY's payment API 2.1: the
order a citizen is sent to pay, and the judgement of the gateway's server-to-server callback (IPN)
with its documented answers. Pure: the clock, the secret and the stored order are handed in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from shared.local_time import VN
from shared.payment import CollectionMoment, PaymentMethod, receipt_number, sign, signature_valid

VERSION = "2.1.0"
PAID = "00"  # vnp_ResponseCode and vnp_TransactionStatus of a successful payment


class DossierFee(NamedTuple):
    """The latest fee asked for on a dossier (from its dossier.fee_requested event) and its payment."""

    code: str
    fee_seq: int
    amount: int
    collection: CollectionMoment
    requested_at: datetime
    paid_method: PaymentMethod | None = None
    paid_amount: int | None = None
    receipt_no: str | None = None
    paid_at: datetime | None = None


class PaymentOrder(NamedTuple):
    txn_ref: str
    code: str
    fee_seq: int
    amount: int
    created_at: datetime
    state: str = "pending"  # or "paid"
    gateway_txn: str | None = None
    paid_at: datetime | None = None
    receipt_no: str | None = None


def new_order(fee: DossierFee, now: datetime) -> PaymentOrder:
    """One order per dossier and fee request: its reference is made of both, so asking twice finds it."""
    return PaymentOrder(f"{fee.code}-{fee.fee_seq}", fee.code, fee.fee_seq, fee.amount, now)


def code_of(txn_ref: str) -> str:
    """The dossier's code in an order's reference (`new_order`)."""
    return txn_ref.rsplit("-", 1)[0][:64]


def _gateway_time(at: datetime) -> str:
    return at.astimezone(VN).strftime("%Y%m%d%H%M%S")  # the gateway's dates are Hà Nội time


def pay_params(
    order: PaymentOrder, *, tmn_code: str, secret: str, return_url: str, client_ip: str, now: datetime
) -> dict[str, str]:
    """The signed query of the payment URL (vnp_Amount is in hundredths of a dong, as documented)."""
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": tmn_code,
        "vnp_Amount": str(order.amount * 100),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": order.txn_ref,
        "vnp_OrderInfo": f"Nop phi ho so {order.code}",  # no diacritics, as the gateway asks; no name
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": return_url,
        "vnp_IpAddr": client_ip,
        "vnp_CreateDate": _gateway_time(now),
        "vnp_ExpireDate": _gateway_time(now + timedelta(minutes=15)),
    }
    return {**params, "vnp_SecureHash": sign(params, secret)}


class IpnVerdict(NamedTuple):
    """The answer to the gateway (RspCode, Message, as documented) and what to record, if anything."""

    rsp_code: str
    message: str
    settled: PaymentOrder | None = None  # the order, now paid: record it and pass the payment on

    def answer(self) -> dict[str, str]:
        return {"RspCode": self.rsp_code, "Message": self.message}


BAD_SIGNATURE = IpnVerdict("97", "Invalid signature")
ORDER_NOT_FOUND = IpnVerdict("01", "Order not found")


def _amount(params: dict[str, str]) -> int | None:
    raw = params.get("vnp_Amount", "")
    return int(raw) // 100 if raw.isdigit() and int(raw) % 100 == 0 else None


def judge_ipn(
    params: dict[str, str], order: PaymentOrder | None, *, secret: str, tmn_code: str, now: datetime
) -> IpnVerdict:
    """What an IPN call does: nothing unless its signature is the merchant's, its order ours and its
    amount the order's; nothing again for an order already paid (a replay or a duplicate)."""
    if not signature_valid(params, secret) or params.get("vnp_TmnCode") != tmn_code:
        return BAD_SIGNATURE
    if order is None:
        return ORDER_NOT_FOUND
    if _amount(params) != order.amount:
        return IpnVerdict("04", "invalid amount")
    if order.state == "paid":
        return IpnVerdict("02", "Order already confirmed")
    if params.get("vnp_ResponseCode") != PAID or params.get("vnp_TransactionStatus") != PAID:
        return IpnVerdict("00", "Confirm Success")  # a failed payment: recorded as nothing; the citizen may retry
    txn = params.get("vnp_TransactionNo", "")[:64]
    if not txn:
        return IpnVerdict("99", "Unknown error")
    paid = order._replace(
        state="paid", gateway_txn=txn, paid_at=now, receipt_no=receipt_number(order.code, f"TT{order.fee_seq}")
    )
    return IpnVerdict("00", "Confirm Success", paid)


def return_outcome(params: dict[str, str], *, secret: str) -> str:
    """What the browser coming back from the gateway is shown (the IPN, not this, records the payment):
    'paid', 'failed' or 'invalid' (a signature that is not the merchant's)."""
    if not signature_valid(params, secret):
        return "invalid"
    return "paid" if params.get("vnp_ResponseCode") == PAID else "failed"
