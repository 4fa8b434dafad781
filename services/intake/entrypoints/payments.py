"""intake's routes for e-payment: the citizen's "pay online" (to the gateway), the gateway's return
and server-to-server callback (IPN, public: the signature is the check), and the e-receipt.
Routes only translate."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from services.intake.domain.payments import code_of, return_outcome
from services.intake.entrypoints.citizen_guard import admit_applicant
from services.intake.entrypoints.runtime import runtime_of
from services.intake.entrypoints.schemas import CitizenIn
from services.intake.service import payments
from services.intake.web.receipt import receipt_page

api = APIRouter(prefix="/api/v1")
pages = APIRouter(include_in_schema=False)
RETURN_PATH = "/portal/payment/return"


class PaymentStartOut(BaseModel):
    redirect_url: str = Field(description="The gateway's payment page, with the signed order")


class IpnOut(BaseModel):
    RspCode: str = Field(
        description="00 confirmed, 01 order not found, 02 already confirmed, 04 invalid amount, 97 invalid signature"
    )
    Message: str


def gateway_of(request: Request) -> payments.Gateway:
    s = runtime_of(request).settings
    return payments.Gateway(s.payment_gateway_url, s.payment_tmn_code, s.payment_hash_secret.get_secret_value())


def _base(request: Request) -> str:
    return runtime_of(request).settings.public_url or str(request.base_url).rstrip("/")


@api.post(
    "/dossiers/{code}/payment",
    response_model=PaymentStartOut,
    tags=["citizen"],
    summary="Thanh toán trực tuyến / start paying the fee online (to the gateway)",
    description="Public, with the code, ID number and tracking secret. One order per dossier and fee "
    "request: asking again gives the same order. 409 when no fee is waiting.",
)
async def start_payment(request: Request, code: str, body: CitizenIn) -> PaymentStartOut:
    await admit_applicant(request, code, body.id_number, body.pin)
    rt = runtime_of(request)
    url = await payments.start(
        rt.units,
        gateway_of(request),
        rt.clock(),
        code,
        return_url=_base(request) + RETURN_PATH,
        client_ip=request.client.host if request.client else "127.0.0.1",
    )
    return PaymentStartOut(redirect_url=url)


@api.get(
    "/payment/ipn",
    response_model=IpnOut,
    tags=["payment"],
    summary="Cổng thanh toán báo kết quả (IPN) / the gateway's payment notification",
    description="Called by the gateway, server to server, with the signed `vnp_*` parameters (VNPAY API 2.1). "
    "Answered in the gateway's RspCode/Message form. A bad signature, an unknown order or a wrong amount "
    "changes nothing; a replayed notification changes nothing either (02).",
)
async def ipn(request: Request) -> IpnOut:
    rt = runtime_of(request)
    params = dict(request.query_params)
    verdict = await payments.confirm(rt.units, gateway_of(request), rt.clock(), params)
    return IpnOut(**verdict.answer())


@pages.get(RETURN_PATH)
async def payment_return(request: Request) -> RedirectResponse:
    """The citizen's browser back from the gateway: shown the result on the tracking view (the IPN,
    not this, records the payment; a return whose signature is not the merchant's says so)."""
    params = dict(request.query_params)
    outcome = return_outcome(params, secret=gateway_of(request).secret)
    code = code_of(params.get("vnp_TxnRef", ""))
    return RedirectResponse(f"/portal?code={quote(code, safe='')}&payment={outcome}#tra-cuu", status_code=303)


@pages.post("/portal/receipt/{code}")
async def receipt(
    request: Request,
    code: str,
    id_number: Annotated[str, Form(pattern=r"^\d{12}$")],
    pin: Annotated[str, Form(min_length=6, max_length=20)],
) -> HTMLResponse:
    """The e-receipt, behind the tracking check (a form post: the ID number stays out of the URL)."""
    await admit_applicant(request, code, id_number, pin)
    dossier, procedure_name, fee = await payments.receipt(runtime_of(request).units, code)
    return HTMLResponse(receipt_page(dossier, procedure_name, fee), headers={"Cache-Control": "no-store"})
