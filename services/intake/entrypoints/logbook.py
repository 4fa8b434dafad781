"""Form 07, Sổ theo dõi hồ sơ: the dossiers received in a period, for clerks and leaders, limited
to the account's agency like the dossier list. Routes only translate."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from services.intake.domain import logbook as form07
from services.intake.entrypoints.runtime import runtime_of
from shared.auth import Account, Role, staff
from shared.errors import InvalidRequest
from shared.local_time import local_midnight

api = APIRouter(prefix="/api/v1")
DESK = (Role.CLERK, Role.LEADER)
MAX_DAYS = 366
EARLIEST, LATEST = date(1990, 1, 1), date(2999, 12, 31)  # no dossier outside; keeps the local midnights in range
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get(
    "/logbook",
    tags=["dossiers"],
    summary="Sổ theo dõi hồ sơ (mẫu 07) / the logbook of dossiers received in a period",
    description="One line per dossier received from `from` to `to` (local days, both included): code, "
    "received at, applicant, procedure, agency, due time, status, result and hand-over times. "
    "A cell a spreadsheet would take for a formula is written as text.",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX: {}}}},
)
async def logbook(
    request: Request,
    from_: date = Query(..., alias="from"),
    to: date = Query(...),
    agency: str | None = Query(None, max_length=40),
    format: Literal["json", "csv", "xlsx"] = "json",
    account: Account = Depends(staff(*DESK)),
) -> Response:
    if from_ < EARLIEST or to > LATEST:
        raise InvalidRequest(
            f"Ngày phải trong khoảng {EARLIEST:%d/%m/%Y} đến {LATEST:%d/%m/%Y}",
            f"Dates must lie between {EARLIEST} and {LATEST}",
            field="from",
        )
    if to < from_ or (to - from_).days >= MAX_DAYS:
        raise InvalidRequest(
            f"Kỳ phải kết thúc không trước khi bắt đầu và dài không quá {MAX_DAYS} ngày",
            f"The period must not end before it starts and may span at most {MAX_DAYS} days",
            field="to",
        )
    agency_id = account.agency_filter(agency)
    async with runtime_of(request).units() as uow:
        rows = await uow.repo.logbook(local_midnight(from_), local_midnight(to + timedelta(days=1)), agency_id)
    lines = [form07.line(n, row) for n, row in enumerate(rows, 1)]
    if format == "json":
        return JSONResponse({"from": from_.isoformat(), "to": to.isoformat(), "agency": agency_id, "rows": lines})
    name = f"so-theo-doi-ho-so-{from_.isoformat()}-{to.isoformat()}.{format}"
    # Built off the event loop: a long period's sheet takes seconds, other requests must not wait.
    write, media = (form07.to_csv, "text/csv; charset=utf-8") if format == "csv" else (form07.to_xlsx, XLSX)
    body = await asyncio.to_thread(write, lines, from_, to, agency_id)
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )
