"""The citizen routes' door: the dossier's code, the applicant's ID number and the slip's tracking
secret together, checked before any row lock or file is read. Wrong tries are counted per dossier
and per client address in intake's database (every instance, across restarts; the same table as
staff sign-ins), and past the limit the answer is 429 with Retry-After for that dossier or that
address only: the clerk working on the dossier is never in the way (staff routes do not pass here)."""

from __future__ import annotations

import logging

from fastapi import Request

from services.intake.entrypoints.runtime import runtime_of
from services.intake.service.citizen import no_such_dossier_for_citizen
from shared.auth import throttle
from shared.http import ApiError

log = logging.getLogger(__name__)


class TooManyTries(ApiError):
    def __init__(self, retry_after_s: float):
        minutes = max(1, round(retry_after_s / 60))
        super().__init__(
            429,
            f"Nhập sai thông tin tra cứu quá nhiều lần; vui lòng thử lại sau khoảng {minutes} phút",
            f"Too many wrong tries; try again in about {minutes} minutes",
        )
        self.headers = {"Retry-After": str(max(1, int(retry_after_s)))}


async def admit_applicant(request: Request, code: str, id_number: str, pin: str) -> None:
    """Returns when the three match; else NotFound (the same for an unknown code, a wrong ID number
    or a wrong secret, so nothing can be probed), counted; 429 while the dossier or address is locked."""
    rt = runtime_of(request)
    settings, now = rt.settings, rt.clock()
    address = request.client.host if request.client else "unknown"
    subjects = [f"citizen-dossier:{code[:64]}", f"citizen-address:{address}"]
    async with rt.units() as uow:
        conn = uow.repo.conn
        locked = await throttle.locked_for(conn, subjects, now)
        if locked is not None:
            raise TooManyTries(locked)
        dossier = await uow.repo.get_dossier(code)
        if dossier is not None and dossier.opens_with(id_number, pin):
            return
        window = settings.citizen_window_s
        await throttle.count_failure(conn, subjects[0], now, settings.citizen_dossier_failures, window)
        await throttle.count_failure(conn, subjects[1], now, settings.citizen_address_failures, window)
    log.info("citizen access refused: dossier=%s address=%s", code[:64], address)
    raise no_such_dossier_for_citizen()
