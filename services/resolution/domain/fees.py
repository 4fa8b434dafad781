"""Fees on a case (status 6): asking for one with its amount and collection moment, and settling it
with a payment of exactly that amount, in cash at the desk or online through the gateway. Pure:
it shapes the Outcome of `act` (domain/case.py); nothing here does I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from services.resolution.domain.case import Case, Outcome, act
from shared.errors import Conflict, InvalidRequest
from shared.lifecycle import Action
from shared.payment import CollectionMoment, PaymentMethod, fee_problem, payment_matches, receipt_number, vnd


class CaseFee(NamedTuple):
    """The latest fee asked for on a case, and its payment once made."""

    code: str
    amount: int
    collection: CollectionMoment
    requested_at: datetime
    paid_method: PaymentMethod | None = None
    paid_amount: int | None = None
    receipt_no: str | None = None
    gateway_txn: str | None = None
    paid_at: datetime | None = None


class PaymentRefused(Conflict):
    """A payment that does not settle the fee asked for (another amount, or no fee asked)."""


def ask_fee(
    case: Case,
    amount: int,
    collection: CollectionMoment,
    *,
    actor: str,
    reason: str | None,
    now: datetime,
    calendar,
) -> tuple[Outcome, CaseFee]:
    """4 -> 6 with the fee on the event; InvalidRequest for an amount the rules refuse."""
    if (problem := fee_problem(amount)) is not None:
        raise InvalidRequest(
            "Số tiền phí, lệ phí phải là số nguyên VND, lớn hơn 0 và không quá 1.000 tỷ đồng",
            f"Invalid fee: {problem}",
            field="amount",
        )
    outcome = act(case, Action.REQUEST_FEE, actor=actor, reason=reason, now=now, calendar=calendar)
    payload = outcome.payload.model_copy(update={"fee_amount": amount, "fee_collection": collection})
    return replace(outcome, payload=payload), CaseFee(case.code, amount, collection, now)


def settle(
    case: Case,
    fee: CaseFee | None,
    *,
    method: PaymentMethod,
    amount: int,
    receipt_no: str | None,
    gateway_txn: str | None,
    actor: str,
    now: datetime,
    calendar,
) -> tuple[Outcome, CaseFee]:
    """6 -> 4 for a payment of exactly the fee asked for; PaymentRefused otherwise (TransitionRefused
    when the case is not waiting for a fee)."""
    outcome = act(case, Action.RECORD_PAYMENT, actor=actor, reason=None, now=now, calendar=calendar)
    if fee is None:
        raise PaymentRefused(
            "Hồ sơ chưa có yêu cầu nộp phí với số tiền cụ thể", "No fee with an amount was asked for this case"
        )
    if not payment_matches(fee.amount, amount):
        raise PaymentRefused(
            f"Số tiền nộp ({vnd(amount)}) khác số tiền phí đã yêu cầu ({vnd(fee.amount)})",
            f"The amount paid ({amount} VND) differs from the fee asked for ({fee.amount} VND)",
            requested=fee.amount,
            paid=amount,
        )
    receipt = receipt_no or receipt_number(case.code, outcome.case.last_seq)
    how = "tiền mặt" if method is PaymentMethod.CASH else "trực tuyến"
    payload = outcome.payload.model_copy(
        update={
            "reason": f"Đã nộp {vnd(amount)} ({how}), biên lai {receipt}",
            "payment_method": method,
            "payment_amount": amount,
            "receipt_no": receipt,
            "gateway_txn": gateway_txn,
        }
    )
    paid = fee._replace(
        paid_method=method, paid_amount=amount, receipt_no=receipt, gateway_txn=gateway_txn, paid_at=now
    )
    return replace(outcome, payload=payload), paid
