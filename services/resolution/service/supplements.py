"""Form 02 after acceptance, and what happens when its time passes: the officer asks for papers
(4 -> 5) naming them and by when (default: the shared rule, shared/supplements.py); when the time
passes with the case still waiting, the deadline watcher stops it (5 -> 8, by the system, form 05).

The event carries the names of the papers and the dates only. Written like every action: case,
control slip and outbox in one transaction (services/resolution/service/cases.py).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.resolution.adapters.supplement_sql import CaseSupplement, SupplementSql
from services.resolution.domain.case import Case, act
from services.resolution.service.cases import ResolutionUnits, _locked_visible, _record, not_found
from shared import supplements
from shared.auth import Account
from shared.calendar import WorkingCalendar
from shared.consumer import Item
from shared.events import Event, EventType
from shared.lifecycle import Action


async def request_supplement(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    asked: supplements.Asked,
    *,
    staff: Account,
    working_days: int,
    correlation_id: str,
) -> Case:
    missing = supplements.missing_list(asked.missing_documents)
    due = supplements.supplement_due_at(calendar, now, asked.due_at, working_days)
    reason = asked.reason
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        outcome = act(case, Action.REQUEST_SUPPLEMENT, actor=staff.username, reason=reason, now=now, calendar=calendar)
        # form 02's papers and time go on the paused event (shared/events.py PausedPayload)
        outcome = replace(
            outcome, payload=outcome.payload.model_copy(update={"missing_documents": missing, "supplement_due_at": due})
        )
        await _record(uow, outcome, now, correlation_id)
        await SupplementSql(uow.repo.conn).save_request(CaseSupplement(code, missing, now, due))
        return outcome.case


async def stop_lapsed(units: ResolutionUnits, calendar: WorkingCalendar, now: datetime, limit: int = 200) -> int:
    """Stop (5 -> 8, actor "system") the cases whose papers did not come in time. The rows are locked
    and skipped when another instance holds them, and the rule is checked again under the lock, so
    two watchers never stop one case twice; a stopped case is no longer found."""
    async with units() as uow, uow.transaction():
        found = await SupplementSql(uow.repo.conn).lock_lapsed(now, limit)
        for case, due in found:
            if not supplements.lapsed(case.status, due, now):
                continue
            outcome = act(
                case,
                supplements.lapse_action(accepted_before=True),
                actor=supplements.SYSTEM,
                reason=supplements.LAPSED_REASON,
                now=now,
                calendar=calendar,
            )
            await _record(uow, outcome, now, correlation_id=f"watcher:{case.code}")
        return len(found)


async def remember_agencies(units: ResolutionUnits, items: list[Item[Event]]) -> None:
    """The agency's name from each accepted event, for the forms the desk prints (after the cases
    are opened: a redelivered batch writes the same names again, which changes nothing)."""
    names = {
        i.message.dossier_code: i.message.payload.dimensions.agency_name
        for i in items
        if i.message.type == EventType.ACCEPTED.value
    }
    if names:
        async with units() as uow, uow.transaction():
            await SupplementSql(uow.repo.conn).remember_agencies(names)


async def forms_of(units: ResolutionUnits, code: str, account: Account) -> tuple[str | None, CaseSupplement | None]:
    """What forms 02, 04 and 05 print besides the case: the agency's name and the latest papers asked for."""
    async with units() as uow:
        case = await uow.repo.get_case(code)
        if case is None:
            raise not_found(code)
        account.ensure_agency(case.agency_id, code)
        sql = SupplementSql(uow.repo.conn)
        return await sql.agency_name(code), await sql.request_of(code)
