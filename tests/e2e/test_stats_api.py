"""The stats API as its users meet it: the stream moves, reports come as files, bad periods
get clear errors, the overdue list carries no personal data."""

from __future__ import annotations

import io
import json
import queue
import threading
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from openpyxl import load_workbook

from tests.e2e.test_lifecycle_end_to_end import APPLICANT, receive

pytestmark = pytest.mark.e2e


def _stream_boards(url: str, out: queue.Queue, stop: threading.Event) -> None:
    with httpx.stream("GET", url, timeout=httpx.Timeout(10.0, read=30.0)) as r:
        out.put(("status", r.status_code, r.headers.get("content-type")))
        for line in r.iter_lines():
            if line.startswith("data: "):
                out.put(("board", json.loads(line[6:])))
            if stop.is_set():
                return


def test_the_stream_shows_a_new_dossier_without_asking(services, staff):
    out, stop = queue.Queue(), threading.Event()
    reader = threading.Thread(
        target=_stream_boards, args=(f"{services['stats']}/api/v1/stats/live/stream", out, stop), daemon=True
    )
    reader.start()
    try:
        assert out.get(timeout=10)[0:2] == ("status", 200)
        first = out.get(timeout=10)[1]
        receive(services, "counter", staff.auth("clerk"))
        deadline = datetime.now() + timedelta(seconds=5)
        while True:
            remaining = (deadline - datetime.now()).total_seconds()
            assert remaining > 0, "the stream did not show the new dossier within 5 s"
            _kind, board = out.get(timeout=remaining)
            if board["received_today"] == first["received_today"] + 1:
                break
    finally:
        stop.set()


def test_report_files_and_bad_periods(services):
    today = datetime.now(timezone(timedelta(hours=7))).date()
    base = f"{services['stats']}/api/v1/stats/report"
    period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    as_json = httpx.get(base, params=period, timeout=10).json()
    assert as_json["form"] == "Biểu số 06/VPCP/KSTT" and as_json["unaccounted"] == 0
    assert as_json["total"]["received_total"] >= 1

    as_csv = httpx.get(base, params={**period, "format": "csv"}, timeout=10)
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    assert as_csv.content.decode("utf-8-sig").splitlines()[0] == "Biểu số 06/VPCP/KSTT"

    as_xlsx = httpx.get(base, params={**period, "format": "xlsx", "group_by": "procedure"}, timeout=10)
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet["A1"].value == "Biểu số 06/VPCP/KSTT"

    backwards = httpx.get(base, params={"from": today.isoformat(), "to": (today - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422
    error = backwards.json()["error"]
    assert "trước ngày bắt đầu" in error["message_vi"] and "before" in error["message_en"]
    assert httpx.get(base, params={"from": "2026-13-01", "to": "2026-12-01"}).status_code == 422
    assert httpx.get(base, params={**period, "group_by": "applicant"}).status_code == 422

    quality = httpx.get(f"{services['stats']}/api/v1/stats/quality", params=period, timeout=10).json()
    assert quality["groups"][1] == {
        "key": "progress",
        "points": 20,
        "vi": "Tiến độ giải quyết",
        "en": "Progress of resolution",
    }
    assert quality["total"]["indicators"]["on_time"]["denominator"] >= 1
    by_month = httpx.get(f"{services['stats']}/api/v1/stats/quality", params={"period": "month"}, timeout=10).json()
    next_month = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert (by_month["from"], by_month["to"]) == (period["from"], (next_month - timedelta(days=1)).isoformat())
    both = httpx.get(f"{services['stats']}/api/v1/stats/quality", params={**period, "period": "week"}, timeout=10)
    assert both.status_code == 422 and "không cả hai" in both.json()["error"]["message_vi"]


def test_groups_series_and_overdue_list_carry_no_personal_data(services, staff):
    receive(services, "post", staff.auth("clerk"))
    groups = httpx.get(f"{services['stats']}/api/v1/stats/live/groups", params={"by": "agency"}, timeout=10).json()
    assert groups["rows"] and all(r["name"] for r in groups["rows"])
    series = httpx.get(f"{services['stats']}/api/v1/stats/daily", params={"days": 30}, timeout=10).json()["days"]
    assert len(series) == 30 and series[-1]["received"] >= 1
    overdue = httpx.get(f"{services['stats']}/api/v1/stats/overdue", timeout=10)
    assert overdue.status_code == 200
    text = overdue.text + json.dumps(groups) + json.dumps(series)
    assert APPLICANT["id_number"] not in text and APPLICANT["phone"] not in text and APPLICANT["name"] not in text
