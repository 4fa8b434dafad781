"""What a citizen does with a dossier, by its code and the applicant's ID number: track it and
withdraw it. After acceptance resolution owns the dossier's events, so a request is passed on to it
on the requests topic (`forward_to_resolution`), as ratings and supplements are."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.dossier import (
    Dossier,
)
from services.intake.service.dossiers import PRODUCER, IntakeUnits
from shared.errors import NotFound
from shared.events import (
    LIFECYCLE_TOPIC,
    REQUESTS_TOPIC,
    CitizenRequest,
    ClosedPayload,
    EventType,
    RequestType,
    make_event,
)
from shared.lifecycle import Action, Status, target_status
from shared.uow import UnitOfWork

# What events say of a withdrawal: the applicant's own words stay at intake (dossiers.withdrawal_reason).
WITHDRAWAL_REASON = "Công dân yêu cầu rút hồ sơ"


async def forward_to_resolution(
    uow: UnitOfWork[IntakeRepository], kind: RequestType, code: str, now: datetime, **fields
) -> CitizenRequest:
    """A citizen's request about a dossier resolution owns (after acceptance): to resolution on
    the requests topic, through the outbox, in the caller's transaction."""
    request = CitizenRequest(
        type=kind, dossier_code=code, occurred_at=now, producer=PRODUCER, correlation_id=str(uuid.uuid4()), **fields
    )
    await uow.outbox.append(REQUESTS_TOPIC, code, request)
    return request


def no_such_dossier_for_citizen() -> NotFound:
    # Same answer for an unknown code and a wrong ID number, so a code cannot be probed.
    return NotFound("Không tìm thấy hồ sơ với mã và số định danh đã nhập", "No dossier with this code and ID number")


async def lock_for_applicant(repo: IntakeRepository, code: str, id_number: str) -> Dossier:
    """The dossier, locked, when `id_number` is its applicant's; else the one NotFound for both."""
    dossier = await repo.lock_dossier(code)
    if dossier is None or not dossier.is_applicants(id_number):
        raise no_such_dossier_for_citizen()
    return dossier


async def find_for_citizen(units: IntakeUnits, code: str, id_number: str) -> tuple[Dossier, list]:
    """Tracking by code plus the applicant's ID number, never by code alone: the dossier and its history."""
    async with units() as uow:
        dossier = await uow.repo.get_dossier(code)
        if dossier is None or not dossier.is_applicants(id_number):
            raise no_such_dossier_for_citizen()
        return dossier, await uow.repo.history(code)


async def withdraw_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, reason: str | None
) -> dict:
    """The applicant withdraws. Before acceptance intake records it; after, resolution owns the
    dossier's events, so the request goes to it on the requests topic."""
    async with units() as uow, uow.transaction():
        dossier = await lock_for_applicant(uow.repo, code, id_number)
        current = dossier.status
        if reason:
            await uow.repo.keep_withdrawal_reason(code, reason)
        if dossier.accepted_at is not None and current is not Status.REFUSED:
            request = await forward_to_resolution(uow, RequestType.WITHDRAWAL, code, now, reason=WITHDRAWAL_REASON)
            return {"code": code, "request_id": str(request.request_id), "forwarded": True}
        to = target_status(Action.WITHDRAW, current, accepted_before=False)
        seq = dossier.last_seq + 1
        await uow.repo.record_transition(code, status=to, seq=seq, at=now)
        await uow.outbox.append(
            LIFECYCLE_TOPIC,
            code,
            make_event(
                EventType.WITHDRAWN,
                dossier_code=code,
                seq=seq,
                occurred_at=now,
                producer=PRODUCER,
                correlation_id=str(uuid.uuid4()),
                payload=ClosedPayload(
                    from_status=int(current), to_status=int(to), actor="citizen", reason=WITHDRAWAL_REASON
                ),
            ),
        )
        return {"code": code, "request_id": None, "forwarded": False}
