"""Lifecycle events as the national portal's synchronisation calls (docs/decisions.md, "National
portal"). Pure: no I/O.

One event makes at most one call, numbered by the event's `seq` (the portal's `SoThuTu`), so the
idempotency key `<dossier code>:<seq>` names one call for ever. Only what the portal needs that is
not personal goes out: codes, agency, channel, dates and statuses (events carry nothing personal,
and free-text reasons, which a person types, are left behind too).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from shared.events import CHANNEL_CODES, Event, EventType
from shared.lifecycle import Status


class CallKind(StrEnum):
    """The portal's calls, the last segment of their path."""

    CREATE = "hoso"  # a dossier the portal has not seen: all its descriptors and its first status
    STATUS = "trangthai"  # a new status (and the due time when it moved)
    PROGRESS = "tiendo"  # a step inside processing that changes no status
    RESULT = "ketqua"  # decided (status 9): when, and whether within the time
    RATING = "danhgia"  # the citizen's rating (Decision 766/QĐ-TTg scores it)


# Our statuses (docs/domain.md) as the portal's TrangThaiHoSo codes. The national list has the same
# ten statuses in the same order, so the codes coincide; the table stays so a portal that renumbers
# changes one place.
PORTAL_STATUS: dict[Status, int] = {status: int(status) for status in Status}
# The portal's codes for how a dossier came in (KenhThucHien) and who applied (DoiTuong).
PORTAL_CHANNEL = dict(CHANNEL_CODES)  # counter 1, online 2, post 3: the national codes already
PORTAL_APPLICANT = {0: 1, 1: 2, 2: 3}  # citizen, enterprise, household business
PORTAL_COMPLIANCE = {"early": 1, "on_time": 2, "late": 3}  # before, on, after the due time
PORTAL_ONLINE_LEVEL = {"toan_trinh": "ToanTrinh", "mot_phan": "MotPhan"}

_STATUS_EVENTS = frozenset(
    {
        EventType.SUBMITTED,
        EventType.ACCEPTED,
        EventType.REFUSED,
        EventType.PROCESSING_STARTED,
        EventType.SUPPLEMENT_REQUESTED,
        EventType.FEE_REQUESTED,
        EventType.WITHDRAWN,
        EventType.STOPPED,
        EventType.RETURNED,
    }
)
_PROGRESS_NOTES = {
    EventType.ASSIGNED: "Chuyển bước xử lý",
    EventType.APPROVED: "Lãnh đạo phê duyệt",
    EventType.SENT_TO_AGENCY: "Chuyển cơ quan liên thông",
    EventType.BACK_FROM_AGENCY: "Cơ quan liên thông trả lại",
    EventType.APOLOGY_ISSUED: "Xin lỗi và hẹn lại ngày trả kết quả",
}


class Skip(StrEnum):
    """Why an event makes no call."""

    NOT_SYNCHRONISED = "not_synchronised"  # the portal has no call for it (overdue: it computes that itself)
    UNKNOWN_DOSSIER = "unknown_dossier"  # its dossier's first event was never seen: nothing to create it from


@dataclass(frozen=True)
class PortalCall:
    kind: CallKind
    dossier_code: str
    seq: int
    body: dict[str, Any]

    @property
    def key(self) -> str:
        """The idempotency key: the portal applies a key once, however often it is sent."""
        return idempotency_key(self.dossier_code, self.seq)

    @property
    def status(self) -> int | None:
        """The portal status this call leaves the dossier in (None: unchanged)."""
        return self.body.get("TrangThaiHoSo")


def idempotency_key(dossier_code: str, seq: int) -> str:
    return f"{dossier_code}:{seq}"


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def call_for(event: Event, known: bool) -> PortalCall | Skip:
    """The portal call for `event`; `known`: the portal was already told of its dossier."""
    type_ = EventType(event.type)
    payload = event.payload
    base: dict[str, Any] = {"MaHoSo": event.dossier_code, "SoThuTu": event.seq, "ThoiDiem": _when(event.occurred_at)}
    dimensions = getattr(payload, "dimensions", None)
    if not known:
        if dimensions is None:
            return Skip.UNKNOWN_DOSSIER
        return PortalCall(CallKind.CREATE, event.dossier_code, event.seq, {**base, **_create(event)})
    if type_ in _STATUS_EVENTS:
        return PortalCall(CallKind.STATUS, event.dossier_code, event.seq, {**base, **_status(event)})
    if type_ == EventType.RESOLVED:
        body = {
            "TrangThaiHoSo": PORTAL_STATUS[Status.RESOLVED],
            "NgayCoKetQua": _when(event.occurred_at),
            "NgayHenTra": _when(payload.due_at),
            "KetQuaDungHan": PORTAL_COMPLIANCE[payload.compliance],
        }
        return PortalCall(CallKind.RESULT, event.dossier_code, event.seq, {**base, **body})
    if type_ == EventType.RATED:
        return PortalCall(CallKind.RATING, event.dossier_code, event.seq, {**base, "DiemDanhGia": payload.score})
    if type_ in _PROGRESS_NOTES:
        return PortalCall(CallKind.PROGRESS, event.dossier_code, event.seq, {**base, **_progress(type_, payload)})
    return Skip.NOT_SYNCHRONISED


def _status(event: Event) -> dict[str, Any]:
    payload = event.payload
    body: dict[str, Any] = {"TrangThaiHoSo": PORTAL_STATUS[Status(payload.to_status)]}
    accepted_at = getattr(payload, "accepted_at", None)
    if accepted_at is not None:
        body["NgayTiepNhan"] = _when(accepted_at)
    deadline = getattr(payload, "deadline", None)
    due_at = deadline.due_at if deadline is not None else getattr(payload, "due_at", None)
    if due_at is not None:
        body["NgayHenTra"] = _when(due_at)
    return body


def _create(event: Event) -> dict[str, Any]:
    d = event.payload.dimensions
    body = {
        "MaTTHC": d.procedure_code,
        "TenTTHC": d.procedure_name,
        "MaCoQuan": d.agency_id,
        "TenCoQuan": d.agency_name,
        "MaCoQuanTiepNhan": d.receiving_agency_id or d.agency_id,
        "MaLinhVuc": d.field,
        "KenhThucHien": PORTAL_CHANNEL[d.channel],
        "DoiTuong": PORTAL_APPLICANT[d.applicant_type],
        "MucDoDVC": PORTAL_ONLINE_LEVEL.get(d.online_level or ""),
        "NgayNopHoSo": _when(event.occurred_at),
        **_status(event),
    }
    return {k: v for k, v in body.items() if v is not None}


def _progress(type_: EventType, payload) -> dict[str, Any]:
    body: dict[str, Any] = {"NoiDung": _PROGRESS_NOTES[type_]}
    if type_ == EventType.ASSIGNED:
        body["BuocXuLy"] = payload.step_name
        body["HanBuocXuLy"] = _when(payload.step_due_at)
    elif type_ == EventType.SENT_TO_AGENCY:
        body["BuocXuLy"] = payload.step_name
        body["MaCoQuanXuLy"] = payload.to_agency_id
    elif type_ == EventType.BACK_FROM_AGENCY:
        body["MaCoQuanXuLy"] = payload.from_agency_id
        body["NgayHenTra"] = _when(payload.due_at)
    elif type_ == EventType.APOLOGY_ISSUED:
        body["NgayHenTraMoi"] = _when(payload.new_appointment_at)
    return {k: v for k, v in body.items() if v is not None}
