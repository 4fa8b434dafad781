"""resolution's HTTP API: the worklist and the actions of the status graph."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, Field

from services.resolution.domain import interagency
from services.resolution.domain.assignment import RESULT_VI, current_step_due, steps
from services.resolution.domain.case import Case, may_apologise, missing_for_decision
from services.resolution.entrypoints.runtime import correlation_of, runtime_of
from services.resolution.service import assignments, cases, export
from shared.auth import Account, Role, require_role, staff
from shared.auth.http import service_or_staff
from shared.events import ProcessStep
from shared.http import ApiError
from shared.lifecycle import (
    ACTION_NAMES_VI,
    OPEN,
    RESOLUTION_ACTIONS,
    STATUS_NAMES_VI,
    Action,
)

router = APIRouter(prefix="/api/v1")
# Officers and leaders process; the counter clerk hands the result back (9 -> 10) and records a
# withdrawal at the desk (docs/domain.md's status table), so a clerk also reads the cases. An account
# with an agency sees and acts only on that agency's cases.
PROCESSING = (Role.OFFICER, Role.LEADER)
READERS = (Role.OFFICER, Role.LEADER, Role.CLERK)
ACTION_ROLES = {Action.RETURN_RESULT: READERS, Action.WITHDRAW: READERS}


# The actions, listed in the OpenAPI document as an enum so a client can discover them; the value
# is still read as text, so an unknown action is the bilingual 404 below rather than a 422.
RESOLUTION_ACTION_VALUES = [a.value for a in Action if a in RESOLUTION_ACTIONS]
ActionName = Annotated[
    str,
    Path(description="The action of the status graph to take", json_schema_extra={"enum": RESOLUTION_ACTION_VALUES}),
]


class ActionIn(BaseModel):
    # Who acts is the signed-in account; a `by` field sent by older clients is ignored.
    reason: str | None = Field(None, max_length=2000, description="Why (shown on the control slip)")


class ApologyIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, description="Why the result will be late (form 04)")
    new_appointment_at: AwareDatetime = Field(description="The new appointment, after the current due time")


class CaseOut(BaseModel):
    code: str
    agency_id: str
    procedure_code: str
    procedure_name: str | None
    channel: str
    status: int
    status_name: str
    accepted_at: AwareDatetime
    due_at: AwareDatetime
    overdue: bool
    due_soon: bool = Field(description="Running, not overdue, less than one working day left")
    paused_since: AwareDatetime | None
    resolved_at: AwareDatetime | None
    compliance: str | None
    rule_version: str
    rating: int | None
    allowed_actions: list[str]
    may_apologise: bool = Field(description="Whether this account may issue an apology and new appointment now")
    new_appointment_at: AwareDatetime | None = Field(description="Form 04's new appointment, if one was issued")
    apology_reason: str | None
    # Inside the agency (entrypoints/assignments_http.py)
    process: list[ProcessStep] = Field(description="The process; old cases show their one implicit step")
    requires_approval: bool
    assignee: str | None = Field(description="Who holds the case now")
    step: int = Field(description="Index of the current step in `process`")
    step_name: str
    step_due_at: AwareDatetime = Field(description="When the current step's allowance runs out")
    approved_by: str | None
    approved_at: AwareDatetime | None
    missing_for_decision: list[str] = Field(
        description="What resolve still needs: 'assignment', 'approval', 'at_other_agency'"
    )
    # Between agencies (entrypoints/interagency_http.py)
    away_agency_id: str | None = Field(None, description="The other agency the case is at now (liên thông)")
    away_since: AwareDatetime | None = None
    away_step: int | None = None
    away_clock: str | None = Field(None, description="'runs' or 'pauses': the legal time while away")
    visiting: bool = Field(
        False, description="This account is of the agency the case is at now, not of the competent one"
    )
    may_send_back: bool = Field(False, description="Whether this account may send the case back now")


def may(account: Account, action: Action) -> bool:
    return account.role in ACTION_ROLES.get(action, PROCESSING)


def _out(case: Case, now, account: Account, soon=None) -> CaseOut:
    """`soon`: one working day from now (docs/domain.md's "due soon"), computed once per request."""
    running = case.resolved_at is None and case.status in OPEN
    overdue = running and case.due_at <= now
    role = account.role.value
    # The other agency's staff (liên thông) only send it back: the statuses stay the competent agency's.
    visitor = interagency.visiting(case, role, account.agency_id)
    return CaseOut(
        code=case.code,
        agency_id=case.agency_id,
        procedure_code=case.procedure_code,
        procedure_name=case.procedure_name,
        channel=case.channel,
        status=int(case.status),
        status_name=STATUS_NAMES_VI[case.status],
        accepted_at=case.accepted_at,
        due_at=case.due_at,
        overdue=overdue,
        due_soon=running and not overdue and soon is not None and case.due_at <= soon,
        paused_since=case.paused_at,
        resolved_at=case.resolved_at,
        compliance=case.compliance,
        rule_version=case.rule_version,
        rating=case.rating,
        # what this account may do now
        allowed_actions=[] if visitor else [a.value for a in case.actions() if may(account, a)],
        may_apologise=not visitor and may_apologise(case) and account.role in PROCESSING,
        new_appointment_at=case.new_appointment_at,
        apology_reason=case.apology_reason,
        process=list(steps(case)),
        requires_approval=case.requires_approval,
        assignee=case.assignee,
        step=case.step,
        step_name=steps(case)[case.step].name,
        step_due_at=current_step_due(case),
        approved_by=case.approved_by,
        approved_at=case.approved_at,
        missing_for_decision=missing_for_decision(case),
        away_agency_id=case.away_agency_id,
        away_since=case.away_since,
        away_step=case.away_step,
        away_clock=case.away_clock,
        visiting=visitor,
        may_send_back=case.away_agency_id is not None and interagency.may_send_back(case, role, account.agency_id),
    )


@router.get(
    "/cases",
    response_model=list[CaseOut],
    tags=["cases"],
    summary="Danh sách hồ sơ cần xử lý / worklist, earliest due first",
)
async def worklist(
    request: Request,
    agency: str | None = Query(None, max_length=40),
    status: int | None = Query(None, ge=1, le=10),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=1_000_000),
    account: Account = Depends(staff(*READERS)),
) -> list[CaseOut]:
    rt = runtime_of(request)
    found = await cases.worklist(rt.units, account, agency=agency, status=status, limit=limit, offset=offset)
    now = rt.clock()
    soon = rt.calendar.due_soon_before(now)
    return [_out(c, now, account, soon) for c in found]


class SlipEntryOut(BaseModel):
    code: str
    seq: int
    event_type: str
    from_status: int | None
    to_status: int | None
    actor: str | None
    reason: str | None
    occurred_at: AwareDatetime


class ControlLineOut(BaseModel):
    """A line of form 06 (Circular 03/2025): a hand-over inside the agency and how its step went."""

    step: int
    step_name: str
    from_assignee: str | None
    assignee: str
    actor: str
    handed_at: AwareDatetime
    step_due_at: AwareDatetime | None
    ended_at: AwareDatetime | None
    result: str | None = Field(description="early, on_time, late; null while held within time")
    result_vi: str = Field(description="Trước hạn, Đúng hạn, Quá hạn, Đang xử lý")


class CaseWithSlipOut(BaseModel):
    case: CaseOut
    history: list[SlipEntryOut] = Field(description="The control slip (phiếu kiểm soát), in seq order")
    handovers: list[ControlLineOut] = Field(
        default_factory=list, description="Form 06's lines: each hand-over, its step's due time and result"
    )


@router.get(
    "/cases/{code}",
    response_model=CaseWithSlipOut,
    tags=["cases"],
    summary="Hồ sơ và phiếu kiểm soát / case and control slip",
)
async def get_case(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> CaseWithSlipOut:
    rt = runtime_of(request)
    case, slip = await cases.case_and_slip(rt.units, code, account)
    now = rt.clock()
    soon = rt.calendar.due_soon_before(now)
    lines = await assignments.control_slip(rt.units, code, account, now, rt.calendar)
    return CaseWithSlipOut(
        case=_out(case, now, account, soon),
        history=[SlipEntryOut(**e._asdict()) for e in slip],
        handovers=[ControlLineOut(**line._asdict(), result_vi=RESULT_VI[line.result]) for line in lines],
    )


@router.get(
    "/export/cases",
    tags=["export"],
    response_class=StreamingResponse,
    summary="Trạng thái mọi hồ sơ (NDJSON) / every case's status, for reconciliation",
    description="One JSON object per line, ordered by code: code, agency_id, procedure_code, channel, "
    "status, last_seq, due_at, compliance, resolved_at, rating. No personal data. The last "
    'line is a trailer, `{"end": {"complete": true, "cases": N, "unpublished": U}}` (U: events of '
    "these cases not yet published to the topic); `complete: false` (with `message_vi` and "
    "`message_en`) when the export had to stop after it started, and no trailer at all when "
    "the connection was cut: either way the list is short.",
)
async def export_cases(
    request: Request,
    agency: str | None = Query(None, max_length=40),
    _reader: str = Depends(service_or_staff(Role.MONITOR, Role.LEADER)),
) -> StreamingResponse:
    rt = runtime_of(request)
    # A failure before the first byte is an ordinary error answer.
    chunks = await export.export_cases(rt.db, agency, max_seconds=rt.settings.export_max_seconds)
    return StreamingResponse(chunks, media_type="application/x-ndjson")


class LookupIn(BaseModel):
    codes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=export.LOOKUP_MAX)


class CaseLineOut(BaseModel):
    code: str
    agency_id: str
    procedure_code: str
    channel: str
    status: int
    last_seq: int
    due_at: str | None
    compliance: str | None
    resolved_at: str | None
    rating: int | None


class LookupOut(BaseModel):
    cases: list[CaseLineOut]
    unpublished: int = Field(description="Events committed and not yet published to the topic, now")


@router.post(
    "/export/cases/lookup",
    response_model=LookupOut,
    tags=["export"],
    summary="Trạng thái một số hồ sơ / the status of some cases now, for reconciliation's recheck",
    description="The same fields as the export, for the codes asked (at most "
    f"{export.LOOKUP_MAX}); codes without a case are left out. No personal data.",
)
async def lookup_cases(
    request: Request, body: LookupIn, _reader: str = Depends(service_or_staff(Role.MONITOR, Role.LEADER))
) -> LookupOut:
    lines, unpublished = await export.lookup(runtime_of(request).units, body.codes)
    return LookupOut(cases=[CaseLineOut(**line) for line in lines], unpublished=unpublished)


# Declared before the generic action route, which would otherwise take "apology" for an action.
@router.post(
    "/cases/{code}/apology",
    response_model=CaseOut,
    tags=["cases"],
    summary="Xin lỗi và đề nghị gia hạn thời gian giải quyết (mẫu 04) / apology and new appointment",
    description="Recorded on the case and published as `dossier.apology_issued`; the status and the "
    "due time do not change, so statistics still count against the original due time.",
)
async def apology(
    request: Request, code: str, body: ApologyIn, account: Account = Depends(staff(*PROCESSING))
) -> CaseOut:
    rt = runtime_of(request)
    case = await cases.apologise_for(
        rt.units,
        rt.clock(),
        code,
        staff=account,
        reason=body.reason,
        new_appointment_at=body.new_appointment_at,
        correlation_id=correlation_of(request),
    )
    return _out(case, rt.clock(), account)


@router.post(
    "/cases/{code}/{action}",
    response_model=CaseOut,
    tags=["cases"],
    summary="Thực hiện thao tác / take an action of the status graph",
    description="Actions: "
    + ", ".join(f"`{a.value}` ({ACTION_NAMES_VI[a]})" for a in Action if a in RESOLUTION_ACTIONS),
)
async def take_action(
    request: Request, code: str, action: ActionName, body: ActionIn, account: Account = Depends(staff(*READERS))
) -> CaseOut:
    try:
        chosen = Action(action)
        if chosen not in RESOLUTION_ACTIONS:
            raise ValueError(action)
    except ValueError:
        names = ", ".join(a.value for a in Action if a in RESOLUTION_ACTIONS)
        raise ApiError(
            404, f"Không có thao tác '{action}'; các thao tác: {names}", f"No action '{action}'; actions are: {names}"
        ) from None
    require_role(account, ACTION_ROLES.get(chosen, PROCESSING))
    # The plain action's decision is handed over on paper; POST /results/{code} issues a signed PDF.
    return await performed(
        request, code, chosen, account, body.reason, result_kind="paper" if chosen is Action.RESOLVE else None
    )


async def performed(
    request: Request, code: str, action: Action, account: Account, reason: str | None, **choices
) -> CaseOut:
    """`action` taken on the case by `account` (with a decision's `choices`), answered with the case."""
    rt = runtime_of(request)
    case = await cases.perform(
        rt.units,
        rt.calendar,
        rt.clock(),
        code,
        action,
        staff=account,
        reason=reason,
        correlation_id=correlation_of(request),
        **choices,
    )
    return _out(case, rt.clock(), account)
