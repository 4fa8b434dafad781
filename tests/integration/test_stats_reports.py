"""Period reports with exact numbers for a small, hand-built history, on real Kafka and PostgreSQL.

Nine dossiers of one agency, January to April 2026 (Hà Nội time), crossing month ends,
Tết (16-20 February 2026 are holidays), a pause for a supplement, a fee wait, and late ones:

  D1 counter P3d  accepted Mon 26/01 09:00, due Thu 29/01 09:00; resolved Wed 28/01 -> early;
                  returned 29/01, rated 5.
  D2 online  P3d  submitted Fri 30/01 15:00 (awaiting at the end of January); accepted Mon 02/02
                  08:00, due Thu 05/02 08:00; resolved Thu 05/02 08:00 -> on time (on the due
                  day, not after the due time); returned, rated 3 on 06/02.
  D3 counter P3d  accepted Fri 13/02 16:00: 1 h that day, Tết and the weekend count nothing,
                  due Wed 25/02 16:00. Supplement requested Tue 24/02 09:00 (paused within:
                  its due time had not passed); supplied Mon 02/03 09:00: 32 working hours of
                  waiting (6 h on the 24th, 3 full days, 2 h on the 2nd) move the due time to
                  Tue 03/03 16:00; resolved Thu 05/03 10:00 -> late.
  D4 post    P1d  accepted Mon 23/02 10:00, due Tue 24/02 10:00, left in processing: overdue at
                  the end of February and of March; resolved only on 02/04 (late), which must
                  not change the February and March reports.
  D5 online  P3d  submitted Tue 10/03 09:00, refused 14:00.
  D6 counter P3d  accepted Fri 27/02 16:00, due Wed 04/03 16:00 (in processing within at the end
                  of February); withdrawn Tue 03/03 09:00.
  D7 counter P3d  accepted Mon 09/03, fee requested 10/03, paid 11/03, stopped 12/03.
  D8 counter P3d  accepted Mon 30/03 09:00, due Thu 02/04 09:00: within at the end of March;
                  resolved 01/04 (early).
  D9 online  P3d  submitted Tue 31/03 16:00: awaiting at the end of March.

Expected, month by month, as form 06 counts them: (3) received = accepted online (4) +
accepted at the counter or by post (5) + carried over (6) = (7) resolved + (11) in processing;
withdrawn and stopped after acceptance are resolved (judged against the due time), paused ones
are in processing; a dossier not yet accepted, refused or withdrawn before acceptance is beside
the form.
  January : direct 1 (D1) = resolved early 1 (D1).                          1 = 1 + 0
            Beside: submitted online 1 (D2), awaiting 1 (D2).
  February: online 1 (D2) + direct 3 (D3, D4, D6) + carried 0 = 4; on time 1 (D2); in processing
            within 2 (D6; D3 paused), overdue 1 (D4).                       4 = 1 + 3
  March   : direct 2 (D7, D8) + carried 3 (D3, D4, D6) = 5; early 2 (D6 withdrawn on 03/03 before
            its due day, D7 stopped on 12/03 before its due day 13/03), late 1 (D3); within 1
            (D8), overdue 1 (D4).                                             5 = 3 + 2
            Beside: submitted online 2 (D5, D9), refused 1 (D5), awaiting 1 (D9).
  Q1      : online 1 + direct 6 = 7; early 3, on time 1, late 1; end as March.   7 = 5 + 2
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from services.stats.adapters import generations
from services.stats.adapters import reports as report_rows
from services.stats.service import online, reconcile, report_files, reports
from services.stats.service.rebuild import rebuild
from shared.calendar import default_calendar
from shared.events import EventType, make_event, owners
from tests.integration.conftest import apply_events

VN = timezone(timedelta(hours=7))
CAL = default_calendar()
AGENCY = "000.00.31.H26"
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # all periods below are over


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2026-{day}T{hhmm}:00").replace(tzinfo=VN)


class Dossier:
    """Builds one dossier's events the way intake and resolution would, with the real calendar."""

    def __init__(self, code: str, channel: str, hours: int):
        self.code, self.channel, self.hours = code, channel, hours
        self.seq, self.events, self.due, self.accepted_at, self.paused_at, self.paused_h = 0, [], None, None, None, 0.0
        self.dims = {
            "agency_id": AGENCY,
            "procedure_code": f"P{hours // 8}D",
            "channel": channel,
            "applicant_type": 0,
            "agency_name": "Văn phòng Đăng ký đất đai Hà Nội",
            "procedure_name": f"Thủ tục {hours // 8} ngày",
            "agency_level": "province",
            "field": "Đất đai" if hours == 24 else "Hộ tịch",
        }
        if hours == 24:  # the 3-day procedure is offered fully online, the 1-day one only at the counter
            self.dims["online_level"] = "toan_trinh"
        self.status = None

    def _add(self, type_, when, payload):
        self.seq += 1
        self.events.append(
            make_event(
                type_,
                dossier_code=self.code,
                seq=self.seq,
                occurred_at=when,
                producer=sorted(owners(type_))[0],
                correlation_id="c",
                payload=payload,
            )
        )
        return self

    def _move(self, type_, to, when, **extra):
        payload = {"from_status": self.status, "to_status": to, "actor": "staff", **extra}
        self.status = to
        return self._add(type_, when, payload)

    def submitted(self, when):
        return self._move(EventType.SUBMITTED, 1, when, dimensions=self.dims)

    def accepted(self, when):
        self.accepted_at, self.due = when, CAL.due_time(when, self.hours, "working")
        return self._move(
            EventType.ACCEPTED,
            2,
            when,
            dimensions=self.dims,
            accepted_at=when,
            deadline={
                "due_at": self.due,
                "processing_hours": self.hours,
                "time_type": "working",
                "clock_policy": "pause",
                "rule_version": "test",
            },
        )

    def processing(self, when):
        if self.paused_at is not None:
            self.paused_h += CAL.working_hours_between(self.paused_at, when)
            self.due, self.paused_at = CAL.extend_for_pause(self.due, self.paused_at, when), None
        return self._move(EventType.PROCESSING_STARTED, 4, when, due_at=self.due)

    def paused(self, when, to=5):
        self.paused_at = when
        kind = EventType.SUPPLEMENT_REQUESTED if to == 5 else EventType.FEE_REQUESTED
        return self._move(kind, to, when, due_at=self.due)

    def resolved(self, when):
        used = CAL.working_hours_between(self.accepted_at, when) - self.paused_h
        return self._move(
            EventType.RESOLVED,
            9,
            when,
            due_at=self.due,
            compliance=CAL.compliance(when, self.due),
            working_hours_used=round(used, 2),
        )

    def closed(self, type_, to, when):
        extra = {"dimensions": self.dims} if type_ == EventType.REFUSED else {}
        return self._move(type_, to, when, **extra)

    def rated(self, when, score):
        return self._add(EventType.RATED, when, {"score": score})


def history() -> list[Dossier]:
    d1 = (
        Dossier("D1", "counter", 24)
        .accepted(at("01-26", "09:00"))
        .processing(at("01-26", "10:00"))
        .resolved(at("01-28", "10:00"))
        .closed(EventType.RETURNED, 10, at("01-29", "08:00"))
        .rated(at("01-29", "09:00"), 5)
    )
    d2 = (
        Dossier("D2", "online", 24)
        .submitted(at("01-30", "15:00"))
        .accepted(at("02-02", "08:00"))
        .processing(at("02-02", "09:00"))
        .resolved(at("02-05", "08:00"))
        .closed(EventType.RETURNED, 10, at("02-05", "14:00"))
        .rated(at("02-06", "09:00"), 3)
    )
    d3 = (
        Dossier("D3", "counter", 24)
        .accepted(at("02-13", "16:00"))
        .processing(at("02-13", "16:30"))
        .paused(at("02-24", "09:00"))
        .processing(at("03-02", "09:00"))
        .resolved(at("03-05", "10:00"))
    )
    d4 = (
        Dossier("D4", "post", 8)
        .accepted(at("02-23", "10:00"))
        .processing(at("02-23", "11:00"))
        .resolved(at("04-02", "10:00"))
    )
    d5 = Dossier("D5", "online", 24).submitted(at("03-10", "09:00")).closed(EventType.REFUSED, 3, at("03-10", "14:00"))
    d6 = (
        Dossier("D6", "counter", 24).accepted(at("02-27", "16:00")).closed(EventType.WITHDRAWN, 7, at("03-03", "09:00"))
    )
    d7 = (
        Dossier("D7", "counter", 24)
        .accepted(at("03-09", "09:00"))
        .processing(at("03-09", "10:00"))
        .paused(at("03-10", "09:00"), to=6)
        .processing(at("03-11", "09:00"))
        .closed(EventType.STOPPED, 8, at("03-12", "09:00"))
    )
    d8 = (
        Dossier("D8", "counter", 24)
        .accepted(at("03-30", "09:00"))
        .processing(at("03-30", "10:00"))
        .resolved(at("04-01", "10:00"))
    )
    d9 = Dossier("D9", "online", 24).submitted(at("03-31", "16:00"))
    return [d1, d2, d3, d4, d5, d6, d7, d8, d9]


ZERO = {
    "received_online": 0,
    "received_direct": 0,
    "carried_over": 0,
    "resolved_early": 0,
    "resolved_on_time": 0,
    "resolved_late": 0,
    "in_processing_within": 0,
    "in_processing_overdue": 0,
    "withdrawn": 0,
    "stopped": 0,
    "paused_total": 0,
    "paused_overdue": 0,
    "submitted_online": 0,
    "refused": 0,
    "withdrawn_before": 0,
    "awaiting": 0,
}
# Form 06: received = accepted, on the day of acceptance (D2, submitted online on 30 January, is
# received in February); withdrawn (D6) and stopped (D7) after acceptance are resolved, judged
# against the due time; paused (D3) is in processing; D5 (refused) and D9 (awaiting) are beside the form.
EXPECTED = {
    ("2026-01-01", "2026-01-31"): {"received_direct": 1, "resolved_early": 1, "submitted_online": 1, "awaiting": 1},
    ("2026-02-01", "2026-02-28"): {
        "received_online": 1,
        "received_direct": 3,
        "resolved_on_time": 1,
        "in_processing_within": 2,
        "in_processing_overdue": 1,
        "paused_total": 1,
    },
    ("2026-03-01", "2026-03-31"): {
        "received_direct": 2,
        "carried_over": 3,
        "resolved_early": 2,
        "resolved_late": 1,
        "withdrawn": 1,
        "stopped": 1,
        "in_processing_within": 1,
        "in_processing_overdue": 1,
        "submitted_online": 2,
        "refused": 1,
        "awaiting": 1,
    },
    ("2026-01-01", "2026-03-31"): {
        "received_online": 1,
        "received_direct": 6,
        "resolved_early": 3,
        "resolved_on_time": 1,
        "resolved_late": 1,
        "withdrawn": 1,
        "stopped": 1,
        "in_processing_within": 1,
        "in_processing_overdue": 1,
        "submitted_online": 3,
        "refused": 1,
        "awaiting": 1,
    },
    # a period inside February, across Tết: D3 arrives, D2 is resolved after it starts, D3 waits paused
    ("2026-02-03", "2026-02-24"): {
        "received_direct": 2,
        "carried_over": 1,
        "resolved_on_time": 1,
        "in_processing_within": 1,
        "in_processing_overdue": 1,
        "paused_total": 1,
    },
}


def test_the_history_is_what_the_docstring_says():
    d = {x.code: x for x in history()}
    assert d["D3"].events[0].payload.deadline.due_at == at("02-25", "16:00")  # across Tết
    assert d["D3"].due == at("03-03", "16:00")  # moved by 32 working hours of waiting
    assert d["D4"].due == at("02-24", "10:00")
    assert d["D2"].events[-2].payload.__class__.__name__ == "ClosedPayload"
    assert [e.payload.compliance for x in d.values() for e in x.events if e.type == "dossier.resolved"] == [
        "early",
        "on_time",
        "late",
        "late",
        "early",
    ]


@pytest.fixture
async def loaded(bootstrap, fresh_topic, stats_db):
    await apply_events(bootstrap, fresh_topic, stats_db, [e for d in history() for e in d.events])
    return stats_db


async def test_reports_for_periods_across_months_tet_pauses_and_late_dossiers(loaded):
    for (start, end), figures in EXPECTED.items():
        answer = await reports.period_report(loaded, NOW, date.fromisoformat(start), date.fromisoformat(end), "agency")
        assert len(answer["rows"]) == 1 and answer["rows"][0]["name"] == "Văn phòng Đăng ký đất đai Hà Nội"
        total = answer["total"]
        assert {k: total[k] for k in ZERO} == {**ZERO, **figures}, (start, end)
        assert answer["unaccounted"] == 0
        assert total["received_total"] == total["received_online"] + total["received_direct"] + total["carried_over"]
        assert total["received_total"] == total["resolved_total"] + total["in_processing_total"], (start, end)


async def test_a_period_cut_inside_months_adds_its_days_to_its_whole_months(loaded):
    """27 January to 10 March: January's and March's days from the daily rows, February from the
    monthly ones, and the flows the same as the three pieces' added up: received at the counter D3,
    D4, D6 in February and D7 on 9 March, online D2 on 2 February; D1 (26 January) and D8 (30 March)
    outside."""

    async def flows(start: date, end: date) -> Counter:
        async with loaded.acquire() as conn, conn.transaction():
            await generations.use_active(conn)
            (only,) = (await report_rows.flows(conn, start, end, "agency", (None, None, None))).values()
            return only

    whole = await flows(date(2026, 1, 27), date(2026, 3, 10))
    pieces: Counter = Counter()
    for start, end in (
        (date(2026, 1, 27), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 10)),
    ):
        pieces.update(await flows(start, end))
    assert (whole["received_direct"], whole["received_online"]) == (4, 1)
    assert whole == pieces


async def test_quality_index_for_the_first_quarter(loaded):
    """Decision 766 on Q1: every indicator the history supports, scored against its own target."""
    q = await reports.quality_index(loaded, NOW, date(2026, 1, 1), date(2026, 3, 31))
    total = q["total"]["indicators"]
    # progress: (early 3 + on time 1 + within 1) / (resolved 5 + in processing 2) = 71.43 % of 20 points
    assert total["on_time"] == {"rate": 71.43, "numerator": 5, "denominator": 7, "score": 14.29}
    # online dossiers, fully online procedure only: D2 of six accepted = 16.67 %, target 50 % -> a third of 6
    assert total["online_dossiers"] == {"rate": 16.67, "numerator": 1, "denominator": 6, "score": 2.0}
    # dossier satisfaction: 7 - late D3 - overdue D4 - D2 (rated 3, on time) = 4 of 7, target 90 %
    assert total["dossier_satisfaction"] == {"rate": 57.14, "numerator": 4, "denominator": 7, "score": 3.81}
    # online payment: D7's fee (asked 10/3) paid without a method recorded, so not online: 0 of 1 (issue 15)
    assert total["online_payment"] == {"rate": 0.0, "numerator": 0, "denominator": 1, "score": 0.0}
    assert (q["total"]["score"], q["total"]["assessed_points"], q["total"]["score_percent"]) == (20.1, 42, 47.86)
    assert q["total"]["groups"]["transparency"] == {"score": None, "assessed_points": 0}
    assert q["total"]["average_rating"] == 4.0
    hours = [
        e.payload.working_hours_used
        for d in history()
        for e in d.events
        if e.type == "dossier.resolved" and e.occurred_at < at("04-01", "00:00")
    ]
    assert q["total"]["average_working_hours"] == pytest.approx(sum(hours) / 3, abs=0.01)
    assert [r["rank"] for r in q["rows"]] == [1] and q["rows"][0]["score"] == 20.1
    rules = {i["key"]: i for i in q["indicators"]}
    assert sum(g["points"] for g in q["groups"]) == 100
    missing = [k for k, i in rules.items() if not i["computed"]]
    assert "online_payment" not in missing and all(rules[k]["missing_vi"] and rules[k]["missing_en"] for k in missing)
    assert {k for k, i in rules.items() if i["computed"]} == set(total)


async def test_channels_and_files(loaded):
    q1 = await reports.period_report(loaded, NOW, date(2026, 1, 1), date(2026, 3, 31), "channel")
    by = {r["key"]: r for r in q1["rows"]}
    assert by["online"]["received_total"] == 1 and by["online"]["refused"] == 1 and by["online"]["awaiting"] == 1
    assert by["counter"]["received_total"] == 5 and by["counter"]["withdrawn"] == 1 and by["counter"]["stopped"] == 1
    assert by["post"]["in_processing_overdue"] == 1 and by["post"]["name"] == "Dịch vụ bưu chính"

    lines = list(csv.reader(io.StringIO(report_files.to_csv(q1).decode("utf-8-sig"))))
    assert lines[0] == ["Biểu số 06/VPCP/KSTT"]
    assert lines[2] == ["Kỳ báo cáo: từ ngày 01/01/2026 đến ngày 31/03/2026"]
    assert lines[5][:6] == ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]
    assert lines[-1][1] == "Tổng cộng" and lines[-1][2] == "7"

    sheet = load_workbook(io.BytesIO(report_files.to_xlsx(q1))).active
    assert sheet["C6"].value == "Số hồ sơ nhận giải quyết" and sheet["G6"].value == "Kết quả giải quyết"
    assert sheet["D8"].value == "Trực tuyến" and sheet["M8"].value == "Quá hạn"
    assert [sheet.cell(9, c).value for c in (1, 3, 13)] == ["(1)", "(3)", "(13)"]
    total_row = 9 + len(q1["rows"]) + 1
    assert sheet.cell(total_row, 2).value == "Tổng cộng" and sheet.cell(total_row, 3).value == 7
    assert (
        sheet["N6"].value == "Chi tiết (không cộng thêm vào biểu)"
        and sheet["S6"].value == "Chưa nhận giải quyết (ngoài biểu)"
    )
    assert sheet.cell(9, 22).value == "(22)"


async def test_reports_by_field_and_by_level_with_subtotals(loaded):
    """Q1 by field: the 3-day procedure (land) and the 1-day one (civil status) in their sections,
    each section's line carrying its subtotal; by level: the agency under the province level."""
    by_field = await reports.period_report(loaded, NOW, date(2026, 1, 1), date(2026, 3, 31), "field")
    assert [(s["key"], s["name"]) for s in by_field["sections"]] == [
        ("Đất đai", "Lĩnh vực Đất đai"),
        ("Hộ tịch", "Lĩnh vực Hộ tịch"),
    ]
    land, civil = by_field["sections"]
    assert [r["key"] for r in land["rows"]] == ["P3D"] and [r["key"] for r in civil["rows"]] == ["P1D"]
    cols = ("received_total", "received_online", "resolved_total", "in_processing_within", "in_processing_overdue")
    assert tuple(land["subtotal"][k] for k in cols) == (6, 1, 5, 1, 0)
    assert tuple(civil["subtotal"][k] for k in cols) == (1, 0, 0, 0, 1)
    assert by_field["total"]["received_total"] == 7 and by_field["unaccounted"] == 0

    sheet = load_workbook(io.BytesIO(report_files.to_xlsx(by_field))).active
    lines = [[sheet.cell(r, c).value for c in (1, 2, 3, 13)] for r in range(10, 15)]
    assert lines == [
        ["I", "Lĩnh vực Đất đai", 6, 0],
        [1, "Thủ tục 3 ngày", 6, 0],
        ["II", "Lĩnh vực Hộ tịch", 1, 1],
        [1, "Thủ tục 1 ngày", 1, 1],
        [None, "Tổng cộng", 7, 1],
    ]
    assert sheet.cell(10, 2).font.bold and not sheet.cell(11, 2).font.bold
    assert sheet["B6"].value == "Lĩnh vực, thủ tục hành chính"
    csv_lines = list(csv.reader(io.StringIO(report_files.to_csv(by_field).decode("utf-8-sig"))))
    assert [line[:3] for line in csv_lines[6:]] == [[str(v) if v is not None else "" for v in x[:3]] for x in lines]

    by_level = await reports.period_report(loaded, NOW, date(2026, 1, 1), date(2026, 3, 31), "level")
    [province] = by_level["sections"]
    assert (province["key"], province["name"]) == ("province", "Cấp tỉnh (sở, ban, ngành)")
    assert province["subtotal"]["received_total"] == 7 and [r["key"] for r in province["rows"]] == [AGENCY]


async def test_a_dossier_submitted_in_one_month_and_accepted_in_the_next_is_received_in_the_next(loaded):
    """D2, submitted online on 30 January and accepted on 2 February, in the files officers sign."""

    async def total_row(start: date, end: date) -> list:
        answer = await reports.period_report(loaded, NOW, start, end, "agency")
        sheet = load_workbook(io.BytesIO(report_files.to_xlsx(answer))).active
        row = 9 + len(answer["rows"]) + 1
        assert sheet.cell(row, 2).value == "Tổng cộng"
        return [sheet.cell(row, n).value for n in range(1, 23)]

    january, february = (
        await total_row(date(2026, 1, 1), date(2026, 1, 31)),
        await total_row(date(2026, 2, 1), date(2026, 2, 28)),
    )
    # columns: (3) received, (4) online, (19) submitted online, (22) awaiting at the end
    assert [january[n - 1] for n in (3, 4, 19, 22)] == [1, 0, 1, 1]
    assert [february[n - 1] for n in (3, 4, 19, 22)] == [4, 1, 0, 0]
    # (3) = (7) + (11) on the sheet itself
    assert february[2] == february[6] + february[10] and january[2] == january[6] + january[10]


async def test_reconciliation_finds_nothing_and_rebuild_gives_the_same_report_byte_for_byte(
    loaded, bootstrap, fresh_topic, fresh_database
):
    result = await reconcile.reconcile(loaded, NOW, None, bootstrap, settle_s=0)
    assert result["mismatches"] == 0 and result["periods_checked"] >= 4, result

    async def files():
        out = []
        for group in ("agency", "procedure", "channel", "field", "level"):
            r = await reports.period_report(loaded, NOW, date(2026, 1, 1), date(2026, 4, 30), group)
            out += [json.dumps(r, ensure_ascii=False).encode(), report_files.to_csv(r)]
        return out

    before = await files()
    summary = await rebuild(loaded, fresh_database, bootstrap, fresh_topic, workers=2)
    assert (
        summary["generation"] == "g2"
        and summary["replaced"] == "g1"
        and summary["events"] == sum(len(d.events) for d in history())
    )
    async with loaded.acquire() as conn, conn.transaction():
        assert await generations.use_active(conn) == "g2"
        assert await conn.fetchval("SELECT count(*) FROM pg_namespace WHERE nspname = 'g1'") == 0
    assert await files() == before
    assert (await reconcile.reconcile(loaded, NOW, None, bootstrap, settle_s=0))["mismatches"] == 0


async def test_online_uptake_per_procedure_and_month(loaded):
    """Accepted online over all accepted, for the 3-day procedure only (offered online): D2 in
    February of D1 (January), D2, D3, D6 (February), D7, D8 (March); D4's procedure is not offered online."""
    q1 = await online.online_uptake(loaded, NOW, date(2026, 1, 1), date(2026, 3, 31))
    assert q1["total"] == {"online": 1, "total": 6, "share": 16.67}
    assert [(m["month"], m["online"], m["total"]) for m in q1["months"]] == [
        ("2026-01", 0, 1),
        ("2026-02", 1, 3),
        ("2026-03", 0, 2),
    ]
    assert q1["not_offered_online"] == {"dossiers": 1, "procedures": 1}
    [row] = q1["procedures"]
    assert (row["procedure_code"], row["online_level"], row["lagging"]) == ("P3D", "toan_trinh", True)
    assert q1["lagging"] == [row] and q1["target"] == 50.0
    assert [(lv["level"], lv["total"]) for lv in q1["by_level"]] == [("toan_trinh", 6), ("mot_phan", 0)]
