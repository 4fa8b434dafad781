"""intake's HTTP API: the catalogue and reception. Routes only translate."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from pydantic import BaseModel

from services.intake.domain.dossier import Dossier
from services.intake.domain.uploads import Upload
from services.intake.entrypoints.citizen_guard import admit_applicant
from services.intake.entrypoints.runtime import runtime_of
from services.intake.entrypoints.schemas import (
    AgencyOut,
    CatalogueOut,
    CitizenIn,
    CounterRefusalIn,
    DecisionIn,
    DossierIn,
    DossierOut,
    HistoryOut,
    RatingIn,
    RatingRecordedOut,
    RefusalIn,
    RequestRecordedOut,
    TrackingOut,
    WithdrawalIn,
    dossier_out,
    fee_out,
    history_out,
)
from services.intake.service import citizen, dossiers, payments, rating, reception
from services.intake.service.idempotent import Once
from shared.auth import Account, Role, optional_staff, require_role, staff
from shared.auth.http import service_or_staff
from shared.events import Channel
from shared.http import ApiError
from shared.lifecycle import Action
from shared.local_time import local_day

router = APIRouter(prefix="/api/v1")
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="A key the client chooses per dossier (a UUID, say): resending the same request with it "
        "returns the first answer instead of receiving the dossier twice",
    ),
]
# Who may do what at intake; an account with an agency sees only that agency's dossiers.
DESK = (Role.CLERK, Role.LEADER)  # receive at the counter or by post, accept, refuse
READERS = (Role.CLERK, Role.OFFICER, Role.LEADER)  # see dossiers with the applicant's details


@router.get(
    "/procedures", response_model=CatalogueOut, tags=["catalogue"], summary="Danh mục thủ tục / the procedure catalogue"
)
async def list_procedures(request: Request, agency: str | None = Query(None, max_length=40)) -> CatalogueOut:
    rt = runtime_of(request)
    agencies, procedures = await dossiers.catalogue_in_force(rt.units, local_day(rt.clock()), agency)
    return CatalogueOut(
        agencies=[AgencyOut.model_validate(a, from_attributes=True) for a in agencies], procedures=procedures
    )


@router.post(
    "/dossiers",
    status_code=201,
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Tiếp nhận hồ sơ / receive a dossier",
    description="Online submission (`channel: online`) is public; counter and post need a clerk's sign-in.",
)
async def receive(
    request: Request,
    body: DossierIn,
    account: Account | None = Depends(optional_staff),
    idempotency_key: IdempotencyKey = None,
) -> Response:
    clerk = None if body.channel is Channel.ONLINE else require_role(account, DESK)
    return await received(request, body, clerk, idempotency_key)


async def received(
    request: Request,
    body: DossierIn,
    clerk: Account | None,
    idempotency_key: str | None,
    scans: tuple[Upload, ...] = (),
) -> Response:
    """Receive `body` (with the counter's scans, if any) and answer 201 with the dossier."""
    rt = runtime_of(request)
    once = None
    if idempotency_key is not None:
        # The fingerprint covers who sends it: another account reusing a key is refused, not answered.
        scanned = "|".join(hashlib.sha256(f.data).hexdigest() for f in scans)
        request_print = f"{clerk.username if clerk else ''}|{body.model_dump_json()}|{scanned}"
        once = Once(
            idempotency_key,
            hashlib.sha256(request_print.encode()).hexdigest(),
            lambda dossier: dossier_out(dossier, with_pin=True).model_dump(mode="json"),
        )
    received = await reception.receive(
        rt.units,
        rt.calendar,
        rt.clock(),
        procedures=rt.procedures,
        handed=body.handed_in(scans),
        staff=clerk,
        once=once,
    )
    if once is None:
        assert isinstance(received, Dossier)
        out, headers = dossier_out(received, with_pin=True), {}
    else:
        out = DossierOut.model_validate(once.answer)
        headers = {"Idempotent-Replayed": "true"} if once.replayed else {}
    # Sent as built: returned as a model, FastAPI would dump it and validate it once more (the
    # busiest endpoint; response_model still documents it).
    return Response(out.model_dump_json(), status_code=201, media_type="application/json", headers=headers)


def walk_in_only(channel: Channel) -> None:
    """What the clerk does at the counter (refuse, ask for papers) is for counter and post dossiers."""
    if channel is Channel.ONLINE:
        raise ApiError(
            422,
            "Hồ sơ trực tuyến được xử lý từ hàng chờ, không phải tại quầy",
            "Online dossiers are handled from the queue, not at the counter",
            field="channel",
        )


@router.post(
    "/counter-refusals",
    status_code=201,
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Từ chối tiếp nhận tại quầy / refuse a walk-in dossier (form 03)",
    description="Recorded as handed in and refused at once (statuses 1 then 3), so it is counted as "
    "received and refused. Counter and post only; online ones are refused from the queue.",
)
async def refuse_walk_in(
    request: Request, body: CounterRefusalIn, account: Account = Depends(staff(*DESK))
) -> DossierOut:
    walk_in_only(body.channel)
    rt = runtime_of(request)
    return dossier_out(
        await reception.refuse_at_counter(
            rt.units,
            rt.clock(),
            procedures=rt.procedures,
            handed=body.handed_in(),
            staff=account,
            reason=body.reason,
        )
    )


@router.get("/dossiers", response_model=list[DossierOut], tags=["dossiers"], summary="Danh sách hồ sơ / list")
async def list_dossiers(
    request: Request,
    status: int | None = Query(None, ge=1, le=10),
    agency: str | None = Query(None, max_length=40),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    account: Account = Depends(staff(*READERS)),
) -> list[DossierOut]:
    found = await dossiers.list_visible(
        runtime_of(request).units, account, status=status, agency=agency, limit=limit, offset=offset
    )
    return [dossier_out(d) for d in found]


@router.get("/dossiers/{code}", response_model=DossierOut, tags=["dossiers"])
async def get_dossier(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> DossierOut:
    # The clerk reads the secret out to an applicant who lost the slip, or reprints the slip.
    return dossier_out(await dossiers.get_visible(runtime_of(request).units, code, account), with_pin=True)


class ContactOut(BaseModel):
    email: str | None
    phone: str | None
    notify: list[str]


@router.get(
    "/internal/dossiers/{code}/contact",
    response_model=ContactOut,
    tags=["internal"],
    summary="Liên hệ nhận thông báo / contact for notices (services only)",
)
async def contact(request: Request, code: str, _service: str = Depends(service_or_staff())) -> ContactOut:
    # The notifier's only way to the applicant's address and phone: the services' token, no staff
    # role (a signed-in account gets 403). Read when a message is sent, never copied onto Kafka.
    applicant = await dossiers.contact(runtime_of(request).units, code)
    return ContactOut(email=applicant.email, phone=applicant.phone, notify=list(applicant.notify))


@router.get(
    "/dossiers/{code}/history",
    response_model=list[HistoryOut],
    tags=["dossiers"],
    summary="Quá trình xử lý / status history",
)
async def get_history(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> list[HistoryOut]:
    return history_out(await dossiers.history_visible(runtime_of(request).units, code, account))


@router.post(
    "/dossiers/{code}/accept",
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Tiếp nhận hồ sơ trực tuyến / accept an online dossier",
)
async def accept(request: Request, code: str, body: DecisionIn, account: Account = Depends(staff(*DESK))) -> DossierOut:
    return await decided(request, code, Action.ACCEPT, account, body.reason)


async def decided(request: Request, code: str, action: Action, account: Account, reason: str | None) -> DossierOut:
    """A clerk's decision on a dossier not yet accepted (accept, refuse, papers came), as the answer."""
    rt = runtime_of(request)
    done = await reception.decide(
        rt.units, rt.calendar, rt.clock(), code, action, procedures=rt.procedures, staff=account, reason=reason
    )
    return dossier_out(done)


@router.post(
    "/dossiers/{code}/refuse",
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Từ chối tiếp nhận / refuse a dossier",
)
async def refuse(request: Request, code: str, body: RefusalIn, account: Account = Depends(staff(*DESK))) -> DossierOut:
    return await decided(request, code, Action.REFUSE, account, body.reason)


@router.post(
    "/dossiers/{code}/track",
    response_model=TrackingOut,
    tags=["citizen"],
    summary="Tra cứu hồ sơ / track a dossier by its code and the applicant's ID number",
    description="Public. The ID number travels in the body, never in the URL, so it stays out of access logs.",
)
async def track(request: Request, code: str, body: CitizenIn) -> TrackingOut:
    await admit_applicant(request, code, body.id_number, body.pin)
    units = runtime_of(request).units
    dossier, history = await citizen.find_for_citizen(units, code, body.id_number)
    fee = fee_out(await payments.fee_of(units, code))
    return TrackingOut(dossier=dossier_out(dossier), history=history_out(history), fee=fee)


@router.post(
    "/dossiers/{code}/withdraw",
    status_code=202,
    response_model=RequestRecordedOut,
    tags=["citizen"],
    summary="Công dân rút hồ sơ / the applicant withdraws the dossier",
)
async def withdraw(request: Request, code: str, body: WithdrawalIn) -> RequestRecordedOut:
    await admit_applicant(request, code, body.id_number, body.pin)
    rt = runtime_of(request)
    result = await citizen.withdraw_for_citizen(
        rt.units, rt.clock(), code, id_number=body.id_number, reason=body.reason
    )
    return RequestRecordedOut(
        **result, message="Yêu cầu rút hồ sơ đã được ghi nhận / The withdrawal request has been recorded"
    )


@router.post(
    "/dossiers/{code}/rating",
    status_code=202,
    response_model=RatingRecordedOut,
    tags=["citizen"],
    summary="Đánh giá mức độ hài lòng / rate the service once the result is handed over",
)
async def rate(request: Request, code: str, body: RatingIn) -> RatingRecordedOut:
    await admit_applicant(request, code, body.id_number, body.pin)
    rt = runtime_of(request)
    result = await rating.rate_for_citizen(
        rt.units, rt.clock(), code, id_number=body.id_number, score=body.score, comment=body.comment
    )
    return RatingRecordedOut(**result, message="Cảm ơn ông/bà đã đánh giá / Thank you for your rating")
