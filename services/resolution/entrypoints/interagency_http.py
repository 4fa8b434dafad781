"""resolution's HTTP API between agencies (liên thông): send a case to the agency that performs a step
of its process and send it back. Mounted before the generic action route, like assignments_http."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.resolution.entrypoints.http import PROCESSING, CaseOut, _out
from services.resolution.entrypoints.runtime import correlation_of, runtime_of
from services.resolution.service import interagency
from shared.auth import Account, staff

router = APIRouter(prefix="/api/v1")


class SendIn(BaseModel):
    step: int | None = Field(
        None, ge=0, le=29, description="A step that names another agency; default the next such step"
    )
    reason: str | None = Field(None, max_length=2000)


class SendBackIn(BaseModel):
    reason: str | None = Field(None, max_length=2000)


@router.post(
    "/cases/{code}/send",
    response_model=CaseOut,
    tags=["cases"],
    summary="Chuyển liên thông / send a case to the agency that performs a step",
    description="By the holder or a leader of the competent agency, while the case is in processing (4). "
    "The status stays 4; `resolve` answers 409 with `at_other_agency` in `missing` until it is back. "
    "Published as `dossier.sent_to_agency`.",
)
async def send(request: Request, code: str, body: SendIn, account: Account = Depends(staff(*PROCESSING))) -> CaseOut:
    rt = runtime_of(request)
    case = await interagency.send_case(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        staff=account,
        step=body.step,
        reason=body.reason,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)


@router.post(
    "/cases/{code}/send-back",
    response_model=CaseOut,
    tags=["cases"],
    summary="Trả kết quả liên thông / the other agency sends the case back",
    description="By an officer or leader of the agency the case was sent to (or centre-wide staff). When "
    "the step pauses the clock the legal due time moves later by the working time away. Published as "
    "`dossier.back_from_agency`.",
)
async def send_back(
    request: Request, code: str, body: SendBackIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    case = await interagency.send_back_case(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        staff=account,
        reason=body.reason,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)
