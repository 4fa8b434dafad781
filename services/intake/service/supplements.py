"""Form 02 before acceptance: a clerk asks for missing papers (1 -> 5), for an online dossier in
the queue or a walk-in whose papers are incomplete (recorded as handed in, then asked: 1 then 5,
as a counter refusal is 1 then 3). The papers coming is `reception.decide` with RECORD_SUPPLEMENT
(5 -> 2, the clock starts); their time passing is `refuse_lapsed` (5 -> 3 by the system).

The event carries the names of the papers and the dates only, never who the applicant is.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from services.intake.adapters.repository import IntakeRepository
from services.intake.adapters.supplement_sql import SupplementRequest
from services.intake.domain.dossier import Dossier, HandedIn
from services.intake.service.catalogue import CurrentProcedures
from services.intake.service.dossiers import PRODUCER, IntakeUnits, ensure_sees, get_visible, not_found, reread
from services.intake.service.reception import dimensions_received, handed_in_at_counter
from shared import supplements
from shared.auth import Account
from shared.errors import InvalidRequest
from shared.events import (
    LIFECYCLE_TOPIC,
    EventType,
    PausedPayload,
    RefusedPayload,
    make_event,
)
from shared.lifecycle import PRE_ACCEPTANCE_ACTIONS, Action, target_status
from shared.supplements import Asked
from shared.uow import UnitOfWork


def _papers(names: list[str]) -> list[str]:
    missing = supplements.missing_list(names)
    if not missing:
        raise InvalidRequest(
            "Vui lòng nêu ít nhất một giấy tờ cần bổ sung",
            "Name at least one missing document",
            field="missing_documents",
        )
    return missing


async def _ask(
    uow: UnitOfWork[IntakeRepository],
    dossier: Dossier,
    asked: Asked,
    *,
    calendar,
    now: datetime,
    by: str,
    working_days: int,
    correlation_id: str,
) -> None:
    """The move 1 -> 5 of a locked dossier: its row, form 02's record and the event, in the caller's transaction."""
    missing = _papers(asked.missing_documents)
    due_at = supplements.supplement_due_at(calendar, now, asked.due_at, working_days)
    reason = asked.reason
    current = dossier.status
    to = target_status(Action.REQUEST_SUPPLEMENT, current, accepted_before=False, among=PRE_ACCEPTANCE_ACTIONS)
    seq = dossier.last_seq + 1
    await uow.repo.record_transition(dossier.code, status=to, seq=seq, at=now)
    await uow.repo.add_supplement_request(SupplementRequest(dossier.code, seq, missing, reason, by, now, due_at))
    payload = PausedPayload(
        from_status=int(current),
        to_status=int(to),
        actor=by,
        reason=reason,
        due_at=None,  # no due time before acceptance
        missing_documents=missing,
        supplement_due_at=due_at,
    )
    await uow.outbox.append(
        LIFECYCLE_TOPIC,
        dossier.code,
        make_event(
            EventType.SUPPLEMENT_REQUESTED,
            dossier_code=dossier.code,
            seq=seq,
            occurred_at=now,
            producer=PRODUCER,
            correlation_id=correlation_id,
            payload=payload,
        ),
    )


async def request_supplement(
    units: IntakeUnits, calendar, now: datetime, code: str, asked: Asked, *, staff: Account, working_days: int
) -> Dossier:
    """An online dossier in the queue (1 -> 5): form 02."""
    async with units() as uow, uow.transaction():
        dossier = await uow.repo.lock_dossier(code)
        if dossier is None:
            raise not_found(code)
        ensure_sees(staff, dossier)
        await _ask(
            uow,
            dossier,
            asked,
            calendar=calendar,
            now=now,
            by=staff.username,
            working_days=working_days,
            correlation_id=str(uuid.uuid4()),
        )
        return await reread(uow.repo, code)


async def request_at_counter(
    units: IntakeUnits,
    calendar,
    now: datetime,
    asked: Asked,
    *,
    procedures: CurrentProcedures,
    handed: HandedIn,
    staff: Account,
    working_days: int,
) -> Dossier:
    """A walk-in whose papers are incomplete: recorded as handed in and asked for papers at once
    (1 then 5), so it is counted as received, like a walk-in refused at the counter."""
    _papers(asked.missing_documents)  # before a number is taken
    correlation = str(uuid.uuid4())
    async with units() as uow, uow.transaction():
        dossier, _ = await handed_in_at_counter(uow, now, procedures, handed, staff, correlation)
        await _ask(
            uow,
            dossier,
            asked,
            calendar=calendar,
            now=now,
            by=staff.username,
            working_days=working_days,
            correlation_id=correlation,
        )
        return await reread(uow.repo, dossier.code)


async def refuse_lapsed(units: IntakeUnits, now: datetime, procedures: CurrentProcedures, limit: int = 200) -> int:
    """Refuse (5 -> 3, by the system, form 03) the dossiers whose papers did not come in time
    before acceptance. Rows are locked and skipped when another instance holds them, and the
    status is checked again under the lock, so two instances never refuse one dossier twice."""
    async with units() as uow, uow.transaction():
        codes = await uow.repo.lock_lapsed_supplements(now, limit)
        for code in codes:
            dossier = await reread(uow.repo, code)
            request = await uow.repo.latest_supplement_request(code)
            due = request.due_at if request else None
            if dossier.accepted_at is not None or not supplements.lapsed(dossier.status, due, now):
                continue
            action = supplements.lapse_action(accepted_before=False)
            to = target_status(action, dossier.status, accepted_before=False, among=PRE_ACCEPTANCE_ACTIONS)
            procedure = await uow.repo.procedure_version(dossier.procedure_code, dossier.procedure_version)
            dims = await dimensions_received(uow.repo, procedures, procedure, dossier)
            seq = dossier.last_seq + 1
            reason = supplements.LAPSED_REASON
            await uow.repo.record_transition(code, status=to, seq=seq, at=now, refusal_reason=reason)
            refused = RefusedPayload(
                from_status=int(dossier.status),
                to_status=int(to),
                actor=supplements.SYSTEM,
                reason=reason,
                dimensions=dims,
            )
            await uow.outbox.append(
                LIFECYCLE_TOPIC,
                code,
                make_event(
                    EventType.REFUSED,
                    dossier_code=code,
                    seq=seq,
                    occurred_at=now,
                    producer=PRODUCER,
                    correlation_id=f"supplement-watcher:{code}",
                    payload=refused,
                ),
            )
        return len(codes)


async def form02(units: IntakeUnits, code: str, account: Account) -> SupplementRequest | None:
    """The latest request for papers of a dossier this account sees (None: never asked)."""
    await get_visible(units, code, account)
    async with units() as uow:
        return await uow.repo.latest_supplement_request(code)
