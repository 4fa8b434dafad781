"""Citizens' uploads: documents for an online dossier awaiting the counter, and supplements
asked for (status 5). A supplement after acceptance goes to resolution on the requests topic,
as a withdrawal does; resolution records the lifecycle event (5 -> 4)."""
from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.dossier import shown_status
from services.intake.domain.uploads import Upload, check
from services.intake.service.dossiers import PRODUCER, lock_for_applicant
from shared import outbox
from shared.events import REQUESTS_TOPIC, CitizenRequest, RequestType
from shared.errors import Conflict
from shared.lifecycle import STATUS_NAMES_VI, Status


def _wrong_status(status: Status, wanted: Status) -> Conflict:
    return Conflict(f"Hồ sơ đang ở trạng thái {int(status)} ({STATUS_NAMES_VI[status]}); chỉ tải tệp lên được "
                         f"khi hồ sơ ở trạng thái {int(wanted)} ({STATUS_NAMES_VI[wanted]})",
                    f"The dossier is in status {int(status)}; files can be uploaded only in status {int(wanted)}",
                    current_status=int(status))


def _status(row) -> Status:
    return Status(shown_status(row["status"], row["last_seq"], row["tracked_status"], row["tracked_seq"]))


async def attach_for_citizen(pool: asyncpg.Pool, now: datetime, code: str, *, id_number: str,
                             files: list[Upload]) -> dict:
    """The documents of an online dossier, while it waits for the counter's check (status 1)."""
    files = check(files)
    async with pool.acquire() as conn, conn.transaction():
        row = await lock_for_applicant(conn, code, id_number)
        if _status(row) is not Status.SUBMITTED:
            raise _wrong_status(_status(row), Status.SUBMITTED)
        ids = await repo.insert_attachments(conn, code, "submission", files, now)
        return {"code": code, "attachments": len(ids)}


async def supplement_for_citizen(pool: asyncpg.Pool, now: datetime, code: str, *, id_number: str,
                                 files: list[Upload]) -> dict:
    """Missing papers supplied (status 5). The files stay here; resolution is told they came."""
    files = check(files)
    async with pool.acquire() as conn, conn.transaction():
        row = await lock_for_applicant(conn, code, id_number)
        if _status(row) is not Status.SUPPLEMENT_REQUESTED:
            raise _wrong_status(_status(row), Status.SUPPLEMENT_REQUESTED)
        ids = await repo.insert_attachments(conn, code, "supplement", files, now)
        if row["accepted_at"] is None:  # before acceptance the counter checks them at intake
            return {"code": code, "attachments": len(ids), "request_id": None, "forwarded": False}
        # A fixed reason: the citizen's own words (maybe personal) never leave intake.
        request = CitizenRequest(type=RequestType.SUPPLEMENT_PROVIDED, dossier_code=code, occurred_at=now,
                                 producer=PRODUCER, correlation_id=str(uuid.uuid4()),
                                 reason=f"Công dân nộp bổ sung {len(ids)} tệp qua Cổng dịch vụ công")
        await outbox.append(conn, REQUESTS_TOPIC, code, request)
        return {"code": code, "attachments": len(ids), "request_id": str(request.request_id), "forwarded": True}
