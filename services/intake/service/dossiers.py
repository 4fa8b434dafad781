"""intake's use cases: receive, accept, refuse, and keep the tracking view.

Each command is one transaction that changes the dossier row and appends its event to
the outbox; the relay publishes it after commit.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, datetime

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.codes import code_prefix, local_day
from services.intake.domain.dossier import Applicant, deadline_at_acceptance, reception_for
from services.intake.service.catalogue import CurrentProcedures
from services.intake.service.idempotent import Once
from shared import outbox
from shared.auth import Account
from shared.events import (LIFECYCLE_TOPIC, REQUESTS_TOPIC, AcceptedPayload, Channel, CitizenRequest, ClosedPayload,
                           Dimensions, EventType, RefusedPayload, RequestType, SubmittedPayload, make_event)
from shared.errors import InvalidRequest, NotFound
from shared.lifecycle import Action, Status, target_status

PRODUCER = "intake"
INTAKE_ACTIONS = frozenset({Action.ACCEPT, Action.REFUSE})
CODE_PLACEHOLDER = "-"  # replaced by the numbered code in the outbox row


async def _dimensions(conn, procedure, channel: Channel, applicant_type: int) -> Dimensions:
    return Dimensions(agency_id=procedure.agency_id, procedure_code=procedure.code, channel=channel,
                      applicant_type=applicant_type, procedure_name=procedure.name,
                      agency_name=await repo.agency_name(conn, procedure.agency_id))


def not_found(code: str) -> NotFound:
    return NotFound(f"Không tìm thấy hồ sơ {code}", f"Dossier {code} not found")


async def receive(pool: asyncpg.Pool, calendar, now: datetime, *, procedures: CurrentProcedures, procedure_code: str,
                  channel: Channel, applicant: Applicant, documents: list[str], staff: Account | None,
                  once: Once | None = None) -> dict:
    """`staff` is the clerk who received it (counter, post); None for an online submission.
    With `once` (an Idempotency-Key), the answer is rendered and kept in this transaction, and a
    request that finds its key taken gets the first request's answer instead."""
    reception = (calendar, now, procedures, procedure_code, channel, applicant, documents, staff)
    async with pool.acquire() as conn:
        if once is None:  # one statement, its own transaction
            return dict(await _store_received(conn, *reception))
        async with conn.transaction():
            if await once.claim(conn, now):
                return once.answer
            return await once.complete(conn, dict(await _store_received(conn, *reception)))


async def in_force(conn, procedures: CurrentProcedures, procedure_code: str, day: date, channel: Channel,
                   applicant: Applicant, staff: Account | None):
    """The procedure a reception is for, and the event dimensions it gives; InvalidRequest when
    the catalogue has no such procedure, Forbidden when a commune clerk receives for another agency."""
    current = await procedures.get(conn, procedure_code, day)
    if current is None:
        raise InvalidRequest(f"Thủ tục {procedure_code} không có trong danh mục",
                             f"Procedure {procedure_code} is not in the catalogue", field="procedure_code")
    procedure, agency_name = current
    if staff:  # a commune desk's clerk receives only for the commune
        staff.ensure_agency(procedure.agency_id)
    return procedure, Dimensions(agency_id=procedure.agency_id, procedure_code=procedure.code, channel=channel,
                                 applicant_type=applicant.type, procedure_name=procedure.name, agency_name=agency_name)


async def _store_received(conn, calendar, now: datetime, procedures: CurrentProcedures, procedure_code: str,
                          channel: Channel, applicant: Applicant, documents: list[str], staff: Account | None):
    day = local_day(now)
    procedure, dims = await in_force(conn, procedures, procedure_code, day, channel, applicant, staff)
    received_by = staff.username if staff else None
    reception = reception_for(channel)
    deadline = deadline_at_acceptance(procedure, channel, now, calendar) if reception.accepted else None
    actor = received_by or ("citizen" if channel is Channel.ONLINE else "clerk")
    if deadline:
        payload = AcceptedPayload(to_status=2, actor=actor, dimensions=dims, accepted_at=now, deadline=deadline)
        event_type = EventType.ACCEPTED
    else:
        payload = SubmittedPayload(to_status=1, actor=actor, dimensions=dims)
        event_type = EventType.SUBMITTED
    # The code exists once the day's number is taken, in the statement that stores the dossier.
    event = make_event(event_type, dossier_code=CODE_PLACEHOLDER, seq=1, occurred_at=now, producer=PRODUCER,
                       correlation_id=str(uuid.uuid4()), payload=payload)
    return await repo.receive_numbered(conn, {
        "agency_id": procedure.agency_id, "procedure_code": procedure.code,
        "procedure_version": procedure.version, "channel": channel.value, "status": int(reception.status),
        "applicant": applicant.model_dump(), "documents": documents, "received_by": received_by,
        "submitted_at": now, "accepted_at": now if deadline else None,
        "due_at": deadline.due_at if deadline else None,
        "rule_version": deadline.rule_version if deadline else None, "last_seq": 1,
    }, day, code_prefix(procedure.agency_id, day), LIFECYCLE_TOPIC, event.model_dump_json())


async def decide(pool: asyncpg.Pool, calendar, now: datetime, code: str, action: Action, *, staff: Account,
                 reason: str | None) -> dict:
    """Accept (1 or pre-acceptance 5 -> 2) or refuse (-> 3) an online dossier."""
    by = staff.username
    async with pool.acquire() as conn, conn.transaction():
        row = await repo.lock_dossier(conn, code)
        if row is None:
            raise not_found(code)
        staff.ensure_agency(row["agency_id"], code)
        current = Status(row["status"])
        to = target_status(action, current, accepted_before=row["accepted_at"] is not None, among=INTAKE_ACTIONS)
        # The catalogue version it was received under, so its rules never shift.
        procedure = await repo.procedure_version(conn, row["procedure_code"], row["procedure_version"])
        dims = await _dimensions(conn, procedure, Channel(row["channel"]), json.loads(row["applicant"])["type"])
        seq = row["last_seq"] + 1
        if to is Status.ACCEPTED:
            deadline = deadline_at_acceptance(procedure, Channel(row["channel"]), now, calendar)
            payload = AcceptedPayload(from_status=int(current), to_status=2, actor=by, reason=reason,
                                      dimensions=dims, accepted_at=now, deadline=deadline)
            # the clerk who accepts an online dossier is the one who received it (slip, form 01)
            await repo.record_transition(conn, code, status=2, seq=seq, at=now, accepted_at=now, received_by=by,
                                         due_at=deadline.due_at, rule_version=deadline.rule_version)
            event_type = EventType.ACCEPTED
        else:
            payload = RefusedPayload(from_status=int(current), to_status=int(to), actor=by, reason=reason,
                                     dimensions=dims)
            await repo.record_transition(conn, code, status=int(to), seq=seq, at=now, refusal_reason=reason)
            event_type = EventType.REFUSED
        await outbox.append(conn, LIFECYCLE_TOPIC, code, make_event(
            event_type, dossier_code=code, seq=seq, occurred_at=now, producer=PRODUCER,
            correlation_id=str(uuid.uuid4()), payload=payload))
        return dict(await repo.get_dossier(conn, code))


def _no_such_dossier_for_citizen() -> NotFound:
    # Same answer for an unknown code and a wrong ID number, so a code cannot be probed.
    return NotFound("Không tìm thấy hồ sơ với mã và số định danh đã nhập", "No dossier with this code and ID number")


def _is_applicants(row, id_number: str) -> bool:
    return row is not None and json.loads(row["applicant"])["id_number"] == id_number


async def lock_for_applicant(conn, code: str, id_number: str):
    """The dossier row, locked, when `id_number` is its applicant's; else the one 404 for both."""
    row = await repo.lock_dossier(conn, code)
    if not _is_applicants(row, id_number):
        raise _no_such_dossier_for_citizen()
    return row


async def find_for_citizen(pool: asyncpg.Pool, code: str, id_number: str) -> tuple[dict, list]:
    """Tracking by code plus the applicant's ID number, never by code alone: the row and its history."""
    async with pool.acquire() as conn:
        row = await repo.get_dossier(conn, code)
        if not _is_applicants(row, id_number):
            raise _no_such_dossier_for_citizen()
        return dict(row), list(await repo.history(conn, code))


async def withdraw_for_citizen(pool: asyncpg.Pool, now: datetime, code: str, *, id_number: str,
                               reason: str | None) -> dict:
    """The applicant withdraws. Before acceptance intake records it; after, resolution owns the
    dossier's events, so the request goes to it on the requests topic."""
    async with pool.acquire() as conn, conn.transaction():
        row = await lock_for_applicant(conn, code, id_number)
        current = Status(row["status"])
        if row["accepted_at"] is not None and current is not Status.REFUSED:
            request = CitizenRequest(type=RequestType.WITHDRAWAL, dossier_code=code, occurred_at=now,
                                     producer=PRODUCER, correlation_id=str(uuid.uuid4()), reason=reason)
            await outbox.append(conn, REQUESTS_TOPIC, code, request)
            return {"code": code, "request_id": str(request.request_id), "forwarded": True}
        to = target_status(Action.WITHDRAW, current, accepted_before=False)
        seq = row["last_seq"] + 1
        await repo.record_transition(conn, code, status=int(to), seq=seq, at=now)
        await outbox.append(conn, LIFECYCLE_TOPIC, code, make_event(
            EventType.WITHDRAWN, dossier_code=code, seq=seq, occurred_at=now, producer=PRODUCER,
            correlation_id=str(uuid.uuid4()),
            payload=ClosedPayload(from_status=int(current), to_status=int(to), actor="citizen", reason=reason)))
        return {"code": code, "request_id": None, "forwarded": False}
