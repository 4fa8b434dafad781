"""Between agencies (liên thông) through the running services: a land dossier received at the counter
goes to the tax office for its tax step, the tax officer sees it in the other agency's worklist and
sends it back, resolve waits for the return and the approval, the events keep one continuous seq, and
the statistics count it once, in the competent agency. For the pausing procedure the due time after
the return is moved by the working time away."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.local._common import run_coro
from shared.calendar import default_calendar
from shared.events import LIFECYCLE_TOPIC
from shared.kafka import end_offsets
from tests.e2e.test_inside_agency import _events_since, agency_staff, call, within_step  # noqa: F401 (a fixture)
from tests.e2e.test_lifecycle_end_to_end import wait_for
from tests.e2e.test_province_shape import HOAN_KIEM, LAND_OFFICE, receive, stats_row

pytestmark = pytest.mark.e2e
TAX = "000.00.40.H26"


def _opened(services, code, auth):
    return wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=auth, timeout=5),
        lambda r: r.status_code == 200,
        what=f"case {code} opened",
    ).json()["case"]


def test_a_land_dossier_goes_to_the_tax_office_and_back_and_is_counted_once(services, agency_staff, bootstrap):  # noqa: F811
    staff, res = agency_staff, services["resolution"]
    base = f"{res}/api/v1/cases"
    start = run_coro(end_offsets(bootstrap, LIFECYCLE_TOPIC))
    got = receive(services, staff.auth("clerk"), "1.013831")
    assert got.status_code == 201, got.text
    code = got.json()["code"]
    officer, tax, leader = staff.auth("officer_land"), staff.auth("officer_tax"), staff.auth("leader_land")
    case = _opened(services, code, officer)
    assert case["process"][2]["agency_id"] == TAX and case["process"][2]["clock"] == "runs"
    call("POST", f"{base}/{code}/start-processing", officer, {})
    call("POST", f"{base}/{code}/send", tax, {}, status=403)  # the tax office cannot take it
    case = call("POST", f"{base}/{code}/send", officer, {"reason": "Xác định nghĩa vụ tài chính"})
    assert (case["away_agency_id"], case["away_step"], case["status"]) == (TAX, 2, 4)
    assert "at_other_agency" in case["missing_for_decision"]
    due = case["due_at"]

    seen = call("GET", f"{base}/{code}", tax)["case"]  # the tax office reads the case while it is there
    assert (seen["visiting"], seen["may_send_back"], seen["allowed_actions"]) == (True, True, [])
    assert not call("GET", f"{base}/{code}", officer)["case"]["visiting"]
    away = call("GET", f"{res}/api/v1/worklist?view=with_other_agency&limit=1000", tax)
    assert code in [c["code"] for c in away], "the tax office sees it"
    mine = call("GET", f"{res}/api/v1/worklist?view=mine&limit=1000", officer)
    assert code in [c["code"] for c in mine], "the competent agency still sees it"
    call("POST", f"{base}/{code}/approve", leader, {})
    refused = call("POST", f"{base}/{code}/resolve", leader, {}, status=409)
    assert "at_other_agency" in refused["error"]["missing"]
    call("POST", f"{base}/{code}/send-back", officer, {}, status=403)  # only the tax office sends it back
    back = call("POST", f"{base}/{code}/send-back", tax, {"reason": "Đã có thông báo thuế"})
    assert back["away_agency_id"] is None and back["due_at"] == due, "the clock ran: the due time stays"
    done = call("POST", f"{base}/{code}/resolve", leader, {})
    assert done["status"] == 9
    lines = call("GET", f"{base}/{code}", leader)["handovers"]
    trip = [(h["from_assignee"], h["assignee"], h["result"]) for h in lines[-2:]]
    holder = staff.username("officer_land")
    expected = [within_step(h) for h in lines[-2:]]
    assert trip == [(holder, f"Cơ quan {TAX}", expected[0]), (f"Cơ quan {TAX}", holder, expected[1])], "form 06"

    def published():
        return run_coro(_events_since(bootstrap, start, code))

    events = wait_for(published, lambda es: any(e.type == "dossier.resolved" for e in es), what="events")
    types = [e.type for e in events]
    assert (
        types.index("dossier.sent_to_agency")
        < types.index("dossier.back_from_agency")
        < types.index("dossier.resolved")
    )
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "one continuous seq"
    row = wait_for(lambda: stats_row(code), lambda r: r is not None, what="stats fact")
    assert row[0] == LAND_OFFICE, "counted once, in the competent agency"


def test_the_pausing_procedure_moves_the_due_time_by_the_time_away(services, staff, bootstrap):
    res = services["resolution"]
    start = run_coro(end_offsets(bootstrap, LIFECYCLE_TOPIC))
    got = receive(services, staff.auth("clerk"), "1.013978", HOAN_KIEM)
    assert got.status_code == 201, got.text
    code = got.json()["code"]
    officer, tax = staff.auth("officer_commune"), staff.auth("officer_tax")
    _opened(services, code, officer)
    call("POST", f"{res}/api/v1/cases/{code}/start-processing", officer, {})
    sent = call("POST", f"{res}/api/v1/cases/{code}/send", officer, {})
    assert sent["away_clock"] == "pauses"
    back = call("POST", f"{res}/api/v1/cases/{code}/send-back", tax, {})
    events = wait_for(
        lambda: run_coro(_events_since(bootstrap, start, code)),
        lambda es: any(e.type == "dossier.back_from_agency" for e in es),
        what="the return on the topic",
    )
    returned = next(e for e in events if e.type == "dossier.back_from_agency")
    moved = default_calendar().extend_for_pause(
        datetime.fromisoformat(sent["due_at"]), datetime.fromisoformat(sent["away_since"]), returned.occurred_at
    )
    assert datetime.fromisoformat(back["due_at"]) == moved == returned.payload.due_at


def test_an_imported_history_with_a_trip_to_the_tax_office_replays_it(services, staff):
    """A legacy line recording the trip to the tax office and back (the pausing procedure): resolution
    replays it through the live rules, so its events, form 06's lines and the moved due time are the
    ones a live trip would have written."""
    from tests.e2e.test_import_end_to_end import import_file

    code, t = f"E2E-LT-{uuid.uuid4().hex[:8]}", datetime(2025, 3, 3, 1, 30, tzinfo=UTC)  # Mon 08:30 Hà Nội
    history = [
        {"status": 2, "actor": "canbo.tn"},
        {"action": "assign", "assignee": "canbo.xuly", "actor": "lanhdao.cu"},
        {"status": 4, "actor": "canbo.xuly"},
        {"action": "send", "step": 3, "agency_id": TAX, "actor": "canbo.xuly"},
        {"action": "send_back", "actor": "canbo.thue"},
        {"status": 9, "actor": "lanhdao.cu"},
        {"status": 10, "actor": "canbo.tn"},
    ]
    times = [t, t + timedelta(hours=1), t + timedelta(hours=2)] + [t + timedelta(days=n) for n in range(1, 5)]
    line = {
        "code": code,
        "procedure_code": "1.013978",
        "agency_id": HOAN_KIEM,
        "channel": "counter",
        "applicant": {"name": "Đỗ Thị Hoa", "id_number": "001199007788"},
        "history": [{**h, "at": when.isoformat()} for h, when in zip(history, times, strict=True)],
    }
    done = import_file(services, json.dumps(line, ensure_ascii=False) + "\n", staff.auth("leader"))
    assert done["imported"] == 1 and done["errors"] == [], done
    got = wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=staff.auth("leader"), timeout=5),
        lambda r: r.status_code == 200 and r.json()["case"]["status"] == 10,
        what="imported case replayed to the end",
    ).json()
    types = [h["event_type"] for h in got["history"]]
    assert types[3:5] == ["dossier.sent_to_agency", "dossier.back_from_agency"], types
    assert [(h["from_assignee"], h["assignee"]) for h in got["handovers"]][-2:] == [
        ("canbo.xuly", f"Cơ quan {TAX}"),
        (f"Cơ quan {TAX}", "canbo.xuly"),
    ]
    cal = default_calendar()  # 1.013978 is due 160 working hours after acceptance
    assert datetime.fromisoformat(got["case"]["due_at"]) == cal.extend_for_pause(
        cal.due_time(times[0], 160), times[3], times[4]
    ), "the clock paused while away"
