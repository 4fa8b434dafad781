"""The endpoints added for the pages, through the API: upload limits with bilingual answers, the
supplement only when asked, and form 04's rules and agency check."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.e2e.test_staff_access import wait_for

pytestmark = pytest.mark.e2e
LAND = "1.013831"
ID_NUMBER = "001177066554"
PDF = b"%PDF-1.4\n%%EOF\n"


PINS: dict[str, str] = {}  # code -> its tracking secret, from the online answer


def _online(intake: str) -> str:
    r = httpx.post(
        f"{intake}/api/v1/dossiers",
        json={
            "procedure_code": LAND,
            "channel": "online",
            "applicant": {"name": "Tạ Văn Khoa", "id_number": ID_NUMBER},
        },
    )
    PINS[r.json()["code"]] = r.json()["tracking_pin"]
    return r.json()["code"]


def _upload(intake, code, files, id_number=ID_NUMBER, what=""):
    data = {"id_number": id_number, "pin": PINS[code]}
    return httpx.post(f"{intake}/api/v1/uploads/{code}{what}", data=data, files=files, timeout=30)


def test_uploads_are_checked_by_content_and_size_and_told_in_both_languages(services, staff):
    intake = services["intake"]
    code = _online(intake)
    r = _upload(intake, code, [("files", ("to-khai.pdf", b"MZ not a pdf", "application/pdf"))])
    assert r.status_code == 422 and "không đúng định dạng" in r.json()["error"]["message_vi"]
    assert "not of an allowed type" in r.json()["error"]["message_en"]
    r = _upload(intake, code, [("files", ("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf"))])
    assert r.status_code == 422 and "vượt quá 5 MB" in r.json()["error"]["message_vi"]
    assert (
        _upload(intake, code, [("files", ("a.pdf", PDF, "application/pdf"))], id_number="001177000000").status_code
        == 404
    )  # never by code alone
    r = _upload(intake, code, [("files", ("a\u202efdp.exe", PDF, "application/octet-stream"))])
    assert r.status_code == 201, r.text
    listed = httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments", auth=staff.auth("clerk")).json()
    assert listed[0]["content_type"] == "application/pdf" and listed[0]["size_bytes"] == len(PDF)
    assert listed[0]["filename"] == "afdp.exe"  # the right-to-left override is gone
    got = httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments/{listed[0]['id']}", auth=staff.auth("clerk"))
    assert got.content == PDF
    assert got.headers["content-disposition"] == f'attachment; filename="{code}-{listed[0]["id"]}.pdf"'
    assert httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments").status_code == 401
    # A supplement nobody asked for is refused with the status it is in.
    r = _upload(intake, code, [("files", ("b.pdf", PDF, "application/pdf"))], what="/supplement")
    assert r.status_code == 409 and r.json()["error"]["current_status"] == 1


def test_a_dossier_takes_uploads_up_to_its_quota_and_keeps_them_when_one_more_is_refused(services, staff):
    intake = services["intake"]
    code = _online(intake)
    batch = [("files", (f"{i}.pdf", PDF, "application/pdf")) for i in range(10)]
    for _ in range(4):  # 40 files: the quota
        assert _upload(intake, code, batch).status_code == 201
    r = _upload(intake, code, batch[:1])
    assert r.status_code == 422 and "tối đa 40 tệp" in r.json()["error"]["message_vi"], r.text
    listed = httpx.get(f"{intake}/api/v1/dossiers/{code}/attachments", auth=staff.auth("clerk")).json()
    assert len(listed) == 40


def test_apology_rules_and_agency(services, staff):
    intake, resolution = services["intake"], services["resolution"]
    code = _online(intake)
    httpx.post(f"{intake}/api/v1/dossiers/{code}/accept", auth=staff.auth("clerk"), json={})
    land, police = staff.auth("officer_land"), staff.auth("officer_police")
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=land).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    due = datetime.fromisoformat(httpx.get(f"{resolution}/api/v1/cases/{code}", auth=land).json()["case"]["due_at"])
    url = f"{resolution}/api/v1/cases/{code}/apology"
    later = {"reason": "Chờ xác minh", "new_appointment_at": (due + timedelta(days=2)).isoformat()}
    assert httpx.post(url, auth=police, json=later).status_code == 403
    assert httpx.post(url, auth=staff.auth("clerk"), json=later).status_code == 403
    early = httpx.post(url, auth=land, json={**later, "new_appointment_at": (due - timedelta(hours=1)).isoformat()})
    assert early.status_code == 409 and "Ngày hẹn mới" in early.json()["error"]["message_vi"]
    r = httpx.post(url, auth=land, json=later)
    assert r.status_code == 200, r.text
    assert r.json()["due_at"] == httpx.get(f"{resolution}/api/v1/cases/{code}", auth=land).json()["case"]["due_at"]
    slip = httpx.get(f"{resolution}/api/v1/cases/{code}", auth=land).json()["history"]
    assert slip[-1]["event_type"] == "dossier.apology_issued" and slip[-1]["reason"] == "Chờ xác minh"
