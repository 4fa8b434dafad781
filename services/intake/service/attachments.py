"""Citizens' uploads: documents for an online dossier awaiting the counter, and supplements
asked for (status 5). A supplement after acceptance goes to resolution on the requests topic,
as a withdrawal does; resolution records the lifecycle event (5 -> 4)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.intake.adapters.repository import StoredFile
from services.intake.domain.uploads import Upload, check
from services.intake.service.dossiers import (
    PRODUCER,
    IntakeUnits,
    get_visible,
    lock_for_applicant,
)
from shared.auth import Account
from shared.errors import Conflict, NotFound
from shared.events import REQUESTS_TOPIC, CitizenRequest, RequestType
from shared.lifecycle import STATUS_NAMES_VI, Status


def _wrong_status(status: Status, wanted: Status) -> Conflict:
    return Conflict(
        f"Hồ sơ đang ở trạng thái {int(status)} ({STATUS_NAMES_VI[status]}); chỉ tải tệp lên được "
        f"khi hồ sơ ở trạng thái {int(wanted)} ({STATUS_NAMES_VI[wanted]})",
        f"The dossier is in status {int(status)}; files can be uploaded only in status {int(wanted)}",
        current_status=int(status),
    )


async def attach_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, files: list[Upload]
) -> dict:
    """The documents of an online dossier, while it waits for the counter's check (status 1)."""
    files = check(files)
    async with units() as uow, uow.transaction():
        dossier = await lock_for_applicant(uow.repo, code, id_number)
        if dossier.shown_status is not Status.SUBMITTED:
            raise _wrong_status(dossier.shown_status, Status.SUBMITTED)
        ids = await uow.repo.insert_attachments(code, "submission", files, now)
        return {"code": code, "attachments": len(ids)}


async def supplement_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, files: list[Upload]
) -> dict:
    """Missing papers supplied (status 5). The files stay here; resolution is told they came."""
    files = check(files)
    async with units() as uow, uow.transaction():
        dossier = await lock_for_applicant(uow.repo, code, id_number)
        if dossier.shown_status is not Status.SUPPLEMENT_REQUESTED:
            raise _wrong_status(dossier.shown_status, Status.SUPPLEMENT_REQUESTED)
        ids = await uow.repo.insert_attachments(code, "supplement", files, now)
        if dossier.accepted_at is None:  # before acceptance the counter checks them at intake
            return {"code": code, "attachments": len(ids), "request_id": None, "forwarded": False}
        # A fixed reason: the citizen's own words (maybe personal) never leave intake.
        request = CitizenRequest(
            type=RequestType.SUPPLEMENT_PROVIDED,
            dossier_code=code,
            occurred_at=now,
            producer=PRODUCER,
            correlation_id=str(uuid.uuid4()),
            reason=f"Công dân nộp bổ sung {len(ids)} tệp qua Cổng dịch vụ công",
        )
        await uow.outbox.append(REQUESTS_TOPIC, code, request)
        return {"code": code, "attachments": len(ids), "request_id": str(request.request_id), "forwarded": True}


async def list_for_staff(units: IntakeUnits, code: str, account: Account) -> list[dict]:
    await get_visible(units, code, account)
    async with units() as uow:
        return await uow.repo.list_attachments(code)


async def file_for_staff(units: IntakeUnits, code: str, attachment_id: int, account: Account) -> StoredFile:
    await get_visible(units, code, account)
    async with units() as uow:
        found = await uow.repo.get_attachment(code, attachment_id) if 0 < attachment_id < 2**63 else None
    if found is None:
        raise NotFound("Không tìm thấy tệp đính kèm", "Attachment not found")
    return found
