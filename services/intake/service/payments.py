"""E-payment at intake: the fee each dossier owes (from the lifecycle topic), the citizen's payment
order and the gateway's redirect, the gateway's verified callback (IPN) passed on to resolution as
a `request.fee_paid` (the way supplements travel: outbox, requests topic), and the e-receipt.

Nothing about the payer is kept or sent: the order, the request and the receipt carry the dossier's
code, the amount, the method, the receipt's number and the gateway's transaction number only."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlencode

from services.intake.adapters.payment_sql import PaymentSql
from services.intake.domain.dossier import Dossier
from services.intake.domain.payments import DossierFee, IpnVerdict, judge_ipn, new_order, pay_params
from services.intake.service.citizen import forward_to_resolution
from services.intake.service.dossiers import IntakeUnits, not_found
from shared.errors import Conflict
from shared.events import Event, EventType, RequestType
from shared.lifecycle import Status
from shared.payment import PaymentMethod

log = logging.getLogger(__name__)


class Gateway:
    """The merchant's account at the gateway (settings)."""

    def __init__(self, url: str, tmn_code: str, secret: str):
        self.url, self.tmn_code, self.secret = url, tmn_code, secret


def fees_asked(events: list[Event]) -> list[DossierFee]:
    """The fees the topic's dossier.fee_requested events ask for (older events carry no amount)."""
    return [
        DossierFee(e.dossier_code, e.seq, e.payload.fee_amount, e.payload.fee_collection, e.occurred_at)
        for e in events
        if e.type == EventType.FEE_REQUESTED.value and e.payload.fee_amount and e.payload.fee_collection
    ]


def payments_made(events: list[Event]) -> list[Event]:
    return [e for e in events if e.type == EventType.PROCESSING_STARTED.value and e.payload.payment_method]


async def record_from_topic(conn, events: list[Event]) -> None:
    """In the tracking consumer's transaction: fees asked for, and payments resolution recorded."""
    sql = PaymentSql(conn)
    await sql.record_fees(fees_asked(events))
    for e in payments_made(events):
        p = e.payload
        await sql.record_paid(e.dossier_code, p.payment_method, p.payment_amount, p.receipt_no, e.occurred_at)


def _nothing_to_pay() -> Conflict:
    return Conflict(
        "Hồ sơ không có khoản phí, lệ phí đang chờ nộp", "The dossier has no fee waiting to be paid", reason="no_fee"
    )


async def start(
    units: IntakeUnits, gateway: Gateway, now: datetime, code: str, *, return_url: str, client_ip: str
) -> str:
    """The gateway URL the citizen is sent to (the caller has checked code, ID number and secret)."""
    async with units() as uow, uow.transaction():
        dossier = await uow.repo.get_dossier(code)
        if dossier is None:
            raise not_found(code)
        sql = PaymentSql(uow.repo.conn)
        fee = await sql.fee_of(code)
        if fee is None or fee.paid_at is not None or dossier.shown_status is not Status.FEE_REQUESTED:
            raise _nothing_to_pay()
        order = await sql.order_for(new_order(fee, now))
        if order.state == "paid":
            raise _nothing_to_pay()
    params = pay_params(
        order, tmn_code=gateway.tmn_code, secret=gateway.secret, return_url=return_url, client_ip=client_ip, now=now
    )
    return f"{gateway.url}?{urlencode(params)}"


async def confirm(units: IntakeUnits, gateway: Gateway, now: datetime, params: dict[str, str]) -> IpnVerdict:
    """The gateway's IPN: judged under the order's lock; a verified payment is recorded once and
    passed on to resolution in the same transaction. A replay, a forgery or a wrong amount changes nothing."""
    async with units() as uow, uow.transaction():
        sql = PaymentSql(uow.repo.conn)
        order = await sql.lock_order(params.get("vnp_TxnRef", "")[:200])
        verdict = judge_ipn(params, order, secret=gateway.secret, tmn_code=gateway.tmn_code, now=now)
        paid = verdict.settled
        if paid is None:
            if verdict.rsp_code != "00":
                log.warning("payment callback refused: %s %s", verdict.rsp_code, verdict.message)
            return verdict
        if not await sql.settle_order(paid):  # this transaction number was recorded already
            return IpnVerdict("02", "Order already confirmed")
        assert paid.receipt_no is not None and paid.gateway_txn is not None
        await sql.record_paid(paid.code, PaymentMethod.ONLINE, paid.amount, paid.receipt_no, now)
        await forward_to_resolution(
            uow,
            RequestType.FEE_PAID,
            paid.code,
            now,
            amount=paid.amount,
            payment_method=PaymentMethod.ONLINE,
            receipt_no=paid.receipt_no,
            gateway_txn=paid.gateway_txn,
        )
        log.info("payment of %s confirmed by the gateway", paid.code)
        return verdict


async def fee_of(units: IntakeUnits, code: str) -> DossierFee | None:
    async with units() as uow:
        return await PaymentSql(uow.repo.conn).fee_of(code)


async def receipt(units: IntakeUnits, code: str) -> tuple[Dossier, str, DossierFee]:
    """What the e-receipt prints: the dossier, its procedure's name and the paid fee; Conflict when unpaid."""
    async with units() as uow:
        dossier = await uow.repo.get_dossier(code)
        if dossier is None:
            raise not_found(code)
        fee = await PaymentSql(uow.repo.conn).fee_of(code)
        if fee is None or fee.paid_at is None:
            raise Conflict("Hồ sơ chưa nộp phí, lệ phí", "The fee of this dossier has not been paid", reason="unpaid")
        procedure = await uow.repo.procedure_version(dossier.procedure_code, dossier.procedure_version)
    return dossier, procedure.name, fee
