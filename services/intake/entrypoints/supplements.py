"""intake's routes for form 02 before acceptance: ask for missing papers (queue or counter),
record that they came, and print the form. Routes only translate."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from services.intake.entrypoints.http import decided, walk_in_only
from services.intake.entrypoints.runtime import runtime_of
from services.intake.entrypoints.schemas import DecisionIn, DossierIn, DossierOut, dossier_out
from services.intake.service import dossiers, supplements
from services.intake.web import form02
from shared.auth import Account, Role, optional_staff, staff
from shared.lifecycle import Action
from shared.supplements import DocumentName, Form02In

api = APIRouter(prefix="/api/v1")
pages = APIRouter(include_in_schema=False)
DESK = (Role.CLERK, Role.LEADER)


class SupplementIn(Form02In):
    missing_documents: list[DocumentName] = Field(
        min_length=1, max_length=50, description="Names of the papers to bring (form 02), never their content"
    )


class CounterSupplementIn(DossierIn, SupplementIn):
    """A walk-in's papers, incomplete: the dossier as handed in and what is missing."""


@api.post(
    "/dossiers/{code}/request-supplement",
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Yêu cầu bổ sung hồ sơ (mẫu 02) / ask for missing papers before acceptance (1 -> 5)",
)
async def request_supplement(
    request: Request, code: str, body: SupplementIn, account: Account = Depends(staff(*DESK))
) -> DossierOut:
    rt = runtime_of(request)
    return dossier_out(
        await supplements.request_supplement(
            rt.units,
            rt.calendar,
            rt.clock(),
            code,
            body.asked(),
            staff=account,
            working_days=rt.settings.supplement_working_days,
        )
    )


@api.post(
    "/counter-supplements",
    status_code=201,
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Yêu cầu bổ sung tại quầy (mẫu 02) / a walk-in with incomplete papers",
    description="Recorded as handed in and asked for papers at once (statuses 1 then 5), as a counter "
    "refusal is 1 then 3. Counter and post only; online ones are asked from the queue.",
)
async def request_at_counter(
    request: Request, body: CounterSupplementIn, account: Account = Depends(staff(*DESK))
) -> DossierOut:
    walk_in_only(body.channel)
    rt = runtime_of(request)
    return dossier_out(
        await supplements.request_at_counter(
            rt.units,
            rt.calendar,
            rt.clock(),
            body.asked(),
            procedures=rt.procedures,
            handed=body.handed_in(),
            staff=account,
            working_days=rt.settings.supplement_working_days,
        )
    )


@api.post(
    "/dossiers/{code}/record-supplement",
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Ghi nhận đã bổ sung, tiếp nhận hồ sơ / the papers came before acceptance (5 -> 2)",
    description="Accepted at once: the clock starts now and the appointment slip (form 01) can be printed.",
)
async def record_supplement(
    request: Request, code: str, body: DecisionIn, account: Account = Depends(staff(*DESK))
) -> DossierOut:
    return await decided(request, code, Action.RECORD_SUPPLEMENT, account, body.reason)


@pages.get("/counter/supplement/{code}")
async def supplement_slip(request: Request, code: str, account: Account | None = Depends(optional_staff)):
    # Form 02 carries personal data: staff only, who sign in on the counter page first.
    if account is None or account.role not in (*DESK, Role.OFFICER):
        return RedirectResponse("/counter", status_code=303)
    units = runtime_of(request).units
    dossier, procedure, agency = await dossiers.for_slip(units, code, account)
    latest = await supplements.form02(units, code, account)
    if latest is None:
        return HTMLResponse("Hồ sơ chưa có yêu cầu bổ sung", status_code=409)
    return HTMLResponse(
        form02.supplement_request(dossier, procedure, agency, latest), headers={"Cache-Control": "no-store"}
    )
