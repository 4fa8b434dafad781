"""The report's two worked examples and the staffing view, at the API and in the XLSX officers sign,
for dossiers imported with their real history (historical times, the real working calendar):

- March: submitted online on Friday 27/02/2026, accepted on Monday 02/03 and decided that day:
  beside the form in February (submitted online, awaiting at the end), received online in March.
- The paused clock: a same-day procedure (0 working hours) accepted 08:57 on Wednesday 29/04/2026,
  in processing 09:12, waiting for a fee 10:12-14:12; the wait moves its due time to Monday 04/05
  09:00 (30/04 and 01/05 are holidays, then a weekend): within at the end of 29/04, of April and of
  every day up to 03/05, overdue at the end of 04/05.

The test profile keeps its databases between runs, so every figure is a change across the import.
"""

from __future__ import annotations

import io
import json
import uuid

import httpx
import pytest
from openpyxl import load_workbook

from tests.e2e.test_import_end_to_end import import_file
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
SAME_DAY = "1.012789"  # Cung cấp thông tin, dữ liệu đất đai: 0 working hours, clock policy pause
PERIODS = {
    "february": ("2026-02-01", "2026-02-28"),
    "march": ("2026-03-01", "2026-03-31"),
    "29/04": ("2026-04-29", "2026-04-29"),
    "april": ("2026-04-01", "2026-04-30"),
    "03/05": ("2026-04-29", "2026-05-03"),
    "04/05": ("2026-05-04", "2026-05-04"),
}
# Columns of the sheet: (3) received, (4) online, (9) on time, (12) within, (13) overdue,
# (16) paused, (19) submitted online, (22) awaiting.
SHEET_COLUMNS = (3, 4, 9, 12, 13, 16, 19, 22)
KEYS = (
    "received_total",
    "received_online",
    "resolved_on_time",
    "in_processing_within",
    "in_processing_overdue",
    "paused_total",
    "submitted_online",
    "awaiting",
)


def line(code: str, channel: str, steps: list[tuple[int, str, str]]) -> str:
    return json.dumps(
        {
            "code": code,
            "procedure_code": SAME_DAY,
            "channel": channel,
            "applicant": {"name": "Lê Thị Hoa", "id_number": "001199000333", "phone": "0904000333"},
            "history": [{"status": s, "at": f"2026-{t}:00+07:00", "actor": a} for s, t, a in steps],
        },
        ensure_ascii=False,
    )


def report(services, period: tuple[str, str], fmt: str = "json"):
    r = httpx.get(
        f"{services['stats']}/api/v1/stats/report",
        params={"from": period[0], "to": period[1], "procedure": SAME_DAY, "format": fmt},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r


def figures(services) -> dict[str, dict[str, tuple]]:
    """Per period: the JSON total's columns and the same columns read off the XLSX total row."""
    out = {}
    for name, period in PERIODS.items():
        answer = report(services, period).json()
        assert answer["unaccounted"] == 0
        sheet = load_workbook(io.BytesIO(report(services, period, "xlsx").content)).active
        # read apart from the JSON: the import may add a row in between (the poll then asks again)
        row = next(r for r in range(10, sheet.max_row + 1) if sheet.cell(r, 2).value == "Tổng cộng")
        out[name] = {
            "api": tuple(answer["total"][k] for k in KEYS),
            "xlsx": tuple(sheet.cell(row, c).value for c in SHEET_COLUMNS),
        }
    return out


def change(after: dict, before: dict) -> dict[str, dict[str, tuple]]:
    return {
        p: {src: tuple(a - b for a, b in zip(after[p][src], before[p][src], strict=True)) for src in after[p]}
        for p in after
    }


def staffing(services, officer: str) -> dict:
    r = httpx.get(
        f"{services['stats']}/api/v1/stats/staffing",
        params={"from": "2026-04-01", "to": "2026-04-30", "agency": "000.00.31.H26"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    return {"answer": answer, "officer": next((o for o in answer["officers"] if o["handler"] == officer), None)}


def test_march_and_paused_clock_examples_and_who_holds_them(services, staff):
    run = uuid.uuid4().hex[:8].upper()
    officer, clerk = f"canbo.{run.lower()}", f"motcua.{run.lower()}"
    march = line(
        f"F06-{run}-M",
        "online",
        [
            (1, "02-27T10:00", "citizen"),
            (2, "03-02T09:00", clerk),
            (4, "03-02T09:30", officer),
            (9, "03-02T10:00", officer),
        ],
    )
    paused = line(
        f"F06-{run}-P",
        "counter",
        [
            (2, "04-29T08:57", clerk),
            (4, "04-29T09:12", officer),
            (6, "04-29T10:12", officer),
            (4, "04-29T14:12", officer),
        ],
    )
    decided = line(
        f"F06-{run}-D",
        "counter",
        [
            (2, "04-29T08:57", clerk),
            (4, "04-29T09:12", officer),
            (9, "04-29T11:12", officer),
            (10, "04-29T15:00", clerk),
        ],
    )
    before = figures(services)
    answer = import_file(services, "\n".join([march, paused, decided]), staff.auth("leader"))
    assert (answer["imported"], answer["errors"]) == (3, []), answer

    # (3) received, (4) online, (9) on time, (12) within, (13) overdue, (16) paused, (19) submitted online, (22) awaiting
    expected = {
        "february": (0, 0, 0, 0, 0, 0, 1, 1),
        "march": (1, 1, 1, 0, 0, 0, 0, 0),
        "29/04": (2, 0, 1, 1, 0, 0, 0, 0),
        "april": (2, 0, 1, 1, 0, 0, 0, 0),
        "03/05": (2, 0, 1, 1, 0, 0, 0, 0),
        "04/05": (1, 0, 0, 0, 1, 0, 0, 0),  # carried over into 04/05, overdue at its end
    }
    want = {p: {"api": v, "xlsx": v} for p, v in expected.items()}
    wait_for(lambda: change(figures(services), before), lambda d: d == want, timeout=60, what="the examples counted")

    held = wait_for(
        lambda: staffing(services, officer), lambda s: s["officer"] is not None, timeout=30, what="staffing row"
    )
    row = held["officer"]
    assert (row["in_hand"], row["decided"], row["decided_late"]) == (1, 1, 0), row
    # 08:57-11:12: 2.25 working hours (the clock starts at acceptance, inside office hours)
    assert row["avg_working_hours"] == row["p90_working_hours"] == pytest.approx(2.25, abs=0.01), row
    assert row["overdue_in_hand"] == 1  # its due time, 04/05 09:00, has long passed
    assert all(o["handler"] != clerk for o in held["answer"]["officers"]), "the clerk handing over holds nothing"
    oldest = [d["accepted_at"] for d in held["answer"]["oldest"]]
    assert oldest == sorted(oldest) and len(oldest) <= 20
    assert "001199000333" not in json.dumps(held["answer"]) and "0904000333" not in json.dumps(held["answer"])
