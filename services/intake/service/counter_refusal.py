"""A walk-in dossier refused at the counter (form 03): recorded as handed in and refused at once,
so it is counted as received and as refused, like an online one the clerk refuses."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.codes import format_code, local_day
from services.intake.domain.dossier import Applicant
from services.intake.service.catalogue import CurrentProcedures
from services.intake.service.dossiers import PRODUCER, in_force
from shared import outbox
from shared.auth import Account
from shared.events import (LIFECYCLE_TOPIC, Channel, EventType, RefusedPayload, SubmittedPayload, make_event)
from shared.lifecycle import Status


async def refuse_at_counter(pool: asyncpg.Pool, now: datetime, *, procedures: CurrentProcedures, procedure_code: str,
                            channel: Channel, applicant: Applicant, documents: list[str], staff: Account,
                            reason: str) -> dict:
    day = local_day(now)
    async with pool.acquire() as conn, conn.transaction():
        procedure, dims = await in_force(conn, procedures, procedure_code, day, channel, applicant, staff)
        seq = await repo.next_sequence(conn, procedure.agency_id, day)
        code = format_code(procedure.agency_id, day, seq)
        await repo.insert_dossier(conn, {
            "code": code, "agency_id": procedure.agency_id, "procedure_code": procedure.code,
            "procedure_version": procedure.version, "channel": channel.value, "status": int(Status.SUBMITTED),
            "applicant": applicant.model_dump(), "documents": documents, "received_by": staff.username,
            "submitted_at": now, "accepted_at": None, "due_at": None, "rule_version": None, "last_seq": 1,
        })
        await repo.record_transition(conn, code, status=int(Status.REFUSED), seq=2, at=now, refusal_reason=reason)
        correlation = str(uuid.uuid4())
        for seq_no, event_type, payload in (
                (1, EventType.SUBMITTED, SubmittedPayload(to_status=1, actor=staff.username, dimensions=dims)),
                (2, EventType.REFUSED, RefusedPayload(from_status=1, to_status=3, actor=staff.username, reason=reason,
                                                      dimensions=dims))):
            await outbox.append(conn, LIFECYCLE_TOPIC, code, make_event(
                event_type, dossier_code=code, seq=seq_no, occurred_at=now, producer=PRODUCER,
                correlation_id=correlation, payload=payload))
        return dict(await repo.get_dossier(conn, code))
