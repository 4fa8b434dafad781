"""intake's upload routes: a citizen's documents (online dossier, supplement) and the staff's view."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from services.intake.adapters import repository as repo
from services.intake.domain.uploads import MAX_FILE_BYTES, MAX_FILES, Upload
from services.intake.entrypoints.http import READERS, _visible_dossier
from services.intake.service import attachments
from shared.auth import Account, staff
from shared.http import ApiError

router = APIRouter(prefix="/api/v1")
# Uploads have a prefix of their own, so a body-size cap per path prefix can give them their room.
UPLOADS = "/api/v1/uploads/"
IdNumber = Annotated[str, Form(pattern=r"^\d{12}$", description="The applicant's CCCD number, as on the dossier")]
Files = Annotated[list[UploadFile], File(description=f"PDF, JPEG or PNG; at most {MAX_FILES} files of "
                                                     f"{MAX_FILE_BYTES // 1024 // 1024} MB")]


async def _read(files: list[UploadFile]) -> list[Upload]:
    out = []
    for f in files[:MAX_FILES + 1]:  # one more than allowed, so the check can say there are too many
        data = await f.read(MAX_FILE_BYTES + 1)  # never more than the cap into memory
        out.append(Upload(f.filename or "tep", f.content_type or "", data))
    return out


@router.post("/uploads/{code}", status_code=201, tags=["citizen"],
             summary="Tải lên thành phần hồ sơ / upload an online dossier's documents (status 1)")
async def upload(request: Request, code: str, id_number: IdNumber, files: Files) -> dict:
    rt = request.app.state.runtime
    result = await attachments.attach_for_citizen(rt.db, rt.clock(), code, id_number=id_number,
                                                  files=await _read(files))
    result["message"] = "Đã tải lên thành phần hồ sơ / The documents were uploaded"
    return result


@router.post("/uploads/{code}/supplement", status_code=202, tags=["citizen"],
             summary="Nộp bổ sung hồ sơ / supply the missing papers asked for (status 5)")
async def supplement(request: Request, code: str, id_number: IdNumber, files: Files) -> dict:
    rt = request.app.state.runtime
    result = await attachments.supplement_for_citizen(rt.db, rt.clock(), code, id_number=id_number,
                                                      files=await _read(files))
    result["message"] = "Đã nhận hồ sơ bổ sung / The supplement has been received"
    return result


@router.get("/dossiers/{code}/attachments", tags=["dossiers"], summary="Tệp đính kèm / a dossier's uploads")
async def list_uploads(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> list[dict]:
    await _visible_dossier(request, code, account)
    async with request.app.state.runtime.db.acquire() as conn:
        return await repo.list_attachments(conn, code)


@router.get("/dossiers/{code}/attachments/{attachment_id}", tags=["dossiers"], response_class=Response,
            summary="Tải tệp đính kèm / download one upload")
async def download(request: Request, code: str, attachment_id: int,
                   account: Account = Depends(staff(*READERS))) -> Response:
    await _visible_dossier(request, code, account)
    async with request.app.state.runtime.db.acquire() as conn:
        row = await repo.get_attachment(conn, code, attachment_id) if 0 < attachment_id < 2**63 else None
    if row is None:
        raise ApiError(404, "Không tìm thấy tệp đính kèm", "Attachment not found")
    # Served as a download with its sniffed type, so an upload can never run as a page of ours.
    return Response(bytes(row["data"]), media_type=row["content_type"],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quoted(row['filename'])}",
                             "X-Content-Type-Options": "nosniff"})


def _quoted(name: str) -> str:
    from urllib.parse import quote
    return quote(name, safe="")
