"""Inside an agency, through the running services: a leader assigns, the holder transfers to another
officer and step, resolve is refused until a leader approves, the events on the topic keep one
continuous seq, and the control slip (form 06 of Circular 03/2025) lists each hand-over; a dossier
received at intake is assigned by rule.

The catalogue does not carry processes yet, so the dossier with a process enters as intake's
`dossier.accepted` would carry it (the contract of 314e6bf), published on the lifecycle topic."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local._common import run_coro
from shared.calendar import default_calendar
from shared.events import LIFECYCLE_TOPIC, EventType, encode, parse_event
from shared.kafka import client_options, end_offsets
from shared.local_time import local_day
from tests.e2e.test_lifecycle_end_to_end import wait_for
from tests.events import accepted_item

pytestmark = pytest.mark.e2e
LAND = "000.00.31.H26"
PROCESS = [
    {"name": "Tiếp nhận hồ sơ", "role": "clerk", "hours": 4},
    {"name": "Thẩm định hồ sơ", "role": "officer", "hours": 16},
    {"name": "Kiểm tra, trình ký", "role": "officer", "hours": 8},
    {"name": "Phê duyệt kết quả", "role": "leader", "hours": 8},
]
# Accounts of the land agency besides tests/conftest.py's: a second officer and the agency's leader.
EXTRA = {"officer_land2": ("officer", LAND), "leader_land": ("leader", LAND)}


def within_step(line: dict) -> str:
    """What form 06 must say of a line handed on within its step: 'early' on a local day before the
    step's due day, else 'on_time'. Worked out here from the line's own times, because a test run
    between midnight and the start of work hands on on the very day the step falls due."""
    ended, due = datetime.fromisoformat(line["ended_at"]), datetime.fromisoformat(line["step_due_at"])
    assert ended <= due, f"handed on after the step's due time: {line}"
    return "early" if local_day(ended) < local_day(due) else "on_time"


def in_view(services, view: str, auth, code: str, page: int = 500) -> bool:
    """Whether `code` is in a worklist view, read page by page (other tests leave many cases)."""
    for offset in range(0, 20_000, page):
        rows = call("GET", f"{services['resolution']}/api/v1/worklist?view={view}&limit={page}&offset={offset}", auth)
        if code in [c["code"] for c in rows]:
            return True
        if len(rows) < page:
            return False
    return False


@pytest.fixture(scope="module")
def agency_staff(staff, endpoints):
    from deploy.users import write_accounts
    from shared.auth import Account, Role
    from shared.auth.passwords import hash_password
    from tests.conftest import owner_urls

    entries = [
        (Account(staff.username(k), Role(role), agency), hash_password(staff.password(k)), True)
        for k, (role, agency) in EXTRA.items()
    ]
    run_coro(write_accounts(owner_urls(endpoints), entries))
    return staff


async def _events_since(bootstrap: str, start: dict[TopicPartition, int], code: str) -> list:
    """Every event of `code` published after `start`, read to the topic's end now."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(start))
        for tp, offset in start.items():
            consumer.seek(tp, offset)
        end = await consumer.end_offsets(list(start))
        found = []
        while [tp for tp in start if await consumer.position(tp) < end[tp]]:  # a list: `any` takes no awaits
            batch = await consumer.getmany(timeout_ms=500)
            found += [parse_event(r.value) for records in batch.values() for r in records if r.key == code.encode()]
        return sorted(found, key=lambda e: e.seq)
    finally:
        await consumer.stop()


async def _publish_accepted(bootstrap: str, code: str) -> None:
    now = datetime.now(UTC)
    due = default_calendar().due_time(now, 40)
    item = accepted_item(
        code,
        accepted_at=now,
        due_at=due,
        agency=LAND,
        procedure="1.013831",
        hours=40,
        process=PROCESS,
        requires_approval=True,
    )
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(LIFECYCLE_TOPIC, encode(item.message), key=code.encode())
    finally:
        await producer.stop()


def call(method, url, auth, body=None, status=200):
    r = httpx.request(method, url, json=body, auth=auth, timeout=10)
    assert r.status_code == status, r.text
    return r.json()


def test_assign_transfer_approve_resolve_and_the_control_slip(services, agency_staff, bootstrap):
    staff, base = agency_staff, f"{services['resolution']}/api/v1/cases"
    code = f"E2E-GIAO-{uuid.uuid4().hex[:8]}"
    start = run_coro(end_offsets(bootstrap, LIFECYCLE_TOPIC))
    run_coro(_publish_accepted(bootstrap, code))
    leader, an, binh = staff.auth("leader_land"), staff.auth("officer_land"), staff.auth("officer_land2")
    case = wait_for(
        lambda: httpx.get(f"{base}/{code}", auth=leader, timeout=5),
        lambda r: r.status_code == 200,
        what="case opened",
    ).json()["case"]
    assert (case["step"], case["step_name"], case["assignee"]) == (1, "Thẩm định hồ sơ", None)
    assert case["missing_for_decision"] == ["assignment", "approval"]
    assert in_view(services, "unassigned", leader, code)

    # Only a leader assigns, and only to an active officer or leader of the agency.
    call("POST", f"{base}/{code}/assign", an, {"assignee": staff.username("officer_land")}, status=403)
    wrong = call("POST", f"{base}/{code}/assign", leader, {"assignee": staff.username("officer_police")}, status=422)
    assert "không phải chuyên viên" in wrong["error"]["message_vi"] and "not an active" in wrong["error"]["message_en"]
    case = call("POST", f"{base}/{code}/assign", leader, {"assignee": staff.username("officer_land")})
    assert case["assignee"] == staff.username("officer_land")
    assert in_view(services, "mine", an, code)

    call("POST", f"{base}/{code}/start-processing", an, {})
    call("POST", f"{base}/{code}/transfer", binh, {"to": staff.username("officer_land2"), "step": 2}, status=403)
    case = call("POST", f"{base}/{code}/transfer", an, {"to": staff.username("officer_land2"), "step": 2})
    assert (case["assignee"], case["step"], case["step_name"]) == (
        staff.username("officer_land2"),
        2,
        "Kiểm tra, trình ký",
    )
    refused = call("POST", f"{base}/{code}/resolve", binh, {}, status=409)
    assert refused["error"]["missing"] == ["approval"] and "phê duyệt" in refused["error"]["message_vi"]
    to_officer = call(
        "POST", f"{base}/{code}/transfer", binh, {"to": staff.username("officer_land"), "step": 3}, status=422
    )
    assert "lãnh đạo" in to_officer["error"]["message_vi"]
    call("POST", f"{base}/{code}/transfer", binh, {"to": staff.username("leader_land"), "step": 3})
    assert in_view(services, "awaiting_approval", leader, code)
    call("POST", f"{base}/{code}/approve", binh, status=403)
    case = call("POST", f"{base}/{code}/approve", leader)
    assert case["approved_by"] == staff.username("leader_land") and case["missing_for_decision"] == []
    assert call("POST", f"{base}/{code}/resolve", leader, {"reason": "Đủ điều kiện"})["status"] == 9
    late = call("POST", f"{base}/{code}/transfer", leader, {"to": staff.username("officer_land")}, status=409)
    assert late["error"]["message_vi"] and late["error"]["message_en"]

    full = call("GET", f"{base}/{code}", leader)
    lines = [(h["step_name"], h["from_assignee"], h["assignee"], h["result"]) for h in full["handovers"]]
    got = [within_step(h) for h in full["handovers"]]
    assert lines == [
        ("Thẩm định hồ sơ", None, staff.username("officer_land"), got[0]),
        ("Kiểm tra, trình ký", staff.username("officer_land"), staff.username("officer_land2"), got[1]),
        ("Phê duyệt kết quả", staff.username("officer_land2"), staff.username("leader_land"), got[2]),
    ]
    words = {"early": "Trước hạn", "on_time": "Đúng hạn"}
    assert [h["result_vi"] for h in full["handovers"]] == [words[r] for r in got]
    assert all(h["step_due_at"] for h in full["handovers"])

    events = wait_for(
        lambda: run_coro(_events_since(bootstrap, start, code)),
        lambda es: es and es[-1].type == EventType.RESOLVED.value,
        what="resolution's events on the topic",
    )
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "one writer, continuous seq"
    assert [e.type for e in events] == [
        "dossier.accepted",
        "dossier.assigned",
        "dossier.processing_started",
        "dossier.assigned",
        "dossier.assigned",
        "dossier.approved",
        "dossier.resolved",
    ]
    handed = events[4].payload
    assert (handed.from_assignee, handed.assignee, handed.step, handed.previous_step_on_time) == (
        staff.username("officer_land2"),
        staff.username("leader_land"),
        3,
        True,
    )


def test_a_dossier_received_at_intake_is_assigned_by_rule(services, agency_staff):
    staff, resolution = agency_staff, services["resolution"]
    r = httpx.post(
        f"{services['intake']}/api/v1/dossiers",
        auth=staff.auth("clerk"),
        json={
            "procedure_code": "1.013831",
            "channel": "counter",
            "applicant": {"name": "Lê Văn Tâm", "id_number": "001190054321"},
        },
        timeout=10,
    )
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    leader = staff.auth("leader")  # centre-wide
    wait_for(
        lambda: httpx.get(f"{resolution}/api/v1/cases/{code}", auth=leader, timeout=5).status_code,
        lambda s: s == 200,
        what="case opened",
    )
    candidates = call("GET", f"{resolution}/api/v1/cases/{code}/candidates", leader)
    officers = [c for c in candidates if c["role"] == "officer"]
    expected = min(officers, key=lambda c: (c["open_cases"], c["username"]))["username"]
    case = call("POST", f"{resolution}/api/v1/cases/{code}/assign", leader, {"auto": True})
    # the first step of the catalogue's process that is not the counter's
    assert case["assignee"] == expected and case["step_name"] == "Kiểm tra hồ sơ, chuyển thông tin địa chính"
    assert case["missing_for_decision"] == ["approval"], "the land office's results are signed by a leader"
    ours = {staff.username(k): k for k in ("officer_land", "officer_land2")}
    if expected in ours:  # an account whose password the tests know: its "Của tôi" lists the case
        assert in_view(services, "mine", staff.auth(ours[expected]), code)
    slip = call("GET", f"{resolution}/api/v1/cases/{code}", leader)
    assert [(h["assignee"], h["actor"]) for h in slip["handovers"]] == [(expected, staff.username("leader"))]
    assert [h["event_type"] for h in slip["history"]] == ["dossier.accepted", "dossier.assigned"]


async def test_an_imported_history_keeps_its_hand_over_and_approval(services, agency_staff, endpoints):
    """A legacy line whose history names who was handed the dossier and who approved it: resolution
    replays both through the same rules, so its control slip has them. (Old, and returned: no
    figure of today and no stock moves.)"""
    from tests.e2e.settle import settle
    from tests.e2e.test_import_end_to_end import import_file

    staff, code = agency_staff, f"E2E-GIAO-{uuid.uuid4().hex[:8]}"
    t = datetime(2025, 3, 3, 1, 30, tzinfo=UTC)  # Monday 08:30 in Hà Nội
    history = [
        {"status": 2, "actor": "canbo.tn"},
        {"action": "assign", "assignee": "canbo.xuly", "actor": "lanhdao.cu"},
        {"status": 4, "actor": "canbo.xuly"},
        {"action": "approve", "actor": "lanhdao.cu"},
        {"status": 9, "actor": "lanhdao.cu"},
        {"status": 10, "actor": "canbo.tn"},
    ]
    line = {
        "code": code,
        "procedure_code": "1.013831",
        "channel": "counter",
        "applicant": {"name": "Đỗ Thị Hoa", "id_number": "001199007788"},
        "history": [{**h, "at": (t + timedelta(hours=n)).isoformat()} for n, h in enumerate(history)],
    }
    done = import_file(services, json.dumps(line, ensure_ascii=False) + "\n", staff.auth("leader"))
    assert done["imported"] == 1, done
    case = wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=staff.auth("leader"), timeout=5),
        lambda r: r.status_code == 200,
        what="imported case replayed",
    ).json()
    assert (case["case"]["status"], case["case"]["assignee"], case["case"]["approved_by"]) == (
        10,
        "canbo.xuly",
        "lanhdao.cu",
    )
    assert [h["seq"] for h in case["history"]] == [1, 2, 3, 4, 5, 6]
    assert [h["event_type"] for h in case["history"]][1:4] == [
        "dossier.assigned",
        "dossier.processing_started",
        "dossier.approved",
    ]
    assert [(h["from_assignee"], h["assignee"], h["actor"]) for h in case["handovers"]] == [
        (None, "canbo.xuly", "lanhdao.cu")
    ]
    await settle(endpoints)
