"""Fees after acceptance: an officer asks for one (4 -> 6) with its amount and collection moment;
a clerk or officer records a cash payment, or a verified online payment comes from intake on the
requests topic (6 -> 4). Written like every action: case, control slip, outbox and the fee row in
one transaction (services/resolution/service/cases.py)."""

from __future__ import annotations

from datetime import datetime

from services.resolution.adapters.fee_sql import FeeSql
from services.resolution.domain.case import Case
from services.resolution.domain.fees import CaseFee, ask_fee, settle
from services.resolution.service.cases import (
    ResolutionUnits,
    _locked_visible,
    _record,
    ensure_reads,
    not_found,
)
from shared.auth import Account
from shared.calendar import WorkingCalendar
from shared.payment import CollectionMoment, PaymentMethod


async def request_fee(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    *,
    amount: int,
    collection: CollectionMoment,
    reason: str | None,
    staff: Account,
    correlation_id: str,
) -> Case:
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        outcome, fee = ask_fee(
            case, amount, collection, actor=staff.username, reason=reason, now=now, calendar=calendar
        )
        await _record(uow, outcome, now, correlation_id)
        await FeeSql(uow.repo.conn).save(fee)
        return outcome.case


async def record_cash(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    *,
    amount: int,
    receipt_no: str | None,
    staff: Account,
    correlation_id: str,
) -> Case:
    """A cash payment at the desk, of exactly the fee asked for."""
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        fees = FeeSql(uow.repo.conn)
        outcome, paid = settle(
            case,
            await fees.fee_of(code),
            method=PaymentMethod.CASH,
            amount=amount,
            receipt_no=receipt_no,
            gateway_txn=None,
            actor=staff.username,
            now=now,
            calendar=calendar,
        )
        await _record(uow, outcome, now, correlation_id)
        await fees.save(paid)
        return outcome.case


async def fee_of(units: ResolutionUnits, code: str, account: Account) -> CaseFee | None:
    async with units() as uow:
        case = await uow.repo.get_case(code)
        if case is None:
            raise not_found(code)
        ensure_reads(account, case)
        return await FeeSql(uow.repo.conn).fee_of(code)
