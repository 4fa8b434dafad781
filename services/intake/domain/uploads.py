"""What a citizen may upload: types and sizes, checked before anything is stored. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from shared.errors import InvalidRequest

MAX_FILE_BYTES = 5 * 1024 * 1024  # one scanned document
MAX_FILES = 10  # per upload
MAX_TOTAL_BYTES = 20 * 1024 * 1024  # per upload
# Scans and photographs of papers; the first bytes must match, so a renamed file is refused.
ALLOWED_TYPES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}
ALLOWED_NAMES_VI = "PDF, JPG, PNG"


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
        name = (f.filename or "tep").strip()[-200:] or "tep"
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
