"""The citizen rates the service (1-5) once the result is handed over.

Stored here with its optional comment (which may hold personal data and never leaves
intake); the score goes to resolution on the requests topic, which records `dossier.rated`.
"""

from __future__ import annotations

from datetime import datetime

from services.intake.service.citizen import forward_to_resolution, lock_for_applicant
from services.intake.service.dossiers import IntakeUnits
from shared.errors import Conflict
from shared.events import RequestType
from shared.lifecycle import STATUS_NAMES_VI, Status


async def rate_for_citizen(
    units: IntakeUnits, now: datetime, code: str, *, id_number: str, score: int, comment: str | None
) -> dict:
    async with units() as uow, uow.transaction():
        dossier = await lock_for_applicant(uow.repo, code, id_number)
        status = dossier.shown_status
        if status is not Status.RETURNED:
            raise Conflict(
                f"Chỉ đánh giá được sau khi đã trả kết quả; hồ sơ đang ở trạng thái {int(status)} "
                f"({STATUS_NAMES_VI[status]})",
                f"The service can be rated only after the result was handed over; the dossier is in "
                f"status {int(status)}",
                current_status=int(status),
            )
        if dossier.rating is not None:
            raise Conflict("Hồ sơ này đã được đánh giá", "This dossier has already been rated")
        await uow.repo.record_rating(code, score, comment, now)
        request = await forward_to_resolution(uow, RequestType.RATING, code, now, score=score)
        return {"code": code, "request_id": str(request.request_id)}
