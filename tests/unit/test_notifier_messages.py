"""The notifier's pure rules: which events make a notice, what it says, how long a retry waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifier.domain.messages import SUBJECTS, Channel, backoff_s, notice_of, render, tracking_link
from shared.events import EventType, make_event

AT = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
DIMENSIONS = {
    "agency_id": "A",
    "procedure_code": "1.013831",
    "channel": "counter",
    "applicant_type": 0,
    "procedure_name": "Đăng ký biến động đất đai",
}


def event(type_: EventType, payload: dict, seq: int = 2):
    return make_event(
        type_,
        dossier_code="000.00.31.H26-260302-0001",
        seq=seq,
        occurred_at=AT,
        producer="intake",
        correlation_id="t",
        payload=payload,
    )


def accepted():
    deadline = {
        "due_at": AT + timedelta(days=5),
        "processing_hours": 40,
        "time_type": "working",
        "clock_policy": "pause",
        "rule_version": "1",
    }
    return event(
        EventType.ACCEPTED,
        {"to_status": 2, "actor": "clerk", "dimensions": DIMENSIONS, "accepted_at": AT, "deadline": deadline},
    )


def test_acceptance_says_the_due_time_in_local_time_and_links_to_tracking():
    notice = notice_of(accepted())
    assert notice is not None and notice.details["due_at"] == "09:30 ngày 07/03/2026"
    mail = render(notice, Channel.EMAIL, "https://dvc.example/portal")
    assert mail.subject == "[000.00.31.H26-260302-0001] Hồ sơ đã được tiếp nhận"
    assert "Đăng ký biến động đất đai" in mail.text and "Ngày hẹn trả kết quả: 09:30 ngày 07/03/2026" in mail.text
    assert "https://dvc.example/portal?code=000.00.31.H26-260302-0001" in mail.text
    sms = render(notice, Channel.SMS, "https://dvc.example/portal")
    assert sms.text.startswith("Hồ sơ 000.00.31.H26-260302-0001") and sms.text.endswith(
        "?code=000.00.31.H26-260302-0001"
    )
    assert len(sms.text) < 200  # one short text, not the letter


def test_supplement_request_lists_the_documents():
    payload = {
        "to_status": 5,
        "actor": "cv",
        "due_at": None,
        "missing_documents": ["Bản sao sổ hộ khẩu", "Tờ khai"],
        "supplement_due_at": AT,
    }
    notice = notice_of(event(EventType.SUPPLEMENT_REQUESTED, payload))
    assert notice is not None
    text = render(notice, Channel.EMAIL, "x").text
    assert "- Bản sao sổ hộ khẩu\n- Tờ khai" in text and "Hạn bổ sung: 09:30 ngày 02/03/2026" in text


@pytest.mark.parametrize(
    ("type_", "payload"),
    [
        (EventType.PROCESSING_STARTED, {"to_status": 4, "actor": "cv", "due_at": AT}),
        (EventType.APPROVED, {"actor": "ld"}),
        (EventType.OVERDUE, {"due_at": AT, "status": 4}),
    ],
)
def test_staff_matters_make_no_notice(type_, payload):
    assert notice_of(event(type_, payload)) is None
    assert type_ not in SUBJECTS


def test_link_escapes_the_code():
    assert tracking_link("https://x/portal", "A B&C") == "https://x/portal?code=A%20B%26C"


def test_backoff_doubles_up_to_the_cap():
    assert [backoff_s(n, 2, 600) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff_s(30, 2, 600) == 600


def test_a_fee_request_says_how_much_and_how_to_pay():
    asked = {"from_status": 4, "to_status": 6, "actor": "cv", "due_at": AT + timedelta(days=5)}
    with_fee = notice_of(
        event(EventType.FEE_REQUESTED, {**asked, "fee_amount": 150_000, "fee_collection": "at_return"})
    )
    assert with_fee is not None
    mail = render(with_fee, Channel.EMAIL, "https://dvc.example/portal")
    assert "cần nộp phí, lệ phí 150.000 đồng" in mail.text and "thanh toán trực tuyến" in mail.text
    older = notice_of(event(EventType.FEE_REQUESTED, asked))  # written before fees carried an amount
    assert older is not None and "fee" not in older.details
    assert "cần nộp phí, lệ phí để tiếp tục" in render(older, Channel.SMS, "https://dvc.example/portal").text
