"""intake's pages: the counter desk, the citizen portal, and the printable forms 01 and 03."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from services.intake.entrypoints.runtime import runtime_of
from services.intake.service import dossiers
from services.intake.web import slips
from shared.auth import Account, Role, optional_staff, staff
from shared.auth.http import session_token
from shared.auth.sessions import COOKIE_NAME
from shared.errors import Unavailable
from shared.web import page_router

api = APIRouter(prefix="/api/v1")
PAGES = Path(__file__).parent / "pages"
STATIC = Path(__file__).parent / "static"
DESK = (Role.CLERK, Role.LEADER)
router = page_router(PAGES, "portal", "counter")


def tracking_url(request: Request, code: str, pin: str | None = None) -> str:
    # The address printed under the QR code: set PUBLIC_INTAKE_URL to the portal's public host.
    # The secret rides in the fragment, which a browser never sends to a server (no access log).
    base = runtime_of(request).settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/portal?code={quote(code, safe='')}#" + (f"pin={pin}" if pin else "tra-cuu")


def _desk(account: Account | None) -> Account | None:
    # Forms carry personal data: a page for staff only, who sign in on the counter page first.
    return account if account is not None and account.role in (*DESK, Role.OFFICER) else None


def _sign_in_first() -> RedirectResponse:
    return RedirectResponse("/counter", status_code=303)


@router.get("/counter/slip/{code}")
async def appointment_slip(request: Request, code: str, account: Account | None = Depends(optional_staff)):
    if (desk := _desk(account)) is None:
        return _sign_in_first()
    dossier, procedure, agency = await dossiers.for_slip(runtime_of(request).units, code, desk)
    if dossier.due_at is None:
        return (
            RedirectResponse(f"/counter/refusal/{quote(code, safe='')}", status_code=303)
            if dossier.refusal_reason
            else HTMLResponse("Hồ sơ chưa được tiếp nhận", status_code=409)
        )
    return HTMLResponse(
        slips.appointment_slip(dossier, procedure, agency, tracking_url(request, code, dossier.tracking_pin)),
        headers={"Cache-Control": "no-store"},
    )


@router.get("/counter/refusal/{code}")
async def refusal_slip(request: Request, code: str, account: Account | None = Depends(optional_staff)):
    if (desk := _desk(account)) is None:
        return _sign_in_first()
    dossier, procedure, agency = await dossiers.for_slip(runtime_of(request).units, code, desk)
    if not dossier.refusal_reason:
        return HTMLResponse("Hồ sơ không bị từ chối tiếp nhận", status_code=409)
    return HTMLResponse(slips.refusal_slip(dossier, procedure, agency), headers={"Cache-Control": "no-store"})


@api.post(
    "/dossiers/{code}/return-result",
    tags=["dossiers"],
    response_model=dict[str, Any],
    summary="Trả kết quả tại quầy / hand the result back (9 -> 10), done by resolution",
    description="Passed on to resolution with the clerk's credentials; its answer comes back as it gave "
    "it: the case (`CaseOut` of resolution's API) or its error.",
)
async def hand_back(request: Request, code: str, account: Account = Depends(staff(*DESK))) -> JSONResponse:
    """The counter page calls its own service; the clerk's credentials are passed on to resolution,
    which owns statuses 4-10 and checks them again."""
    credentials = {}
    if request.headers.get("authorization"):
        credentials["Authorization"] = request.headers["authorization"]
    elif token := session_token(request):
        credentials["Cookie"] = f"{COOKIE_NAME}={token}"  # intake to resolution is not a browser: the plain name
        # checked here already; resolution checks it again
        credentials["Origin"] = request.headers.get("origin") or request.headers.get("referer", "")
    try:
        async with httpx.AsyncClient(base_url=runtime_of(request).settings.resolution_url, timeout=10) as client:
            answer = await client.post(
                f"/api/v1/cases/{quote(code, safe='')}/return-result",
                headers=credentials,
                json={"reason": "Trả kết quả tại Bộ phận Một cửa"},
            )
    except httpx.HTTPError:
        raise Unavailable(
            "Chưa kết nối được bộ phận giải quyết, vui lòng thử lại", "Resolution cannot be reached; try again"
        ) from None
    try:
        body = answer.json()
    except ValueError:
        body = {}
    return JSONResponse(body, status_code=answer.status_code)  # resolution's answer, as it gave it
