"""The fee on a case (resolution's domain) and the gateway's callback judged at intake, pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.payments import DossierFee, judge_ipn, new_order, pay_params, return_outcome
from services.resolution.domain.case import Case
from services.resolution.domain.fees import PaymentRefused, ask_fee, settle
from shared.calendar import default_calendar
from shared.errors import InvalidRequest
from shared.lifecycle import Status, TransitionRefused
from shared.payment import CollectionMoment, PaymentMethod, sign

CAL = default_calendar()
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday, 9:00 in Hà Nội
SECRET, TMN = "unit-secret", "UNITTMN"
CASE = Case(
    code="C-1",
    agency_id="A",
    procedure_code="P",
    channel="counter",
    status=Status.PROCESSING,
    accepted_at=T0,
    due_at=CAL.due_time(T0, 40),
    processing_hours=40,
    time_type="working",
    clock_policy="pause",
    rule_version="v",
    last_seq=3,
)


def asked(amount: int = 150_000):
    return ask_fee(CASE, amount, CollectionMoment.AT_RETURN, actor="cv", reason="Lệ phí", now=T0, calendar=CAL)


def test_the_fee_travels_on_the_paused_event_and_bad_amounts_are_refused() -> None:
    outcome, fee = asked()
    assert outcome.case.status is Status.FEE_REQUESTED
    assert (outcome.payload.fee_amount, outcome.payload.fee_collection) == (150_000, CollectionMoment.AT_RETURN)
    assert (fee.amount, fee.requested_at) == (150_000, T0)
    for bad in (0, -5, 10**12 + 1):
        with pytest.raises(InvalidRequest):
            asked(bad)


def test_a_payment_settles_only_the_amount_asked_for() -> None:
    outcome, fee = asked()
    later = T0 + timedelta(hours=3)
    pay = {"receipt_no": None, "gateway_txn": None, "actor": "clerk", "now": later, "calendar": CAL}
    with pytest.raises(PaymentRefused) as wrong:
        settle(outcome.case, fee, method=PaymentMethod.CASH, amount=149_999, **pay)
    assert "150.000" in wrong.value.vi and "150000" in wrong.value.en
    with pytest.raises(PaymentRefused):
        settle(outcome.case, None, method=PaymentMethod.CASH, amount=150_000, **pay)
    with pytest.raises(TransitionRefused):  # not waiting for a fee
        settle(CASE, fee, method=PaymentMethod.CASH, amount=150_000, **pay)
    moved, paid = settle(outcome.case, fee, method=PaymentMethod.CASH, amount=150_000, **pay)
    assert moved.case.status is Status.PROCESSING and moved.case.due_at > CASE.due_at  # the pause moved it
    p = moved.payload
    assert (p.payment_method, p.payment_amount, p.receipt_no) == (PaymentMethod.CASH, 150_000, "BL-C-1-5")
    assert (paid.paid_method, paid.paid_at) == (PaymentMethod.CASH, later)


FEE = DossierFee("D-1", 7, 150_000, CollectionMoment.AT_RETURN, T0)


def callback(order, **changes) -> dict[str, str]:
    params = {
        "vnp_TmnCode": TMN,
        "vnp_Amount": str(order.amount * 100),
        "vnp_TxnRef": order.txn_ref,
        "vnp_ResponseCode": "00",
        "vnp_TransactionStatus": "00",
        "vnp_TransactionNo": "1400123",
    } | changes
    return {**params, "vnp_SecureHash": sign(params, SECRET)}


def test_ipn_verdicts() -> None:
    order = new_order(FEE, T0)
    assert order.txn_ref == "D-1-7"
    judge = {"secret": SECRET, "tmn_code": TMN, "now": T0}
    ok = judge_ipn(callback(order), order, **judge)
    assert ok.answer() == {"RspCode": "00", "Message": "Confirm Success"}
    assert ok.settled and ok.settled.state == "paid" and ok.settled.gateway_txn == "1400123"
    assert judge_ipn(callback(order), ok.settled, **judge).rsp_code == "02"  # a replay
    forged = {**callback(order), "vnp_Amount": "100"}
    assert judge_ipn(forged, order, **judge).rsp_code == "97"
    assert judge_ipn(callback(order, vnp_Amount="100"), order, **judge).rsp_code == "04"
    assert judge_ipn(callback(order), None, **judge).rsp_code == "01"
    failed = judge_ipn(callback(order, vnp_ResponseCode="24"), order, **judge)
    assert failed.rsp_code == "00" and failed.settled is None  # a cancelled payment records nothing
    assert judge_ipn(callback(order, vnp_TmnCode="OTHER"), order, **judge).rsp_code == "97"


def test_the_order_url_is_signed_and_the_return_checked() -> None:
    params = pay_params(
        new_order(FEE, T0), tmn_code=TMN, secret=SECRET, return_url="http://x/r", client_ip="1.2.3.4", now=T0
    )
    assert params["vnp_Amount"] == "15000000" and params["vnp_CreateDate"] == "20261207090000"
    back = callback(new_order(FEE, T0))
    assert return_outcome(back, secret=SECRET) == "paid"
    assert return_outcome({**back, "vnp_ResponseCode": "24"}, secret=SECRET) == "invalid"
    assert return_outcome(callback(new_order(FEE, T0), vnp_ResponseCode="24"), secret=SECRET) == "failed"
