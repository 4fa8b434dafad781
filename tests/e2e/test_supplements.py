"""Form 02 through the real services: a clerk asks for papers before acceptance (queue and
walk-in), the event names them and their time and nothing about the applicant; the papers come
and the dossier is accepted with a deadline; papers that never come get the dossier refused by
the system (before acceptance) or stopped (after it); a paused case is stopped by a leader; the
logbook (form 07) exports the period as CSV and XLSX with formula-like cells as text.

The services' clocks are real: a lapse is driven by asking for the papers a few seconds ahead
and polling with a deadline."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from openpyxl import load_workbook

from shared.calendar import default_calendar
from shared.events import LIFECYCLE_TOPIC
from shared.kafka import client_options
from shared.local_time import local_day
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
LAND = "1.013831"
APPLICANT = {"name": "Đỗ Thị Lan", "id_number": "001190054321", "phone": "0912000111"}
MISSING = ["Giấy chứng nhận quyền sử dụng đất đã cấp", "Hợp đồng chuyển nhượng có công chứng"]


def dossier_json(channel: str, applicant=APPLICANT) -> dict:
    return {"procedure_code": LAND, "channel": channel, "applicant": applicant, "documents": ["Đơn đăng ký"]}


def post(url: str, body: dict, auth=None, status: int = 200) -> dict:
    r = httpx.post(url, json=body, auth=auth, timeout=10)
    assert r.status_code == status, r.text
    return r.json()


async def _ends(bootstrap: str) -> dict[TopicPartition, int]:
    """The lifecycle topic's end offsets now: what is published later comes after them."""
    producer = AIOKafkaProducer(**client_options(bootstrap))
    await producer.start()
    try:
        parts = [TopicPartition(LIFECYCLE_TOPIC, p) for p in await producer.partitions_for(LIFECYCLE_TOPIC)]
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        return await consumer.end_offsets(parts)
    finally:
        await consumer.stop()


async def _find(bootstrap: str, since: dict[TopicPartition, int], code: str, type_: str, timeout: float = 20) -> bytes:
    """The raw event `type_` of `code` published after the offsets `since`."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    event = json.loads(record.value)
                    if event["dossier_code"] == code and event["type"] == type_:
                        return record.value
        raise AssertionError(f"{type_} of {code} not on the topic in {timeout} s")
    finally:
        await consumer.stop()


def test_online_dossier_asked_for_papers_then_accepted_with_a_deadline(services, staff, bootstrap):
    intake = services["intake"]
    since = asyncio.run(_ends(bootstrap))
    code = post(f"{intake}/api/v1/dossiers", dossier_json("online"), status=201)["code"]
    asked = post(
        f"{intake}/api/v1/dossiers/{code}/request-supplement",
        {"missing_documents": MISSING, "reason": "Thiếu bản chính để đối chiếu"},
        auth=staff.auth("clerk"),
    )
    assert asked["status"] == 5 and asked["accepted_at"] is None and asked["due_at"] is None

    raw = asyncio.run(_find(bootstrap, since, code, "dossier.supplement_requested"))
    event = json.loads(raw)
    payload = event["payload"]
    assert payload["from_status"] == 1 and payload["to_status"] == 5 and event["seq"] == 2
    assert payload["missing_documents"] == MISSING
    # The default: 10 working days from the request, by the calendar's due-time rule.
    requested_at = datetime.fromisoformat(event["occurred_at"])
    assert datetime.fromisoformat(payload["supplement_due_at"]) == default_calendar().due_time(requested_at, 80)
    text = raw.decode()
    assert APPLICANT["name"] not in text and APPLICANT["id_number"] not in text and APPLICANT["phone"] not in text

    form = httpx.get(f"{intake}/counter/supplement/{code}", auth=staff.auth("clerk"), timeout=10)
    assert form.status_code == 200
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in form.text and APPLICANT["name"] in form.text
    assert all(m in form.text for m in MISSING)
    assert "<script>" not in form.text and "onclick" not in form.text  # no inline script

    accepted = post(f"{intake}/api/v1/dossiers/{code}/record-supplement", {}, auth=staff.auth("clerk"))
    assert accepted["status"] == 2 and accepted["accepted_at"] and accepted["due_at"]
    accepted_at = datetime.fromisoformat(accepted["accepted_at"])
    assert datetime.fromisoformat(accepted["due_at"]) == default_calendar().due_time(accepted_at, 40)
    slip = httpx.get(f"{intake}/counter/slip/{code}", auth=staff.auth("clerk"), timeout=10)
    assert slip.status_code == 200 and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in slip.text
    wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=staff.auth("leader")).status_code,
        lambda s: s == 200,
        what="case opened from the accepted dossier",
    )


def test_walk_in_with_incomplete_papers_is_handed_in_then_asked(services, staff):
    intake = services["intake"]
    d = post(
        f"{intake}/api/v1/counter-supplements",
        {**dossier_json("counter"), "missing_documents": MISSING[:1]},
        auth=staff.auth("clerk"),
        status=201,
    )
    assert d["status"] == 5 and d["accepted_at"] is None and d["received_by"] == staff.username("clerk")
    history = wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{d['code']}/history", auth=staff.auth("clerk")).json(),
        lambda h: len(h) == 2,
        what="the walk-in's two events in its history",
    )
    assert [(h["seq"], h["type"], h["status"]) for h in history] == [
        (1, "dossier.submitted", 1),
        (2, "dossier.supplement_requested", 5),
    ]
    empty = httpx.post(
        f"{intake}/api/v1/counter-supplements",
        json={**dossier_json("counter"), "missing_documents": []},
        auth=staff.auth("clerk"),
    )
    assert empty.status_code == 422


def test_papers_not_brought_in_time_before_acceptance_the_system_refuses(services, staff):
    intake = services["intake"]
    code = post(f"{intake}/api/v1/dossiers", dossier_json("online"), status=201)["code"]
    past = httpx.post(
        f"{intake}/api/v1/dossiers/{code}/request-supplement",
        json={"missing_documents": MISSING, "supplement_due_at": "2020-01-01T00:00:00Z"},
        auth=staff.auth("clerk"),
    )
    assert past.status_code == 422, past.text
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    post(
        f"{intake}/api/v1/dossiers/{code}/request-supplement",
        {"missing_documents": MISSING, "supplement_due_at": soon},
        auth=staff.auth("clerk"),
    )
    refused = wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{code}", auth=staff.auth("clerk")).json(),
        lambda d: d["status"] == 3,
        timeout=40,
        what="refused by the system once the supplement time passed",
    )
    assert refused["refusal_reason"] == "supplement_not_provided"
    history = wait_for(
        lambda: httpx.get(f"{intake}/api/v1/dossiers/{code}/history", auth=staff.auth("clerk")).json(),
        lambda h: len(h) == 3,
        what="the refusal in the history",
    )
    assert history[-1]["type"] == "dossier.refused" and history[-1]["actor"] == "system"
    form03 = httpx.get(f"{intake}/counter/refusal/{code}", auth=staff.auth("clerk"), timeout=10)
    assert form03.status_code == 200 and "Quá thời hạn bổ sung, hoàn thiện hồ sơ" in form03.text


def _processing_case(services, staff) -> str:
    code = post(f"{services['intake']}/api/v1/dossiers", dossier_json("counter"), auth=staff.auth("clerk"), status=201)[
        "code"
    ]
    resolution = services["resolution"]
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=staff.auth("leader")).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    post(f"{resolution}/api/v1/cases/{code}/start-processing", {"reason": "e2e"}, auth=staff.auth("officer_land"))
    return code


def test_after_acceptance_papers_not_brought_in_time_stop_the_case(services, staff):
    resolution = services["resolution"]
    code = _processing_case(services, staff)
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    paused = post(
        f"{resolution}/api/v1/cases/{code}/request-supplement",
        {"reason": "Thiếu hợp đồng", "missing_documents": MISSING[1:], "supplement_due_at": soon},
        auth=staff.auth("officer_land"),
    )
    assert paused["status"] == 5
    stopped = wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=staff.auth("leader")).json(),
        lambda r: r["case"]["status"] == 8,
        timeout=30,
        what="stopped by the watcher once the supplement time passed",
    )
    last = stopped["history"][-1]
    assert (last["event_type"], last["from_status"], last["to_status"]) == ("dossier.stopped", 5, 8)
    assert last["actor"] == "system" and last["reason"] == "supplement_not_provided"
    assert [h["event_type"] for h in stopped["history"]].count("dossier.stopped") == 1


def test_a_paused_case_is_stopped_by_a_leader_and_the_forms_know_the_agency(services, staff):
    resolution = services["resolution"]
    code = _processing_case(services, staff)
    post(
        f"{resolution}/api/v1/cases/{code}/request-supplement",
        {"reason": "Thiếu giấy tờ", "missing_documents": MISSING},
        auth=staff.auth("officer_land"),
    )
    forms = httpx.get(f"{resolution}/api/v1/cases/{code}/forms", auth=staff.auth("leader")).json()
    assert forms["missing_documents"] == MISSING and forms["agency_name"]
    requested = datetime.fromisoformat(forms["supplement_requested_at"])
    assert datetime.fromisoformat(forms["supplement_due_at"]) == default_calendar().due_time(requested, 80)
    case = httpx.get(f"{resolution}/api/v1/cases/{code}", auth=staff.auth("leader")).json()["case"]
    assert "stop" in case["allowed_actions"]
    stopped = post(
        f"{resolution}/api/v1/cases/{code}/stop", {"reason": "Hồ sơ không đủ điều kiện"}, auth=staff.auth("leader")
    )
    assert stopped["status"] == 8


def test_logbook_exports_the_period_with_formula_cells_as_text(services, staff):
    intake = services["intake"]
    tricky = {"name": '=HYPERLINK("http://x")', "id_number": "001190099999", "address": "@SUM(A1)"}
    code = post(
        f"{intake}/api/v1/dossiers", dossier_json("counter", applicant=tricky), auth=staff.auth("clerk"), status=201
    )["code"]
    day = local_day(datetime.now(UTC)).isoformat()
    url = f"{intake}/api/v1/logbook?from={day}&to={day}"

    rows = httpx.get(url, auth=staff.auth("clerk"), timeout=30).json()["rows"]
    mine = next(r for r in rows if r["code"] == code)
    assert mine["applicant"] == tricky["name"] and mine["status"] == "Được tiếp nhận" and mine["due_at"]

    csv_text = httpx.get(url + "&format=csv", auth=staff.auth("clerk"), timeout=30).content.decode("utf-8-sig")
    assert "SỔ THEO DÕI HỒ SƠ" in csv_text
    line = next(x for x in csv_text.splitlines() if code in x)
    assert "'=HYPERLINK" in line and "'@SUM(A1)" in line

    xlsx = httpx.get(url + "&format=xlsx", auth=staff.auth("clerk"), timeout=30)
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    found = next(r for r in sheet.iter_rows() if r[1].value == code)
    assert found[3].value == tricky["name"] and found[3].data_type == "s"
    assert found[4].value == "@SUM(A1)" and found[4].data_type == "s"

    assert httpx.get(url, auth=staff.auth("officer_land")).status_code == 403
    assert httpx.get(url).status_code == 401
    assert httpx.get(f"{intake}/api/v1/logbook?from={day}&to=2000-01-01", auth=staff.auth("clerk")).status_code == 422
    far = httpx.get(f"{intake}/api/v1/logbook?from=9999-12-31&to=9999-12-31", auth=staff.auth("clerk"))
    assert far.status_code == 422 and far.json()["error"]["message_vi"]
