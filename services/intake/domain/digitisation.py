"""Digitisation at reception (issue 15): each document on a dossier's list is scanned at the
counter, reused from an earlier dossier of the same applicant, or kept on paper. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shared.errors import InvalidRequest

Kind = Literal["scanned", "reused", "paper"]
DIGITISED: frozenset[str] = frozenset({"scanned", "reused"})  # what a later dossier may reuse


@dataclass(frozen=True)
class Mark:
    """How one document of the list (same position) was received."""

    kind: Kind
    reused_from: str | None = None  # the earlier dossier's code, for `reused`


@dataclass(frozen=True)
class Counts:
    total: int
    scanned: int
    reused: int


def _refused(vi: str, en: str) -> InvalidRequest:
    return InvalidRequest(vi, en, field="digitisation")


def check_marks(documents: list[str], marks: list[Mark], scans: int) -> None:
    """InvalidRequest unless there is one mark per document, a code for each reuse and one
    uploaded file for each scanned document, in order."""
    if not marks:
        if scans:
            raise _refused(
                "Có tệp quét nhưng chưa đánh dấu thành phần nào", "Scans were sent but no document is marked"
            )
        return
    if len(marks) != len(documents):
        raise _refused(
            f"Cần đánh dấu đủ {len(documents)} thành phần hồ sơ (đã có {len(marks)})",
            f"Mark each of the {len(documents)} documents ({len(marks)} marked)",
        )
    for n, mark in enumerate(marks, 1):
        if (mark.kind == "reused") != (mark.reused_from is not None):
            raise _refused(
                f"Thành phần thứ {n}: chỉ thành phần dùng lại mới ghi mã hồ sơ trước, và phải ghi",
                f"Document {n}: a reused document names the earlier dossier's code, and only it does",
            )
    wanted = sum(m.kind == "scanned" for m in marks)
    if wanted != scans:
        raise _refused(
            f"Có {wanted} thành phần đánh dấu đã quét nhưng nhận {scans} tệp",
            f"{wanted} documents are marked scanned but {scans} files came",
        )


def counts(documents: list[str], marks: list[Mark]) -> Counts:
    return Counts(
        total=len(documents),
        scanned=sum(m.kind == "scanned" for m in marks),
        reused=sum(m.kind == "reused" for m in marks),
    )


def reuse_refused(n: int, code: str, document: str) -> InvalidRequest:
    """The same answer whether the earlier dossier is missing, another applicant's, or lacks the
    document: the clerk learns nothing about other people's dossiers."""
    return _refused(
        f"Thành phần thứ {n} ({document}): hồ sơ {code} của cùng người nộp không có bản số hóa của thành phần này",
        f"Document {n} ({document}): dossier {code} of the same applicant holds no digitised copy of it",
    )
