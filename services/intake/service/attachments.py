"""Citizens' uploads: documents for an online dossier awaiting the counter, and supplements
asked for (status 5). A supplement after acceptance goes to resolution on the requests topic,
as a withdrawal does; resolution records the lifecycle event (5 -> 4)."""

from __future__ import annotations

from datetime import datetime

from services.intake.adapters.repository import IntakeRepository, StoredFile
from services.intake.domain.dossier import Dossier
from services.intake.domain.uploads import Upload, check, check_quota
from services.intake.service.citizen import forward_to_resolution, lock_for_applicant
from services.intake.service.dossiers import IntakeUnits, get_visible
from shared.auth import Account
from shared.errors import Conflict, NotFound
from shared.events import RequestType
from shared.lifecycle import STATUS_NAMES_VI, Status
from shared.uow import UnitOfWork


async def _store_files(
    uow: UnitOfWork[IntakeRepository], now: datetime, code: str, id_number: str, files: list[Upload], wanted: Status
) -> tuple[Dossier, int]:
    """The applicant's files, stored while the dossier is in the status that asks for them
    (the callers check the files before any row is locked); the dossier and how many were stored."""
    dossier = await lock_for_applicant(uow.repo, code, id_number)
    status = dossier.shown_status
    if status is not wanted:
        raise Conflict(
            f"Hồ sơ đang ở trạng thái {int(status)} ({STATUS_NAMES_VI[status]}); chỉ tải tệp lên được "
            f"khi hồ sơ ở trạng thái {int(wanted)} ({STATUS_NAMES_VI[wanted]})",
            f"The dossier is in status {int(status)}; files can be uploaded only in status {int(wanted)}",
            current_status=int(status),
        )
    check_quota(*await uow.repo.attachment_usage(code), files)  # under the row lock: two uploads can't both fit
    purpose = "submission" if wanted is Status.SUBMITTED else "supplement"
    return dossier, len(await uow.repo.insert_attachments(code, purpose, files, now))


async def attach_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, files: list[Upload]
) -> dict:
    """The documents of an online dossier, while it waits for the counter's check (status 1)."""
    files = check(files)
    async with units() as uow, uow.transaction():
        _, stored = await _store_files(uow, now, code, id_number, files, Status.SUBMITTED)
        return {"code": code, "attachments": stored}


async def supplement_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, files: list[Upload]
) -> dict:
    """Missing papers supplied (status 5). The files stay here; resolution is told they came."""
    files = check(files)
    async with units() as uow, uow.transaction():
        dossier, stored = await _store_files(uow, now, code, id_number, files, Status.SUPPLEMENT_REQUESTED)
        if dossier.accepted_at is None:  # before acceptance the counter checks them at intake
            return {"code": code, "attachments": stored, "request_id": None, "forwarded": False}
        # A fixed reason: the citizen's own words (maybe personal) never leave intake.
        reason = f"Công dân nộp bổ sung {stored} tệp qua Cổng dịch vụ công"
        request = await forward_to_resolution(uow, RequestType.SUPPLEMENT_PROVIDED, code, now, reason=reason)
        return {"code": code, "attachments": stored, "request_id": str(request.request_id), "forwarded": True}


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
