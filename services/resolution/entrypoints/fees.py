"""resolution's routes for fees: request-fee with the amount and when it is collected, record-payment
of a cash payment at the desk, and the case's fee for the desk. Included before the generic action
route, which would otherwise take both actions with a reason only (and no amount)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.entrypoints.http import PROCESSING, READERS, CaseOut, _out
from services.resolution.entrypoints.runtime import correlation_of, runtime_of
from services.resolution.service import fees
from shared.auth import Account, staff
from shared.errors import InvalidRequest
from shared.payment import MAX_FEE_VND, CollectionMoment, PaymentMethod

router = APIRouter(prefix="/api/v1")
COLLECTION_VI = {
    CollectionMoment.AT_INTAKE: "Khi nộp hồ sơ",
    CollectionMoment.AT_SUPPLEMENT: "Khi bổ sung hồ sơ",
    CollectionMoment.AT_RETURN: "Khi nhận kết quả",
}


class FeeIn(BaseModel):
    amount: int = Field(gt=0, le=MAX_FEE_VND, description="The fee, in whole VND")
    collection: CollectionMoment = Field(description="When it is collected: at_intake, at_supplement, at_return")
    reason: str | None = Field(None, max_length=2000, description="What the fee is for (shown on the control slip)")


class PaymentIn(BaseModel):
    method: PaymentMethod = Field(
        PaymentMethod.CASH, description="Only `cash` here: online payments come from the gateway"
    )
    amount: int = Field(gt=0, le=MAX_FEE_VND, description="Paid, in whole VND: exactly the fee asked for")
    receipt_no: str | None = Field(
        None, min_length=1, max_length=64, description="The e-receipt's number; one is made when absent"
    )


class FeeOut(BaseModel):
    amount: int
    collection: CollectionMoment
    collection_vi: str
    requested_at: AwareDatetime
    paid: bool
    paid_method: PaymentMethod | None
    paid_amount: int | None
    receipt_no: str | None
    paid_at: AwareDatetime | None


@router.post(
    "/cases/{code}/request-fee",
    response_model=CaseOut,
    tags=["cases"],
    summary="Yêu cầu nộp phí, lệ phí / ask for a fee with its amount and collection moment (4 -> 6)",
)
async def request_fee(
    request: Request, code: str, body: FeeIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    case = await fees.request_fee(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        amount=body.amount,
        collection=body.collection,
        reason=body.reason,
        staff=account,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)


@router.post(
    "/cases/{code}/record-payment",
    response_model=CaseOut,
    tags=["cases"],
    summary="Ghi nhận đã nộp phí bằng tiền mặt / record a cash payment of the fee (6 -> 4)",
    description="409 when the amount differs from the fee asked for. Online payments are recorded only "
    "from the gateway's verified callback (intake), never here.",
)
async def record_payment(
    request: Request, code: str, body: PaymentIn, account: Account = Depends(staff(*READERS))
) -> CaseOut:
    if body.method is not PaymentMethod.CASH:
        raise InvalidRequest(
            "Thanh toán trực tuyến chỉ được ghi nhận từ cổng thanh toán; tại đây chỉ ghi nhận tiền mặt",
            "Online payments are recorded from the payment gateway only; record cash here",
            field="method",
        )
    rt = runtime_of(request)
    case = await fees.record_cash(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        amount=body.amount,
        receipt_no=body.receipt_no,
        staff=account,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)


@router.get(
    "/cases/{code}/fee",
    response_model=FeeOut | None,
    tags=["cases"],
    summary="Phí, lệ phí của hồ sơ / the fee asked for and its payment (null: none asked)",
)
async def fee(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> FeeOut | None:
    found = await fees.fee_of(runtime_of(request).units, code, account)
    if found is None:
        return None
    values = found._asdict()
    values.pop("code"), values.pop("gateway_txn")
    return FeeOut(**values, collection_vi=COLLECTION_VI[found.collection], paid=found.paid_at is not None)
