"""intake's upload routes: a citizen's documents (online dossier, supplement) and the staff's view."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, Field, ValidationError

from services.intake.adapters.resolution_results import fetch_result
from services.intake.domain.uploads import MAX_FILE_BYTES, MAX_FILES, Upload, download_name
from services.intake.entrypoints.citizen_guard import admit_applicant
from services.intake.entrypoints.http import DESK, READERS, IdempotencyKey, received, walk_in_only
from services.intake.entrypoints.runtime import runtime_of
from services.intake.entrypoints.schemas import CitizenIn, DossierIn, DossierOut
from services.intake.service import attachments, results
from shared.auth import Account, staff

router = APIRouter(prefix="/api/v1")
IdNumber = Annotated[str, Form(pattern=r"^\d{12}$", description="The applicant's CCCD number, as on the dossier")]
Pin = Annotated[str, Form(min_length=6, max_length=20, description="The tracking secret on the slip or online answer")]
Files = Annotated[
    list[UploadFile],
    File(description=f"PDF, JPEG or PNG; at most {MAX_FILES} files of {MAX_FILE_BYTES // 1024 // 1024} MB"),
]


async def _read(files: list[UploadFile]) -> list[Upload]:
    out = []
    for f in files[: MAX_FILES + 1]:  # one more than allowed, so the check can say there are too many
        data = await f.read(MAX_FILE_BYTES + 1)  # never more than the cap into memory
        out.append(Upload(f.filename or "tep", f.content_type or "", data))
    return out


class UploadedOut(BaseModel):
    code: str
    attachments: int = Field(description="How many files were stored")
    message: str


class SupplementOut(UploadedOut):
    request_id: str | None = Field(description="The request passed on to resolution, when it was")
    forwarded: bool = Field(description="Whether resolution (the owner after acceptance) was told")


class AttachmentOut(BaseModel):
    id: int
    purpose: str = Field(description="submission or supplement")
    filename: str
    content_type: str
    size_bytes: int
    uploaded_at: AwareDatetime


# Declared before /uploads/{code}, which would otherwise take "counter" for a code.
@router.post(
    "/uploads/counter",
    status_code=201,
    response_model=DossierOut,
    tags=["dossiers"],
    summary="Tiếp nhận hồ sơ kèm bản quét / receive a walk-in dossier with its scanned documents",
    description="Counter and post (a clerk's sign-in). `dossier` is the JSON of POST /api/v1/dossiers with "
    "`digitisation` (one mark per document); `files` the scans of the documents marked `scanned`, in "
    "their order. The dossier, its scans and marks are stored in one transaction; the accepted event "
    "carries the counts only.",
)
async def receive_with_scans(
    request: Request,
    dossier: Annotated[str, Form(max_length=64_000, description="DossierIn as JSON")],
    files: Annotated[list[UploadFile], File(description="The scans, in the order of the scanned marks")] = [],  # noqa: B006 - FastAPI copies defaults
    account: Account = Depends(staff(*DESK)),
    idempotency_key: IdempotencyKey = None,
) -> Response:
    try:
        body = DossierIn.model_validate_json(dossier)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", "dossier", *e["loc"])} for e in exc.errors()]) from None
    walk_in_only(body.channel)
    return await received(request, body, account, idempotency_key, tuple(await _read(files)))


@router.post(
    "/uploads/{code}",
    status_code=201,
    response_model=UploadedOut,
    tags=["citizen"],
    summary="Tải lên thành phần hồ sơ / upload an online dossier's documents (status 1)",
)
async def upload(request: Request, code: str, id_number: IdNumber, pin: Pin, files: Files) -> UploadedOut:
    await admit_applicant(request, code, id_number, pin)  # before any file is read
    rt = runtime_of(request)
    result = await attachments.attach_for_citizen(
        rt.units, rt.clock(), code, id_number=id_number, files=await _read(files)
    )
    return UploadedOut(**result, message="Đã tải lên thành phần hồ sơ / The documents were uploaded")


@router.post(
    "/uploads/{code}/supplement",
    status_code=202,
    response_model=SupplementOut,
    tags=["citizen"],
    summary="Nộp bổ sung hồ sơ / supply the missing papers asked for (status 5)",
)
async def supplement(request: Request, code: str, id_number: IdNumber, pin: Pin, files: Files) -> SupplementOut:
    await admit_applicant(request, code, id_number, pin)  # before any file is read
    rt = runtime_of(request)
    result = await attachments.supplement_for_citizen(
        rt.units, rt.clock(), code, id_number=id_number, files=await _read(files)
    )
    return SupplementOut(**result, message="Đã nhận hồ sơ bổ sung / The supplement has been received")


@router.get(
    "/dossiers/{code}/attachments",
    response_model=list[AttachmentOut],
    tags=["dossiers"],
    summary="Tệp đính kèm / a dossier's uploads",
)
async def list_uploads(request: Request, code: str, account: Account = Depends(staff(*READERS))) -> list[AttachmentOut]:
    return [AttachmentOut(**a) for a in await attachments.list_for_staff(runtime_of(request).units, code, account)]


@router.get(
    "/dossiers/{code}/attachments/{attachment_id}",
    tags=["dossiers"],
    response_class=Response,
    summary="Tải tệp đính kèm / download one upload",
)
async def download(
    request: Request, code: str, attachment_id: int, account: Account = Depends(staff(*READERS))
) -> Response:
    found = await attachments.file_for_staff(runtime_of(request).units, code, attachment_id, account)
    # Served as a download with its sniffed type and a name of ours, so an upload can never run as a
    # page of ours nor pass for another kind of file on the reader's machine.
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download_name(code, attachment_id, found.content_type)}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/dossiers/{code}/result",
    tags=["citizen"],
    response_class=Response,
    summary="Tải kết quả điện tử / download the signed electronic result",
    description="Public, behind the tracking door (code, ID number and tracking secret in the body). The "
    "signed PDF is read from resolution over its internal endpoint and served as `{code}-ket-qua.pdf`; "
    "404 (bilingual) for a wrong secret or a dossier without an electronic result.",
)
async def electronic_result(request: Request, code: str, body: CitizenIn) -> Response:
    await admit_applicant(request, code, body.id_number, body.pin)
    settings = runtime_of(request).settings
    name, pdf = await results.result_for_applicant(
        partial(fetch_result, settings.resolution_url, settings.service_credential()), code
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
