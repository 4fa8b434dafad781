"""Use cases inside the agency: assign (by a leader, or by rule), transfer between people and steps,
approve, and what the desk reads of it (its worklist views, the candidates, the control slip's lines).

Each change is one event written like every other resolution event (`cases._record`: case row,
control slip entry, outbox row, in one transaction, seq = last_seq + 1); a hand-over also writes its
form-06 line.
"""

from __future__ import annotations

from datetime import datetime

from services.resolution.domain.assignment import (
    ControlLine,
    Staffer,
    approve,
    choose_by_rule,
    control_lines,
    ensure_may_transfer,
    hand_over,
    steps,
)
from services.resolution.domain.case import Case
from services.resolution.service.cases import ResolutionUnits, _locked_visible, _record, ensure_reads, not_found
from shared.auth import Account, Role
from shared.calendar import WorkingCalendar
from shared.errors import Forbidden, InvalidRequest

VIEWS = ("mine", "unassigned", "awaiting_approval")


def _ensure_leader(staff: Account, case: Case) -> None:
    if staff.role is not Role.LEADER:
        raise Forbidden(
            f"Chỉ lãnh đạo cơ quan {case.agency_id} mới giao, phê duyệt được hồ sơ {case.code}",
            f"Only a leader of agency {case.agency_id} may assign or approve case {case.code}",
        )


async def _pick(uow, case: Case, *, assignee: str | None, auto: bool, step: int | None) -> Staffer:
    if auto:
        process = steps(case)
        target = case.step if step is None else step
        if not 0 <= target < len(process):
            raise InvalidRequest(f"Bước {target} không có trong quy trình", f"No step {target}", field="step")
        return choose_by_rule(case, process[target], await uow.repo.staff_loads(case.agency_id))
    if not assignee:
        raise InvalidRequest(
            "Chọn người nhận hồ sơ hoặc giao tự động", "Name the assignee or ask for auto", field="assignee"
        )
    who = await uow.repo.staffer(assignee)
    return who or Staffer(assignee, "", None, False)  # an unknown name is refused like an inactive one


async def hand_over_case(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    *,
    staff: Account,
    assignee: str | None,
    step: int | None,
    correlation_id: str,
    auto: bool = False,
    by_leader: bool = False,
) -> Case:
    """Assign (`by_leader`: a leader of the case's agency or a centre-wide one gives the case to
    `assignee`, or by rule when `auto`) or transfer (the holder or a leader hands it on, to another
    person and/or another step)."""
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        if by_leader:
            _ensure_leader(staff, case)
        else:
            ensure_may_transfer(case, staff.username, staff.role.value)
        to = await _pick(uow, case, assignee=assignee, auto=auto, step=step)
        outcome = hand_over(case, actor=staff.username, to=to, step=step, now=now, calendar=calendar)
        await _record(uow, outcome, now, correlation_id)
        return outcome.case


async def approve_case(
    units: ResolutionUnits, now: datetime, code: str, *, staff: Account, correlation_id: str
) -> Case:
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        _ensure_leader(staff, case)
        outcome = approve(case, actor=staff.username, now=now)
        await _record(uow, outcome, now, correlation_id)
        return outcome.case


# --- what the desk reads ------------------------------------------------------------------------


async def worklist_view(
    units: ResolutionUnits, account: Account, *, view: str, agency: str | None, limit: int, offset: int
) -> list[Case]:
    """ "mine": open cases the account holds; "unassigned": open cases nobody holds; "awaiting_approval":
    cases in processing whose procedure requires an approval not given yet. Earliest due first."""
    async with units() as uow:
        return await uow.repo.worklist_view(
            agency_id=account.agency_filter(agency), view=view, username=account.username, limit=limit, offset=offset
        )


async def candidates(units: ResolutionUnits, code: str, account: Account) -> list[tuple[Staffer, int]]:
    """Whom the case may go to: the agency's active officers and leaders, with the open cases each holds."""
    async with units() as uow:
        case = await uow.repo.get_case(code)
        if case is None:
            raise not_found(code)
        account.ensure_agency(case.agency_id, code)
        return [(s, n) for s, n in await uow.repo.staff_loads(case.agency_id) if s.active]


async def control_slip(
    units: ResolutionUnits, code: str, account: Account, now: datetime, calendar: WorkingCalendar
) -> list[ControlLine]:
    async with units() as uow:
        case = await uow.repo.get_case(code)
        if case is None:
            raise not_found(code)
        ensure_reads(account, case)
        return control_lines(case, await uow.repo.handovers(code), now, calendar)
