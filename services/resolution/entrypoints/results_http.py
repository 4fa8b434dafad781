"""resolution's routes of electronic results (issue 15): a decision with its signed PDF or on
paper, and the PDF for intake, which serves it to the applicant."""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field, model_validator

from services.resolution.domain.signed_pdf import ResultRefused, check_signed_pdf
from services.resolution.entrypoints.http import PROCESSING, CaseOut, performed
from services.resolution.entrypoints.runtime import runtime_of
from services.resolution.service import cases
from shared.auth import Account, staff
from shared.auth.http import service_or_staff
from shared.lifecycle import Action

router = APIRouter(prefix="/api/v1")


class ResultIn(BaseModel):
    kind: Literal["electronic", "paper"] = Field(
        description="electronic: the signed PDF below is the result the applicant downloads; paper: handed over on paper"
    )
    pdf_base64: str | None = Field(
        None, description="For `electronic`: the signed PDF, base64 (standard alphabet); its size is capped"
    )
    reason: str | None = Field(None, max_length=2000, description="Shown on the control slip")

    @model_validator(mode="after")
    def _pdf_for_electronic_only(self) -> ResultIn:
        if (self.kind == "electronic") != (self.pdf_base64 is not None):
            raise ValueError("an electronic result sends its signed PDF (pdf_base64), a paper one does not")
        return self


@router.post(
    "/results/{code}",
    response_model=CaseOut,
    tags=["cases"],
    summary="Kết thúc xử lý kèm kết quả / resolve with the result: a signed PDF or on paper",
    description="The decision (status 9) as the `resolve` action takes it, with how the result is issued "
    "(`result_kind` on `dossier.resolved`). An electronic result must be a PDF carrying a valid digital "
    "signature that covers the whole file, by a certificate chaining to RESOLUTION_RESULT_TRUST_ROOTS when "
    "set (422 otherwise, nothing stored); it is kept with the decision.",
)
async def resolve_with_result(
    request: Request, code: str, body: ResultIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    signed = None
    if body.pdf_base64 is not None:
        try:
            data = b64decode(body.pdf_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ResultRefused("Tệp kết quả không đúng mã base64", "The result file is not valid base64") from None
        signed = check_signed_pdf(data, rt.settings.result_max_bytes, now=rt.clock(), trust_roots=rt.result_roots)
    return await performed(request, code, Action.RESOLVE, account, body.reason, result_kind=body.kind, result=signed)


@router.get(
    "/internal/results/{code}",
    tags=["internal"],
    response_class=Response,
    summary="Kết quả điện tử / a case's signed PDF (services only)",
    description="For intake, which serves it to the applicant behind the tracking secret: the services' "
    "bearer token only (a signed-in account gets 403). 404 when the case has no electronic result.",
)
async def result_for_intake(request: Request, code: str, _service: str = Depends(service_or_staff())) -> Response:
    pdf = await cases.result_pdf(runtime_of(request).units, code)
    return Response(pdf, media_type="application/pdf", headers={"Cache-Control": "no-store"})
