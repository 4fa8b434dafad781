"""resolution's HTTP API: the worklist and the actions of the status graph."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.adapters import repository as repo
from services.resolution.domain.case import Case
from services.resolution.service import cases, export
from shared.auth import Account, Role, require_role, staff
from shared.http import ApiError
from shared.lifecycle import ACTION_NAMES_VI, RESOLUTION_ACTIONS, STATUS_NAMES_VI, Action

router = APIRouter(prefix="/api/v1")
# Officers and leaders process; the counter clerk hands the result back (9 -> 10) and records a
# withdrawal at the desk (DOMAIN.md's status table), so a clerk also reads the cases. An account
# with an agency sees and acts only on that agency's cases.
PROCESSING = (Role.OFFICER, Role.LEADER)
READERS = (Role.OFFICER, Role.LEADER, Role.CLERK)
ACTION_ROLES = {Action.RETURN_RESULT: READERS, Action.WITHDRAW: READERS}


class ActionIn(BaseModel):
    # Who acts is the signed-in account; a `by` field sent by older clients is ignored.
    reason: str | None = Field(None, max_length=2000, description="Why (shown on the control slip)")


class CaseOut(BaseModel):
    code: str
    agency_id: str
    procedure_code: str
    channel: str
    status: int
    status_name: str
    accepted_at: AwareDatetime
    due_at: AwareDatetime
    overdue: bool
    paused_since: AwareDatetime | None
    resolved_at: AwareDatetime | None
    compliance: str | None
    rule_version: str
    rating: int | None
    allowed_actions: list[str]


def may(account: Account, action: Action) -> bool:
    return account.role in ACTION_ROLES.get(action, PROCESSING)


def _out(case: Case, now, account: Account) -> CaseOut:
    return CaseOut(
        code=case.code, agency_id=case.agency_id, procedure_code=case.procedure_code, channel=case.channel,
        status=int(case.status), status_name=STATUS_NAMES_VI[case.status], accepted_at=case.accepted_at,
        due_at=case.due_at, overdue=case.resolved_at is None and case.due_at <= now and case.status in (2, 4, 5, 6),
        paused_since=case.paused_at, resolved_at=case.resolved_at, compliance=case.compliance,
        rule_version=case.rule_version, rating=case.rating,
        allowed_actions=[a.value for a in case.actions() if may(account, a)],  # what this account may do now
    )


def _rt(request: Request):
    return request.app.state.runtime


@router.get("/cases", response_model=list[CaseOut], tags=["cases"],
            summary="Danh sách hồ sơ cần xử lý / worklist, earliest due first")
async def worklist(request: Request, agency: str | None = Query(None, max_length=40),
                   status: int | None = Query(None, ge=1, le=10), limit: int = Query(100, ge=1, le=1000),
                   offset: int = Query(0, ge=0, le=1_000_000),
                   account: Account = Depends(staff(*READERS))) -> list[CaseOut]:
    rt = _rt(request)
    agency = account.agency_filter(agency)  # an officer's worklist is their agency's
    async with rt.db.acquire() as conn:
        found = await repo.worklist(conn, agency_id=agency, status=status, limit=limit, offset=offset)
    now = rt.clock()
    return [_out(c, now, account) for c in found]


@router.get("/cases/{code}", tags=["cases"], summary="Hồ sơ và phiếu kiểm soát / case and control slip")
async def get_case(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> dict:
    rt = _rt(request)
    async with rt.db.acquire() as conn:
        case = await repo.get_case(conn, code)
        if case is None:
            raise cases.not_found(code)
        account.ensure_agency(case.agency_id, code)
        history = await repo.history(conn, code)
    return {"case": _out(case, rt.clock(), account).model_dump(mode="json"), "history": history}


@router.get("/export/cases", tags=["export"], response_class=StreamingResponse,
            summary="Trạng thái mọi hồ sơ (NDJSON) / every case's status, for reconciliation",
            description="One JSON object per line, ordered by code: code, agency_id, procedure_code, channel, "
                        "status, last_seq, due_at, compliance, resolved_at, rating. No personal data.")
async def export_cases(request: Request, agency: str | None = Query(None, max_length=40)) -> StreamingResponse:
    return StreamingResponse(export.export_cases(_rt(request).db, agency), media_type="application/x-ndjson")


@router.post("/cases/{code}/{action}", response_model=CaseOut, tags=["cases"],
             summary="Thực hiện thao tác / take an action of the status graph",
             description="Actions: " + ", ".join(f"`{a.value}` ({ACTION_NAMES_VI[a]})"
                                                  for a in Action if a in RESOLUTION_ACTIONS))
async def take_action(request: Request, code: str, action: str, body: ActionIn,
                      account: Account = Depends(staff(*READERS))) -> CaseOut:
    try:
        chosen = Action(action)
        if chosen not in RESOLUTION_ACTIONS:
            raise ValueError(action)
    except ValueError:
        names = ", ".join(a.value for a in Action if a in RESOLUTION_ACTIONS)
        raise ApiError(404, f"Không có thao tác '{action}'; các thao tác: {names}",
                       f"No action '{action}'; actions are: {names}") from None
    require_role(account, ACTION_ROLES.get(chosen, PROCESSING))
    rt = _rt(request)
    correlation = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
    case = await cases.perform(rt.db, rt.calendar, rt.clock(), code, chosen, staff=account, reason=body.reason,
                               correlation_id=correlation[:100])
    return _out(case, rt.clock(), account)
