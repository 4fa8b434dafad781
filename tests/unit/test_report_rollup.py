"""The report by level, as a province lays Biểu 06 out: departments (their branches rolled up
into them) and communes, each section with its subtotal, every dossier counted once."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from services.stats.domain.report import GroupSums, build, unaccounted

DEPT, BRANCH, OTHER_DEPT, WARD_A, WARD_B = "D.16", "B.31", "D.09", "W.01", "W.02"
LEVELS = {DEPT: "department", BRANCH: "branch", OTHER_DEPT: "department", WARD_A: "commune", WARD_B: "commune"}
PARENTS = {BRANCH: DEPT, DEPT: "P", OTHER_DEPT: "P", WARD_A: "P", WARD_B: "P"}
NAMES = {DEPT: "Sở NN&MT", BRANCH: "VPĐKĐĐ", OTHER_DEPT: "Công an", WARD_A: "Phường A", WARD_B: "Phường B"}


def _sums(received: int, resolved: int, open_: int) -> GroupSums:
    return GroupSums(
        Counter(received_direct=received, resolved_on_time=resolved), Counter(), Counter(processing_within=open_)
    )


def test_branches_roll_up_into_their_department_and_sections_add_up():
    sums = {
        DEPT: _sums(2, 1, 1),
        BRANCH: _sums(10, 7, 3),
        OTHER_DEPT: _sums(4, 4, 0),
        WARD_A: _sums(5, 5, 0),
        WARD_B: _sums(1, 0, 1),
    }
    report = build(date(2026, 1, 1), date(2026, 6, 30), "level", sums, NAMES, "now", LEVELS, PARENTS)
    province, commune = report["sections"]
    assert (province["key"], commune["key"]) == ("province", "commune")
    assert [r["key"] for r in province["rows"]] == [OTHER_DEPT, DEPT]  # by name: Công an, Sở NN&MT
    department = next(r for r in province["rows"] if r["key"] == DEPT)
    assert department["received_total"] == 12 and department["resolved_total"] == 8
    assert [(p["key"], p["received_total"]) for p in department["parts"]] == [(BRANCH, 10), (DEPT, 2)]
    assert "parts" not in next(r for r in province["rows"] if r["key"] == OTHER_DEPT)
    assert province["subtotal"]["received_total"] == 16 and commune["subtotal"]["received_total"] == 6
    assert report["total"]["received_total"] == 22 and unaccounted(report["total"]) == 0


def test_a_branch_whose_department_has_no_dossiers_still_has_its_row_under_the_department():
    report = build(
        date(2026, 1, 1), date(2026, 1, 31), "level", {BRANCH: _sums(3, 3, 0)}, NAMES, "now", LEVELS, PARENTS
    )
    [province] = report["sections"]
    [row] = province["rows"]
    assert (row["key"], row["name"], row["received_total"]) == (DEPT, "Sở NN&MT", 3)
    assert [p["key"] for p in row["parts"]] == [BRANCH]


def test_the_signed_files_list_each_departments_agencies_under_its_row():
    from services.stats.service.report_files import to_csv

    sums = {DEPT: _sums(2, 1, 1), BRANCH: _sums(10, 7, 3), WARD_A: _sums(5, 5, 0)}
    report = build(date(2026, 1, 1), date(2026, 6, 30), "level", sums, NAMES, "now", LEVELS, PARENTS)
    lines = [line[:3] for line in csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig")))][6:]
    assert lines == [
        ["I", "Cấp tỉnh (sở, ban, ngành)", "12"],
        ["1", "Sở NN&MT", "12"],
        ["1.1", "VPĐKĐĐ", "10"],
        ["1.2", "Sở NN&MT", "2"],
        ["II", "Cấp xã", "5"],
        ["1", "Phường A", "5"],
        ["", "Tổng cộng", "17"],
    ]


def test_a_name_that_looks_like_a_formula_is_exported_as_text():
    from openpyxl import load_workbook

    from services.stats.service.report_files import to_csv, to_xlsx

    names = {**NAMES, WARD_A: '=HYPERLINK("http://x","bấm")'}
    report = build(date(2026, 1, 1), date(2026, 1, 31), "agency", {WARD_A: _sums(1, 1, 0)}, names, "now")
    lines = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert ["1", "'" + names[WARD_A]] == lines[6][:2]
    sheet = load_workbook(io.BytesIO(to_xlsx(report))).active
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == names[WARD_A])
    assert cell.data_type == "s"
