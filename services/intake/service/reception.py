"""intake's reception: receive a dossier (at the counter, by post, online), refuse a walk-in at
the counter, and accept or refuse an online one. Each is one transaction that changes the dossier
row and appends its event to the outbox; the relay publishes it after commit.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.catalogue import Procedure
from services.intake.domain.codes import code_prefix
from services.intake.domain.dossier import (
    REFUSAL_REASON,
    Dossier,
    HandedIn,
    NewDossier,
    accepted_payload,
    deadline_at_acceptance,
    dimensions,
    reception_for,
)
from services.intake.domain.placement import Placement, place
from services.intake.service import digitisation
from services.intake.service.catalogue import CurrentProcedures
from services.intake.service.dossiers import PRODUCER, IntakeUnits, ensure_sees, not_found, reread
from services.intake.service.idempotent import Once
from shared.auth import Account
from shared.errors import InvalidRequest
from shared.events import (
    LIFECYCLE_TOPIC,
    AcceptedPayload,
    Channel,
    Deadline,
    Dimensions,
    EventType,
    RefusedPayload,
    SubmittedPayload,
    make_event,
)
from shared.lifecycle import Action, Status, target_status
from shared.local_time import local_day
from shared.uow import UnitOfWork

# RECORD_SUPPLEMENT: the papers a clerk asked for came before acceptance (5 -> 2, the clock starts).
INTAKE_ACTIONS = frozenset({Action.ACCEPT, Action.REFUSE, Action.RECORD_SUPPLEMENT})
CODE_PLACEHOLDER = "-"  # replaced by the numbered code in the outbox row


async def receive(
    units: IntakeUnits,
    calendar,
    now: datetime,
    *,
    procedures: CurrentProcedures,
    handed: HandedIn,
    staff: Account | None,
    once: Once | None = None,
) -> Dossier | dict:
    """`staff` is the clerk who received it (counter, post); None for an online submission.
    With `once` (an Idempotency-Key), the answer is rendered and kept in this transaction, and a
    request that finds its key taken gets the first request's answer instead (a dict)."""
    async with units() as uow:
        if once is None and not handed.marks:
            # one statement, its own transaction: the day's number is locked that long only
            return await _store_received(uow, calendar, now, procedures, handed, staff)
        async with uow.transaction():  # with marks, the scans and marks are stored with the dossier
            if once is not None and await once.claim(uow.repo, now):
                return once.answer
            stored = await _store_received(uow, calendar, now, procedures, handed, staff)
            return stored if once is None else await once.complete(uow.repo, stored)


async def in_force(
    repo: IntakeRepository, procedures: CurrentProcedures, handed: HandedIn, day: date, staff: Account | None
) -> tuple[Procedure, Placement, Dimensions]:
    """The procedure a reception is for, where it goes, and the event dimensions it gives;
    InvalidRequest when the catalogue has no such procedure or agency, Forbidden when the
    clerk's agency may not receive for the competent one (see domain/placement.py)."""
    procedure = await procedures.get(repo, handed.procedure_code, day)
    if procedure is None:
        raise InvalidRequest(
            f"Thủ tục {handed.procedure_code} không có trong danh mục",
            f"Procedure {handed.procedure_code} is not in the catalogue",
            field="procedure_code",
        )
    agencies = await procedures.agencies(repo)
    placement = place(procedure, handed.agency_id, staff.agency_id if staff else None, agencies)
    return procedure, placement, dimensions(procedure, handed.channel, handed.applicant.type, placement, agencies)


async def dimensions_received(
    repo: IntakeRepository, procedures: CurrentProcedures, procedure: Procedure, dossier: Dossier
) -> Dimensions:
    """The dimensions of a dossier already received, from where it was placed then (the agencies
    through the catalogue's cache, as at reception)."""
    agencies = await procedures.agencies(repo)
    receiving = agencies[dossier.receiving_agency_id or dossier.agency_id]
    placement = Placement(agencies[dossier.agency_id], receiving)
    return dimensions(procedure, dossier.channel, dossier.applicant.type, placement, agencies)


def _new_dossier(
    procedure: Procedure,
    placement: Placement,
    handed: HandedIn,
    status: Status,
    received_by: str | None,
    now: datetime,
    deadline: Deadline | None = None,
) -> NewDossier:
    return NewDossier(
        agency_id=placement.competent.id,
        receiving_agency_id=placement.receiving.id if placement.on_behalf else None,
        procedure_code=procedure.code,
        procedure_version=procedure.version,
        channel=handed.channel,
        status=status,
        applicant=handed.applicant,
        documents=handed.documents,
        received_by=received_by,
        submitted_at=now,
        accepted_at=now if deadline else None,
        due_at=deadline.due_at if deadline else None,
        rule_version=deadline.rule_version if deadline else None,
    )


async def number_and_store(
    uow: UnitOfWork[IntakeRepository], new: NewDossier, day: date, event_type: EventType, payload, correlation_id: str
) -> Dossier:
    """The one numbering path: the day's number, the dossier row and its first event (seq 1), in
    one statement (see IntakeRepository.receive_numbered)."""
    event = make_event(
        event_type,
        dossier_code=CODE_PLACEHOLDER,
        seq=1,
        occurred_at=new.submitted_at,
        producer=PRODUCER,
        correlation_id=correlation_id,
        payload=payload,
    )
    return await uow.repo.receive_numbered(new, day, code_prefix(new.numbering_agency, day), LIFECYCLE_TOPIC, event)


async def _store_received(
    uow: UnitOfWork[IntakeRepository],
    calendar,
    now: datetime,
    procedures: CurrentProcedures,
    handed: HandedIn,
    staff: Account | None,
) -> Dossier:
    day = local_day(now)
    procedure, placement, dims = await in_force(uow.repo, procedures, handed, day, staff)
    received_by = staff.username if staff else None
    reception = reception_for(handed.channel)
    handed = await digitisation.checked(uow.repo, handed, reception.accepted)
    deadline = deadline_at_acceptance(procedure, handed.channel, now, calendar) if reception.accepted else None
    actor = received_by or ("citizen" if handed.channel is Channel.ONLINE else "clerk")
    new = _new_dossier(procedure, placement, handed, reception.status, received_by, now, deadline)
    if deadline:
        accepted = accepted_payload(
            procedure,
            actor=actor,
            dimensions=dims,
            accepted_at=now,
            deadline=deadline,
            **digitisation.event_counts(handed),
        )
        dossier = await number_and_store(uow, new, day, EventType.ACCEPTED, accepted, str(uuid.uuid4()))
        await digitisation.record(uow.repo, dossier.code, handed, now)
        return dossier
    submitted = SubmittedPayload(to_status=Status.SUBMITTED, actor=actor, dimensions=dims)
    return await number_and_store(uow, new, day, EventType.SUBMITTED, submitted, str(uuid.uuid4()))


async def handed_in_at_counter(
    uow: UnitOfWork[IntakeRepository],
    now: datetime,
    procedures: CurrentProcedures,
    handed: HandedIn,
    staff: Account,
    correlation_id: str,
) -> tuple[Dossier, Dimensions]:
    """A walk-in recorded as handed in (1), numbered, in the caller's transaction, before the
    clerk's next move in it (refused: 1 then 3; asked for papers: 1 then 5)."""
    day = local_day(now)
    procedure, placement, dims = await in_force(uow.repo, procedures, handed, day, staff)
    new = _new_dossier(procedure, placement, handed, Status.SUBMITTED, staff.username, now)
    submitted = SubmittedPayload(to_status=Status.SUBMITTED, actor=staff.username, dimensions=dims)
    return await number_and_store(uow, new, day, EventType.SUBMITTED, submitted, correlation_id), dims


async def refuse_at_counter(
    units: IntakeUnits, now: datetime, *, procedures: CurrentProcedures, handed: HandedIn, staff: Account, reason: str
) -> Dossier:
    """A walk-in dossier refused at the counter (form 03): recorded as handed in and refused at once
    (1 then 3), so it is counted as received and as refused, like an online one the clerk refuses."""
    correlation = str(uuid.uuid4())
    async with units() as uow, uow.transaction():
        dossier, dims = await handed_in_at_counter(uow, now, procedures, handed, staff, correlation)
        await uow.repo.record_transition(dossier.code, status=Status.REFUSED, seq=2, at=now, refusal_reason=reason)
        refused = RefusedPayload(
            from_status=Status.SUBMITTED,
            to_status=Status.REFUSED,
            actor=staff.username,
            reason=REFUSAL_REASON,
            dimensions=dims,
        )
        await uow.outbox.append(
            LIFECYCLE_TOPIC,
            dossier.code,
            make_event(
                EventType.REFUSED,
                dossier_code=dossier.code,
                seq=2,
                occurred_at=now,
                producer=PRODUCER,
                correlation_id=correlation,
                payload=refused,
            ),
        )
        return await reread(uow.repo, dossier.code)


async def decide(
    units: IntakeUnits,
    calendar,
    now: datetime,
    code: str,
    action: Action,
    *,
    procedures: CurrentProcedures,
    staff: Account,
    reason: str | None,
) -> Dossier:
    """Accept (1 or pre-acceptance 5 -> 2) or refuse (-> 3) an online dossier."""
    by = staff.username
    async with units() as uow, uow.transaction():
        dossier = await uow.repo.lock_dossier(code)
        if dossier is None:
            raise not_found(code)
        ensure_sees(staff, dossier)
        current = dossier.status
        to = target_status(action, current, accepted_before=dossier.accepted_at is not None, among=INTAKE_ACTIONS)
        # The catalogue version it was received under, so its rules never shift.
        procedure = await uow.repo.procedure_version(dossier.procedure_code, dossier.procedure_version)
        dims = await dimensions_received(uow.repo, procedures, procedure, dossier)
        seq = dossier.last_seq + 1
        payload: AcceptedPayload | RefusedPayload
        if to is Status.ACCEPTED:
            deadline = deadline_at_acceptance(procedure, dossier.channel, now, calendar)
            payload = accepted_payload(
                procedure,
                from_status=int(current),
                actor=by,
                reason=reason,
                dimensions=dims,
                accepted_at=now,
                deadline=deadline,
                documents_total=len(dossier.documents),
            )
            # the clerk who accepts an online dossier is the one who received it (slip, form 01)
            await uow.repo.record_transition(
                code,
                status=Status.ACCEPTED,
                seq=seq,
                at=now,
                accepted_at=now,
                received_by=by,
                due_at=deadline.due_at,
                rule_version=deadline.rule_version,
            )
            event_type = EventType.ACCEPTED
        else:
            payload = RefusedPayload(
                from_status=int(current), to_status=int(to), actor=by, reason=REFUSAL_REASON, dimensions=dims
            )
            await uow.repo.record_transition(code, status=to, seq=seq, at=now, refusal_reason=reason)
            event_type = EventType.REFUSED
        await uow.outbox.append(
            LIFECYCLE_TOPIC,
            code,
            make_event(
                event_type,
                dossier_code=code,
                seq=seq,
                occurred_at=now,
                producer=PRODUCER,
                correlation_id=str(uuid.uuid4()),
                payload=payload,
            ),
        )
        return await reread(uow.repo, code)
