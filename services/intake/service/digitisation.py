"""Digitisation at the counter (issue 15): check a reception's marks against the earlier dossiers
it reuses from, and record them with the scans, in the reception's transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from services.intake.adapters.repository import IntakeRepository
from services.intake.domain.digitisation import check_marks, counts, reuse_refused
from services.intake.domain.dossier import HandedIn
from services.intake.domain.uploads import check
from shared.errors import InvalidRequest


async def checked(repo: IntakeRepository, handed: HandedIn, accepted_at_once: bool) -> HandedIn:
    """The reception with its scans typed by their bytes; InvalidRequest when the marks do not fit
    the list or the files, or a reused document is not digitised in the same applicant's dossier."""
    if not handed.marks and not handed.scans:
        return handed
    if not accepted_at_once:
        raise InvalidRequest(
            "Chỉ đánh dấu số hóa khi tiếp nhận tại quầy hoặc qua bưu chính",
            "Documents are marked digitised only when received at the counter or by post",
            field="digitisation",
        )
    check_marks(handed.documents, list(handed.marks), len(handed.scans))
    scans = tuple(check(list(handed.scans))) if handed.scans else ()
    earlier_names: dict[str, set[str]] = {}
    for n, (document, mark) in enumerate(zip(handed.documents, handed.marks, strict=True), 1):
        if mark.reused_from is None:
            continue
        code = mark.reused_from
        if code not in earlier_names:
            earlier = await repo.get_dossier(code)
            same = earlier is not None and earlier.is_applicants(handed.applicant.id_number)
            earlier_names[code] = await repo.digitised_names(code) if same else set()
        if document not in earlier_names[code]:
            raise reuse_refused(n, code, document)
    return replace(handed, scans=scans)


def event_counts(handed: HandedIn) -> dict[str, int]:
    """The accepted event's fields: counts only (never a file or a name)."""
    if not handed.marks:
        return {"documents_total": len(handed.documents)}
    c = counts(handed.documents, list(handed.marks))
    return {"documents_total": c.total, "documents_scanned": c.scanned, "documents_reused": c.reused}


async def record(repo: IntakeRepository, code: str, handed: HandedIn, now: datetime) -> None:
    """The scans among the dossier's files (purpose 'scanned') and one mark per document."""
    if not handed.marks:
        return
    stored = await repo.insert_attachments(code, "scanned", list(handed.scans), now) if handed.scans else []
    ids = iter(sorted(stored))  # numbered in the order they were sent, which is the marks' order
    attachment_ids = [next(ids) if m.kind == "scanned" else None for m in handed.marks]
    await repo.insert_document_marks(code, handed.documents, list(handed.marks), attachment_ids)
