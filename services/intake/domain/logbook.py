"""Form 07, Sổ theo dõi hồ sơ (Circular 03/2025/TT-VPCP): one line per dossier received in a
period, as CSV or an XLSX workbook. Pure: the rows come in, bytes go out.

Cells that look like formulas are written as text (shared.spreadsheet).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import NamedTuple

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from shared.lifecycle import STATUS_NAMES_VI, Status
from shared.local_time import VN
from shared.spreadsheet import csv_cell, keep_as_text, xlsx_value

FORM = "Mẫu số 07"
TITLE = "SỔ THEO DÕI HỒ SƠ"


class LogbookRow(NamedTuple):
    code: str
    received_at: datetime
    applicant_name: str
    applicant_address: str | None
    procedure_code: str
    procedure_name: str | None
    agency_id: str
    agency_name: str | None
    channel: str
    due_at: datetime | None
    status: int
    resolved_at: datetime | None
    returned_at: datetime | None
    note: str | None


# (key, heading): the columns of the book, in order.
COLUMNS = (
    ("no", "STT"),
    ("code", "Mã hồ sơ"),
    ("procedure", "Tên thủ tục hành chính"),
    ("applicant", "Tên cá nhân, tổ chức"),
    ("address", "Địa chỉ"),
    ("agency", "Cơ quan chủ trì giải quyết"),
    ("channel", "Hình thức nộp"),
    ("received_at", "Ngày, giờ nhận hồ sơ"),
    ("due_at", "Ngày, giờ hẹn trả kết quả"),
    ("resolved_at", "Ngày, giờ có kết quả"),
    ("returned_at", "Ngày, giờ trả kết quả"),
    ("status", "Trạng thái"),
    ("note", "Ghi chú"),
)
CHANNEL_VI = {"counter": "Trực tiếp", "online": "Trực tuyến", "post": "Bưu chính"}


def _when(at: datetime | None) -> str:
    return at.astimezone(VN).strftime("%d/%m/%Y %H:%M") if at else ""


def line(n: int, row: LogbookRow) -> dict:
    """One line of the book, as people read it (local times, names in Vietnamese)."""
    return {
        "no": n,
        "code": row.code,
        "procedure": row.procedure_name or row.procedure_code,
        "applicant": row.applicant_name,
        "address": row.applicant_address or "",
        "agency": row.agency_name or row.agency_id,
        "channel": CHANNEL_VI.get(row.channel, row.channel),
        "received_at": _when(row.received_at),
        "due_at": _when(row.due_at),
        "resolved_at": _when(row.resolved_at),
        "returned_at": _when(row.returned_at),
        "status": STATUS_NAMES_VI[Status(row.status)],
        "note": row.note or "",
    }


def _title(start: date, end: date, agency: str | None) -> list[str]:
    period = f"Từ ngày {start.strftime('%d/%m/%Y')} đến ngày {end.strftime('%d/%m/%Y')}"
    return [FORM, TITLE, period + (f" — Cơ quan: {agency}" if agency else "")]


def to_csv(lines: list[dict], start: date, end: date, agency: str | None) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for t in _title(start, end, agency):
        w.writerow([t])
    w.writerow([vi for _, vi in COLUMNS])
    for item in lines:
        w.writerow([csv_cell(item[k]) for k, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read UTF-8


def to_xlsx(lines: list[dict], start: date, end: date, agency: str | None) -> bytes:
    # Written row by row (write-only): a year of a busy province is tens of thousands of lines.
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("So theo doi ho so")
    for i, width in enumerate((6, 26, 40, 26, 30, 30, 12, 17, 17, 17, 17, 22, 30), 1):
        ws.column_dimensions[get_column_letter(i)].width = width

    def cell(value, *, bold: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=xlsx_value(value))
        keep_as_text(c)
        if bold:
            c.font = Font(bold=True)
            c.alignment = Alignment(wrap_text=True, vertical="center")
        return c

    for n, t in enumerate(_title(start, end, agency)):
        ws.append([cell(t, bold=n == 1)])
    ws.append([cell(vi, bold=True) for _, vi in COLUMNS])
    for item in lines:
        ws.append([cell(item[k]) for k, _ in COLUMNS])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
