"""resolution's HTTP API: the worklist and the actions of the status graph."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.adapters import repository as repo
from services.resolution.domain.case import Case
from services.resolution.service import cases, export
from shared.http import ApiError
from shared.lifecycle import ACTION_NAMES_VI, RESOLUTION_ACTIONS, STATUS_NAMES_VI, Action

router = APIRouter(prefix="/api/v1")


class ActionIn(BaseModel):
    by: str = Field(min_length=1, max_length=100, description="Staff account taking the action")
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


def _out(case: Case, now) -> CaseOut:
    return CaseOut(
        code=case.code, agency_id=case.agency_id, procedure_code=case.procedure_code, channel=case.channel,
        status=int(case.status), status_name=STATUS_NAMES_VI[case.status], accepted_at=case.accepted_at,
        due_at=case.due_at, overdue=case.resolved_at is None and case.due_at <= now and case.status in (2, 4, 5, 6),
        paused_since=case.paused_at, resolved_at=case.resolved_at, compliance=case.compliance,
        rule_version=case.rule_version, rating=case.rating, allowed_actions=[a.value for a in case.actions()],
    )


def _rt(request: Request):
    return request.app.state.runtime


@router.get("/cases", response_model=list[CaseOut], tags=["cases"],
            summary="Danh sách hồ sơ cần xử lý / worklist, earliest due first")
async def worklist(request: Request, agency: str | None = Query(None, max_length=40),
                   status: int | None = Query(None, ge=1, le=10), limit: int = Query(100, ge=1, le=1000),
                   offset: int = Query(0, ge=0, le=1_000_000)) -> list[CaseOut]:
    rt = _rt(request)
    async with rt.db.acquire() as conn:
        found = await repo.worklist(conn, agency_id=agency, status=status, limit=limit, offset=offset)
    now = rt.clock()
    return [_out(c, now) for c in found]


@router.get("/cases/{code}", tags=["cases"], summary="Hồ sơ và phiếu kiểm soát / case and control slip")
async def get_case(request: Request, code: str) -> dict:
    rt = _rt(request)
    async with rt.db.acquire() as conn:
        case = await repo.get_case(conn, code)
        if case is None:
            raise cases.not_found(code)
        history = await repo.history(conn, code)
    return {"case": _out(case, rt.clock()).model_dump(mode="json"), "history": history}


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
async def take_action(request: Request, code: str, action: str, body: ActionIn) -> CaseOut:
    try:
        chosen = Action(action)
        if chosen not in RESOLUTION_ACTIONS:
            raise ValueError(action)
    except ValueError:
        names = ", ".join(a.value for a in Action if a in RESOLUTION_ACTIONS)
        raise ApiError(404, f"Không có thao tác '{action}'; các thao tác: {names}",
                       f"No action '{action}'; actions are: {names}") from None
    rt = _rt(request)
    correlation = request.headers.get("X-Correlation-ID") or str(uuid.uuid4())
    case = await cases.perform(rt.db, rt.calendar, rt.clock(), code, chosen, actor=body.by, reason=body.reason,
                               correlation_id=correlation[:100])
    return _out(case, rt.clock())
