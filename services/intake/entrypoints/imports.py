"""POST /api/v1/imports: legacy dossiers as JSON lines. The body is read here, bounded, never
through a pydantic body model, so a large file costs its bytes and no more."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from services.intake.entrypoints.runtime import runtime_of
from services.intake.service import imports
from shared.auth import Account, Role, staff
from shared.http import ApiError

router = APIRouter(prefix="/api/v1")


class LineErrorOut(BaseModel):
    line: int = Field(description="The line's number in the file (first_line + its index)")
    code: str = Field(description="What kind of problem, e.g. impossible_transition")
    message_vi: str
    message_en: str


class ImportReportOut(BaseModel):
    lines: int = Field(description="Lines read (blank ones not counted)")
    imported: int
    already_present: int = Field(description="Codes already held, skipped")
    errors: list[LineErrorOut]


NDJSON = "application/x-ndjson"
_TOO_BIG = ApiError(
    413,
    f"Tệp quá lớn: tối đa {imports.MAX_BYTES // (1024 * 1024)} MB mỗi lần gửi",
    f"Body too large: at most {imports.MAX_BYTES // (1024 * 1024)} MB per request",
)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > imports.MAX_BYTES:
        raise _TOO_BIG
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > imports.MAX_BYTES:
            raise _TOO_BIG
    return bytes(body)


@router.post(
    "/imports",
    response_model=ImportReportOut,
    tags=["imports"],
    summary="Nhập hồ sơ từ hệ thống cũ / import legacy dossiers (JSON lines)",
    description="Needs a centre-wide leader's sign-in. One legacy dossier per line (see the README, 'Importing history'); at most "
    f"{imports.MAX_LINES} lines and {imports.MAX_BYTES // (1024 * 1024)} MB per request. A bad line is "
    "reported with its number (first_line + index) and does not stop the others; a code already "
    "present is skipped.",
    openapi_extra={"requestBody": {"required": True, "content": {NDJSON: {"schema": {"type": "string"}}}}},
)
async def import_history(
    request: Request,
    source: str = Query(min_length=1, max_length=200),
    first_line: int = Query(1, ge=1, le=1_000_000_000),
    account: Account = Depends(staff(Role.LEADER)),
) -> ImportReportOut:
    if account.agency_id is not None:  # lines may be of any agency and carry applicants' personal data
        raise ApiError(
            403,
            f"Tài khoản {account.username} chỉ thuộc cơ quan {account.agency_id}; nhập hồ sơ cần "
            "lãnh đạo toàn Trung tâm",
            f"Account {account.username} belongs to agency {account.agency_id}; importing needs a centre-wide leader",
        )
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != NDJSON:  # a browser's form cannot send this type: no cross-site import
        raise ApiError(
            415,
            f"Tệp nhập phải gửi với Content-Type: {NDJSON} (mỗi dòng một hồ sơ JSON)",
            f"Send the import with Content-Type: {NDJSON} (one JSON dossier per line)",
        )
    lines = (await _read_body(request)).split(b"\n")
    if lines and not lines[-1].strip():
        lines.pop()  # the file's final newline
    if len(lines) > imports.MAX_LINES:
        raise ApiError(
            413,
            f"Quá nhiều dòng: tối đa {imports.MAX_LINES} dòng mỗi lần gửi",
            f"Too many lines: at most {imports.MAX_LINES} per request",
        )
    rt = runtime_of(request)
    return ImportReportOut.model_validate(
        await imports.import_lines(rt.units, rt.calendar, rt.clock(), source=source, first_line=first_line, lines=lines)
    )
