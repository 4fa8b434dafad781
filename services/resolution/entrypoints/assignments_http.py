"""resolution's HTTP API inside the agency: assign (by a leader or by rule), transfer, approve, the
worklist's views and whom a case may go to. Mounted before the generic action route, which would
otherwise take "assign" for an action of the status graph."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field, model_validator

from services.resolution.entrypoints.http import PROCESSING, READERS, CaseOut, _out
from services.resolution.entrypoints.runtime import correlation_of, runtime_of
from services.resolution.service import assignments, interagency
from shared.auth import Account, Role, staff

router = APIRouter(prefix="/api/v1")
USERNAME = Field(min_length=1, max_length=100)


class AssignIn(BaseModel):
    assignee: str | None = Field(None, min_length=1, max_length=100, description="The staff account to hold the case")
    auto: bool = Field(
        False, description="Choose by rule: the least-loaded active officer of the agency (ties by username)"
    )
    step: int | None = Field(None, ge=0, le=29, description="A step of the process; default the current one")

    @model_validator(mode="after")
    def _one_way(self) -> AssignIn:
        if (self.assignee is None) == (not self.auto):
            raise ValueError("give either assignee or auto: true")
        return self


class TransferIn(BaseModel):
    to: str = USERNAME
    step: int | None = Field(None, ge=0, le=29, description="The step it goes to; default the current one")


class CandidateOut(BaseModel):
    username: str
    role: str
    open_cases: int = Field(description="Open cases this account holds now (the rule's load)")


@router.post(
    "/cases/{code}/assign",
    response_model=CaseOut,
    tags=["cases"],
    summary="Giao xử lý / assign a case (leader), to someone or by rule",
    description="By a leader of the case's agency (or a centre-wide leader). `assignee` must be an active "
    "officer or leader of that agency (a leader's step needs a leader), else 422. `auto: true` picks the "
    "active officer (leader, for a leader's step) holding the fewest open cases, ties by username. "
    "Published as `dossier.assigned`.",
)
async def assign(
    request: Request, code: str, body: AssignIn, account: Account = Depends(staff(Role.LEADER))
) -> CaseOut:
    return await _hand_over(request, code, account, body.assignee, body.step, auto=body.auto, by_leader=True)


@router.post(
    "/cases/{code}/transfer",
    response_model=CaseOut,
    tags=["cases"],
    summary="Chuyển bước, chuyển người / hand a case on to another person or step",
    description="By the current holder or a leader. Another step closes the current one (on time if now is "
    "not after its due time) and opens the new one, due after its working hours from now; the case's legal "
    "due time does not move. 409 for a final or decided case, 403 for someone else's. Published as "
    "`dossier.assigned`.",
)
async def transfer(
    request: Request, code: str, body: TransferIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    return await _hand_over(request, code, account, body.to, body.step)


async def _hand_over(request: Request, code: str, account: Account, assignee, step, **how) -> CaseOut:
    rt = runtime_of(request)
    case = await assignments.hand_over_case(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        staff=account,
        assignee=assignee,
        step=step,
        correlation_id=correlation_of(request),
        **how,
    )
    return _out(case, rt.clock(), account)


@router.post(
    "/cases/{code}/approve",
    response_model=CaseOut,
    tags=["cases"],
    summary="Phê duyệt / a leader approves the result",
    description="While the case is in processing (4), once. Published as `dossier.approved`; `resolve` of a "
    "case whose procedure requires approval is refused (409, `missing`) until then.",
)
async def approve(request: Request, code: str, account: Account = Depends(staff(Role.LEADER))) -> CaseOut:
    rt = runtime_of(request)
    case = await assignments.approve_case(
        rt.units, rt.clock(), code, staff=account, correlation_id=correlation_of(request)
    )
    return _out(case, rt.clock(), account)


@router.get(
    "/cases/{code}/candidates",
    response_model=list[CandidateOut],
    tags=["cases"],
    summary="Người có thể nhận hồ sơ / whom a case may be assigned to, with their load",
)
async def candidates(request: Request, code: str, account: Account = Depends(staff(*PROCESSING))) -> list[CandidateOut]:
    found = await assignments.candidates(runtime_of(request).units, code, account)
    return [CandidateOut(username=s.username, role=s.role, open_cases=n) for s, n in found]


@router.get(
    "/worklist",
    response_model=list[CaseOut],
    tags=["cases"],
    summary="Hồ sơ của tôi, chưa giao, chờ phê duyệt / the worklist's views inside the agency",
    description="`mine`: open cases this account holds; `unassigned`: open cases nobody holds; "
    "`awaiting_approval`: cases in processing whose approval is still missing; `with_other_agency`: cases "
    "another agency sent to this one (liên thông). Earliest due first.",
)
async def worklist_view(
    request: Request,
    view: Literal["mine", "unassigned", "awaiting_approval", "with_other_agency"] = Query("mine"),
    agency: str | None = Query(None, max_length=40),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
    account: Account = Depends(staff(*READERS)),
) -> list[CaseOut]:
    rt = runtime_of(request)
    if view == "with_other_agency":  # liên thông: cases another agency sent to this one
        found = await interagency.with_other_agency(rt.units, account, agency=agency, limit=limit, offset=offset)
    else:
        found = await assignments.worklist_view(rt.units, account, view=view, agency=agency, limit=limit, offset=offset)
    now = rt.clock()
    soon = rt.calendar.due_soon_before(now)
    return [_out(c, now, account, soon) for c in found]
