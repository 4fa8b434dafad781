"""resolution's routes for form 02 after acceptance (request-supplement with the papers and their
time) and for what the desk's forms 04 and 05 print. Included before the generic action route,
which would otherwise take request-supplement with a reason only."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.entrypoints.http import PROCESSING, READERS, CaseOut, _out
from services.resolution.entrypoints.runtime import runtime_of
from services.resolution.service import supplements
from shared.auth import Account, staff

router = APIRouter(prefix="/api/v1")
DocumentName = Annotated[str, Field(min_length=1, max_length=300)]


class SupplementIn(BaseModel):
    reason: str | None = Field(None, max_length=2000, description="Why (shown on the control slip)")
    missing_documents: list[DocumentName] = Field(
        default_factory=list, max_length=50, description="Names of the papers to bring (form 02), never their content"
    )
    supplement_due_at: AwareDatetime | None = Field(
        None,
        description="By when; default: RESOLUTION_SUPPLEMENT_WORKING_DAYS working days from now. When it passes "
        "with the papers still missing, processing stops (5 -> 8, form 05)",
    )


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
    request: Request, code: str, body: SupplementIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    correlation = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
    case = await supplements.request_supplement(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        staff=account,
        reason=body.reason,
        missing_documents=body.missing_documents,
        due_at=body.supplement_due_at,
        working_days=rt.settings.supplement_working_days,
        correlation_id=correlation[:100],
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
