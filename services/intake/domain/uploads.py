"""What a citizen may upload: types and sizes, checked before anything is stored. Pure."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from shared.errors import InvalidRequest

MAX_FILE_BYTES = 5 * 1024 * 1024  # one scanned document
MAX_FILES = 10  # per upload
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # per upload
# Per dossier, over all its uploads: a generous dossier's scans, and a bound on what one
# applicant (or someone who has their code) can make the agency store.
MAX_DOSSIER_FILES = 40
MAX_DOSSIER_BYTES = 60 * 1024 * 1024
# Scans and photographs of papers; the first bytes must match, so a renamed file is refused.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
ALLOWED_NAMES_VI = "PDF, JPG, PNG"
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
_NOT_IN_A_NAME = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


class UploadRefused(InvalidRequest):
    def __init__(self, vi: str, en: str):
        super().__init__(vi, en, field="files")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def clean_name(name: str) -> str:
    """The citizen's file name as shown to staff: without control and format characters
    (a right-to-left override can make `gpj.exe` read as `exe.jpg`)."""
    kept = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf"))
    return kept.strip()[-200:] or "tep"


def download_name(code: str, attachment_id: int, content_type: str) -> str:
    """The name a download is served under: ours, never the uploader's, with the extension of the
    type the bytes were found to be."""
    return f"{_NOT_IN_A_NAME.sub('_', code)}-{attachment_id}.{EXTENSIONS.get(content_type, 'bin')}"


def result_name(code: str) -> str:
    """The name an electronic result is served under (issue 15)."""
    return f"{_NOT_IN_A_NAME.sub('_', code)}-ket-qua.pdf"


def check_quota(stored_files: int, stored_bytes: int, files: list[Upload]) -> None:
    """UploadRefused when `files` would take the dossier over its quota."""
    if stored_files + len(files) > MAX_DOSSIER_FILES or stored_bytes + sum(len(f.data) for f in files) > (
        MAX_DOSSIER_BYTES
    ):
        raise UploadRefused(
            f"Hồ sơ đã có {stored_files} tệp ({_mb(stored_bytes)}); mỗi hồ sơ được tối đa {MAX_DOSSIER_FILES} tệp "
            f"và {_mb(MAX_DOSSIER_BYTES)}",
            f"The dossier already holds {stored_files} files ({_mb(stored_bytes)}); a dossier may hold at most "
            f"{MAX_DOSSIER_FILES} files and {_mb(MAX_DOSSIER_BYTES)}",
        )


def sniff(data: bytes) -> str | None:
    return next((t for t, magics in ALLOWED_TYPES.items() if any(data.startswith(m) for m in magics)), None)


def check(files: list[Upload]) -> list[Upload]:
    """The files with their true content type, or UploadRefused naming the first problem."""
    if not files:
        raise UploadRefused("Chưa chọn tệp nào để tải lên", "No file was chosen")
    if len(files) > MAX_FILES:
        raise UploadRefused(f"Tối đa {MAX_FILES} tệp mỗi lần tải lên", f"At most {MAX_FILES} files per upload")
    if sum(len(f.data) for f in files) > MAX_TOTAL_BYTES:
        raise UploadRefused(
            f"Tổng dung lượng các tệp vượt quá {_mb(MAX_TOTAL_BYTES)}",
            f"The files together exceed {_mb(MAX_TOTAL_BYTES)}",
        )
    out = []
    for f in files:
        name = clean_name(f.filename or "")
        if not f.data:
            raise UploadRefused(f"Tệp {name} rỗng", f"File {name} is empty")
        if len(f.data) > MAX_FILE_BYTES:
            raise UploadRefused(
                f"Tệp {name} vượt quá {_mb(MAX_FILE_BYTES)}", f"File {name} exceeds {_mb(MAX_FILE_BYTES)}"
            )
        kind = sniff(f.data)
        if kind is None:
            raise UploadRefused(
                f"Tệp {name} không đúng định dạng cho phép ({ALLOWED_NAMES_VI})",
                f"File {name} is not of an allowed type (PDF, JPEG, PNG)",
            )
        out.append(Upload(name, kind, f.data))
    return out
