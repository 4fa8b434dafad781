"""Use cases between agencies (liên thông): send a case to the agency that performs a step of its
process, that agency sends it back, and what that agency's worklist shows. Each change is one event
written like every other resolution event (`cases._record`)."""

from __future__ import annotations

from datetime import datetime

from services.resolution.domain import interagency
from services.resolution.domain.case import Case
from services.resolution.service.cases import ResolutionUnits, _locked_visible, _record, not_found
from shared.auth import Account
from shared.calendar import WorkingCalendar


async def send_case(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    *,
    staff: Account,
    step: int | None,
    reason: str | None,
    correlation_id: str,
) -> Case:
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        outcome = interagency.send(
            case,
            actor=staff.username,
            role=staff.role.value,
            actor_agency_id=staff.agency_id,
            step=step,
            now=now,
            reason=reason,
        )
        return await _travelled(uow, case, outcome, now, calendar, correlation_id)


async def send_back_case(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    *,
    staff: Account,
    reason: str | None,
    correlation_id: str,
) -> Case:
    """By staff of the agency the case is at (not the competent one), or centre-wide staff."""
    async with units() as uow, uow.transaction():
        case = await uow.repo.lock_case(code)
        if case is None or not (
            staff.agency_id in (None, case.agency_id)
            or interagency.may_send_back(case, staff.role.value, staff.agency_id)
        ):
            raise not_found(code)  # another agency's case that is not at this one: as if unknown
        outcome = interagency.send_back(
            case,
            actor=staff.username,
            role=staff.role.value,
            actor_agency_id=staff.agency_id,
            now=now,
            calendar=calendar,
            reason=reason,
        )
        return await _travelled(uow, case, outcome, now, calendar, correlation_id)


async def _travelled(uow, case: Case, outcome, now: datetime, calendar: WorkingCalendar, correlation_id: str) -> Case:
    """A trip to or from the other agency: its event, and its line on form 06."""
    await _record(uow, outcome, now, correlation_id)
    await uow.repo.add_handovers([interagency.trip_handover(case, outcome, now, calendar)])
    return outcome.case


async def with_other_agency(
    units: ResolutionUnits, account: Account, *, agency: str | None, limit: int, offset: int
) -> list[Case]:
    """Cases sent to the account's agency by another one (centre-wide: to any agency, or `agency`)."""
    async with units() as uow:
        return await uow.repo.away_at(account.agency_filter(agency), limit, offset)
