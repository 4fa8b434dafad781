"""resolution's routes for form 02 after acceptance (request-supplement with the papers and their
time) and for what the desk's forms 04 and 05 print. Included before the generic action route,
which would otherwise take request-supplement with a reason only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.entrypoints.http import PROCESSING, READERS, CaseOut, _out
from services.resolution.entrypoints.runtime import correlation_of, runtime_of
from services.resolution.service import supplements
from shared.auth import Account, staff
from shared.supplements import Form02In

router = APIRouter(prefix="/api/v1")


class CaseFormsOut(BaseModel):
    agency_name: str | None = Field(description="The competent agency, as the accepted event named it")
    missing_documents: list[str] = Field(description="The papers last asked for (form 02)")
    supplement_requested_at: AwareDatetime | None
    supplement_due_at: AwareDatetime | None


@router.post(
    "/cases/{code}/request-supplement",
    response_model=CaseOut,
    tags=["cases"],
    summary="Yêu cầu bổ sung hồ sơ (mẫu 02) / ask for missing papers during processing (4 -> 5)",
)
async def request_supplement(
    request: Request, code: str, body: Form02In, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    case = await supplements.request_supplement(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        body.asked(),
        staff=account,
        working_days=rt.settings.supplement_working_days,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)


@router.get(
    "/cases/{code}/forms",
    response_model=CaseFormsOut,
    tags=["cases"],
    summary="Thông tin in phiếu (mẫu 02, 04, 05) / what the printed forms carry besides the case",
)
async def forms(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> CaseFormsOut:
    agency_name, latest = await supplements.forms_of(runtime_of(request).units, code, account)
    return CaseFormsOut(
        agency_name=agency_name,
        missing_documents=latest.missing_documents if latest else [],
        supplement_requested_at=latest.requested_at if latest else None,
        supplement_due_at=latest.due_at if latest else None,
    )
