"""The period report as the files an officer files: CSV and an XLSX workbook laid out like
Biểu số 06/VPCP/KSTT (header rows, column numbers (1)-(13)), then the "of which" columns and,
beside the form, the dossiers never received for resolution."""

from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from services.stats.domain.report import BLOCKS, COLUMNS
from shared.spreadsheet import csv_cell, keep_as_text, xlsx_value

GROUP_TITLES = {
    "agency": "Tên cơ quan, đơn vị",
    "procedure": "Tên thủ tục hành chính",
    "channel": "Kênh tiếp nhận",
    "field": "Lĩnh vực, thủ tục hành chính",
    "level": "Cấp, cơ quan, đơn vị",
}
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]


def _vn_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _title_lines(report: dict) -> list[str]:
    return [
        report["form"],
        report["title"].upper(),
        f"Kỳ báo cáo: từ ngày {_vn_date(report['from'])} đến ngày {_vn_date(report['to'])}",
        f"Số liệu tính đến: {report['as_of']}",
    ]


def _roman(n: int) -> str:
    return ROMAN[n - 1] if n <= len(ROMAN) else str(n)


def _body(report: dict) -> list[tuple[list, bool]]:
    """(cells, bold) per line: the rows numbered 1, 2, ...; in sections, each section's line (I, II,
    ...) carries its subtotal above its own rows, as the form's rows do; the total last."""

    def line(number, name, figures) -> list:
        return [number, name] + [figures[k] for k, *_ in COLUMNS]

    def rows(rows: list[dict]) -> list[tuple[list, bool]]:
        """Each row, then the agencies it rolls up (1.1, 1.2 ...: a department's own and its branches')."""
        out = []
        for i, row in enumerate(rows, 1):
            out.append((line(i, row["name"], row), False))
            out += [(line(f"{i}.{j}", part["name"], part), False) for j, part in enumerate(row.get("parts", []), 1)]
        return out

    out = []
    if report.get("sections"):
        for n, section in enumerate(report["sections"], 1):
            out.append((line(_roman(n), section["name"], section["subtotal"]), True))
            out += rows(section["rows"])
    else:
        out += [(line(i, row["name"], row), False) for i, row in enumerate(report["rows"], 1)]
    out.append((line("", "Tổng cộng", report["total"]), True))
    return out


def to_csv(report: dict) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for line in _title_lines(report):
        w.writerow([line])
    w.writerow(["STT", GROUP_TITLES[report["group_by"]]] + [vi for _, _, vi, _, _ in COLUMNS])
    w.writerow(["(1)", "(2)"] + [f"({n})" for _, n, _, _, _ in COLUMNS])
    w.writerows([csv_cell(v) for v in cells] for cells, _ in _body(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


# The form's header: (first column, last column, text) for the top and middle rows;
# columns are 1-based sheet columns (A = 1). Column n of the form is sheet column n.
LAST = max(n for _, n, *_ in COLUMNS)
_TOP = [
    (3, 6, "Số hồ sơ nhận giải quyết"),
    (7, 13, "Kết quả giải quyết"),
    *(
        (min(n for _, n, *_, b in COLUMNS if b == block), max(n for _, n, *_, b in COLUMNS if b == block), vi)
        for block, (vi, _) in BLOCKS.items()
        if block != "form"
    ),
]
_MIDDLE = [(4, 5, "Trong kỳ"), (7, 10, "Số hồ sơ đã giải quyết"), (11, 13, "Số hồ sơ đang giải quyết")]
_BOTTOM = {
    4: "Trực tuyến",
    5: "Trực tiếp và dịch vụ bưu chính",
    7: "Tổng số",
    8: "Trước hạn",
    9: "Đúng hạn",
    10: "Quá hạn",
    11: "Tổng số",
    12: "Trong hạn",
    13: "Quá hạn",
}
# Columns whose title spans the middle and bottom header rows.
_TALL = {3: "Tổng số", 6: "Từ kỳ trước chuyển sang", **{n: vi for _, n, vi, _, b in COLUMNS if b != "form"}}


def to_xlsx(report: dict) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Bieu 06"
    bold, centre = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    for i, line in enumerate(_title_lines(report), 1):
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=LAST)
        ws.cell(i, 1, line).font = Font(bold=i <= 2)
        ws.cell(i, 1).alignment = Alignment(horizontal="center")
    top, mid, low, num = 6, 7, 8, 9
    ws.merge_cells(start_row=top, start_column=1, end_row=low, end_column=1)
    ws.cell(top, 1, "STT")
    ws.merge_cells(start_row=top, start_column=2, end_row=low, end_column=2)
    ws.cell(top, 2, GROUP_TITLES[report["group_by"]])
    for first, last, text in _TOP:
        ws.merge_cells(start_row=top, start_column=first, end_row=top, end_column=last)
        ws.cell(top, first, text)
    for first, last, text in _MIDDLE:
        ws.merge_cells(start_row=mid, start_column=first, end_row=mid, end_column=last)
        ws.cell(mid, first, text)
    for col, text in _BOTTOM.items():
        ws.cell(low, col, text)
    for col, text in _TALL.items():
        ws.merge_cells(start_row=mid, start_column=col, end_row=low, end_column=col)
        ws.cell(mid, col, text)
    for col in range(1, LAST + 1):
        ws.cell(num, col, f"({col})")
        for r in (top, mid, low, num):
            cell = ws.cell(r, col)
            cell.font, cell.alignment, cell.border = bold, centre, box
    for row, (values, strong) in enumerate(_body(report), num + 1):
        for c, v in enumerate(values, 1):
            cell = ws.cell(row, c, xlsx_value(v))
            keep_as_text(cell)
            cell.border = box
            if strong:
                cell.font = bold
    ws.column_dimensions["B"].width = 48
    for col in range(3, LAST + 1):
        ws.column_dimensions[get_column_letter(col)].width = 12
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
