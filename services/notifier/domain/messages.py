"""Which lifecycle events a citizen is told of, and what the e-mail and the SMS say (pure).

A notice is built from the event alone (nothing personal is on it); the contact is added only
when the message is sent. No message carries the tracking secret (PIN): the link names the
dossier's code, and the citizen opens it with the ID number and the secret on the slip, so a
read mailbox or a phone left on a table is not enough to open the dossier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import quote

from shared.events import Event, EventType
from shared.local_time import VN
from shared.payment import vnd


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


# The events that make a message, and the subject line of each.
SUBJECTS: dict[EventType, str] = {
    EventType.ACCEPTED: "Hồ sơ đã được tiếp nhận",
    EventType.REFUSED: "Hồ sơ không được tiếp nhận",
    EventType.SUPPLEMENT_REQUESTED: "Đề nghị bổ sung hồ sơ",
    EventType.FEE_REQUESTED: "Đề nghị nộp phí, lệ phí",
    EventType.APOLOGY_ISSUED: "Thư xin lỗi và hẹn lại ngày trả kết quả",
    EventType.RESOLVED: "Đã có kết quả giải quyết hồ sơ",
}


@dataclass(frozen=True)
class Notice:
    """What one event tells the citizen, without any contact."""

    dossier_code: str
    seq: int
    event_id: str
    event_type: EventType
    details: dict[str, str | list[str]]


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def notice_of(event: Event) -> Notice | None:
    """The notice an event makes, or None when the citizen is not told of it."""
    type_ = EventType(event.type)
    if type_ not in SUBJECTS:
        return None
    p = event.payload
    details: dict[str, str | list[str]] = {}
    if type_ in (EventType.ACCEPTED, EventType.REFUSED) and p.dimensions.procedure_name:
        details["procedure"] = p.dimensions.procedure_name
    if type_ == EventType.ACCEPTED:
        details["due_at"] = _when(p.deadline.due_at)
    elif type_ == EventType.SUPPLEMENT_REQUESTED:
        details["documents"] = list(p.missing_documents)
        if p.supplement_due_at:
            details["supplement_due_at"] = _when(p.supplement_due_at)
    elif type_ == EventType.APOLOGY_ISSUED:
        details["new_appointment_at"] = _when(p.new_appointment_at)
    elif type_ == EventType.FEE_REQUESTED and p.fee_amount:  # events before issue 15 carry no amount
        details["fee"] = vnd(p.fee_amount)
    return Notice(event.dossier_code, event.seq, str(event.event_id), type_, details)


def _when(at: datetime) -> str:
    return at.astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")


def tracking_link(base: str, code: str) -> str:
    return f"{base}?code={quote(code, safe='')}"


def _lines(notice: Notice) -> list[str]:
    d, code = notice.details, notice.dossier_code
    procedure = f" ({d['procedure']})" if "procedure" in d else ""
    match notice.event_type:
        case EventType.ACCEPTED:
            return [f"Hồ sơ {code}{procedure} đã được tiếp nhận.", f"Ngày hẹn trả kết quả: {d['due_at']}."]
        case EventType.REFUSED:
            return [
                f"Hồ sơ {code}{procedure} không được tiếp nhận.",
                "Lý do được ghi trong phiếu từ chối tiếp nhận (mẫu 03).",
            ]
        case EventType.SUPPLEMENT_REQUESTED:
            lines = [f"Hồ sơ {code} cần bổ sung giấy tờ:"]
            lines += [f"- {name}" for name in d.get("documents", [])]
            if "supplement_due_at" in d:
                lines.append(f"Hạn bổ sung: {d['supplement_due_at']}.")
            return lines
        case EventType.FEE_REQUESTED:
            if "fee" in d:  # paid online from the tracking view, or in cash at the agency
                return [
                    f"Hồ sơ {code} cần nộp phí, lệ phí {d['fee']} để tiếp tục giải quyết.",
                    "Ông/bà có thể thanh toán trực tuyến khi tra cứu hồ sơ, hoặc nộp tại Bộ phận Một cửa.",
                ]
            return [f"Hồ sơ {code} cần nộp phí, lệ phí để tiếp tục giải quyết."]
        case EventType.APOLOGY_ISSUED:
            return [
                f"Hồ sơ {code} chưa thể trả kết quả đúng hẹn. Cơ quan xin lỗi ông/bà.",
                f"Ngày hẹn mới: {d['new_appointment_at']}.",
            ]
        case _:  # RESOLVED
            return [f"Hồ sơ {code} đã có kết quả. Mời ông/bà đến nhận hoặc tra cứu trực tuyến."]


def render(notice: Notice, channel: Channel, tracking_base: str) -> Message:
    """The message for `channel`, in Vietnamese with diacritics, with the tracking link."""
    subject = SUBJECTS[notice.event_type]
    link = tracking_link(tracking_base, notice.dossier_code)
    lines = _lines(notice)
    if channel == Channel.SMS:  # one short text: the first line, and where to read the rest
        return Message(subject, f"{lines[0]} Tra cứu: {link}")
    text = "\n".join(
        [
            "Kính gửi ông/bà,",
            "",
            *lines,
            "",
            f"Tra cứu hồ sơ: {link}",
            "(nhập mã hồ sơ, số định danh và mã tra cứu in trên giấy tiếp nhận)",
            "",
            "Đây là thư tự động, xin đừng trả lời.",
            "Bộ phận Một cửa",
        ]
    )
    return Message(f"[{notice.dossier_code}] {subject}", text)


def backoff_s(attempts: int, base: float, most: float) -> float:
    """The wait before the next try after `attempts` failures: base, 2·base, 4·base, … up to `most`."""
    return min(most, base * 2 ** max(0, attempts - 1))


class SendFailed(Exception):
    """A try that failed. Its text says what kind of failure (never an address or a phone number),
    since it is logged and kept in the sent-log; `permanent` ones are not tried again."""

    def __init__(self, reason: str, *, permanent: bool = False):
        super().__init__(reason)
        self.permanent = permanent
