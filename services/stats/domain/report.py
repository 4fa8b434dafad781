"""The period report of docs/domain.md (Biểu số 06/VPCP/KSTT, Circular 01/2020/TT-VPCP) from sums.

Pure: it gets, per group, the flows of the period and the stocks at the end of the day
before it starts and at its end, and lays out the form's columns (3)-(13), this product's
"of which" columns inside them, and beside the form the dossiers never received for
resolution. The form's identity holds on every row:

  (3) received = (4) accepted online + (5) accepted at the counter or by post + (6) carried over
               = (7) resolved (decided, withdrawn or stopped)  +  (11) in processing at the end

A dossier is received for resolution when it is accepted, on that day; paused dossiers are in
processing; withdrawn-after-acceptance and stopped ones are resolved (docs/decisions.md).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

# (key, column number, Vietnamese header, English header, block). Numbers (3)-(13) are the form's;
# the "of which" columns (14)-(18) break down form columns without adding to them; (19)-(22) are
# the dossiers before acceptance, reported beside the form.
COLUMNS: list[tuple[str, int, str, str, str]] = [
    ("received_total", 3, "Tổng số hồ sơ nhận giải quyết", "Received for resolution, total", "form"),
    ("received_online", 4, "Trong kỳ: trực tuyến", "In period: online", "form"),
    ("received_direct", 5, "Trong kỳ: trực tiếp và dịch vụ bưu chính", "In period: counter and post", "form"),
    ("carried_over", 6, "Từ kỳ trước chuyển sang", "Carried over from before the period", "form"),
    ("resolved_total", 7, "Tổng số đã giải quyết", "Resolved, total", "form"),
    ("resolved_early", 8, "Trước hạn", "Early", "form"),
    ("resolved_on_time", 9, "Đúng hạn", "On time", "form"),
    ("resolved_late", 10, "Quá hạn", "Late", "form"),
    ("in_processing_total", 11, "Tổng số đang giải quyết", "In processing at the period's end, total", "form"),
    ("in_processing_within", 12, "Trong hạn", "Within deadline", "form"),
    ("in_processing_overdue", 13, "Quá hạn", "Overdue", "form"),
    ("withdrawn", 14, "Trong số đã giải quyết: rút hồ sơ", "Of the resolved: withdrawn", "of_which"),
    ("stopped", 15, "Trong số đã giải quyết: dừng xử lý", "Of the resolved: stopped", "of_which"),
    (
        "paused_total",
        16,
        "Trong số đang giải quyết: tạm dừng chờ bổ sung, nộp phí",
        "Of those in processing: paused for a supplement or fee",
        "of_which",
    ),
    ("paused_overdue", 17, "Trong đó: quá hạn", "Of which overdue", "of_which"),
    ("on_time_rate", 18, "Tỷ lệ giải quyết trước hạn và đúng hạn (%)", "Resolved early or on time (%)", "of_which"),
    ("submitted_online", 19, "Nộp trực tuyến trong kỳ", "Submitted online in the period", "before_acceptance"),
    ("refused", 20, "Không được tiếp nhận", "Refused at reception", "before_acceptance"),
    ("withdrawn_before", 21, "Rút trước khi tiếp nhận", "Withdrawn before acceptance", "before_acceptance"),
    ("awaiting", 22, "Chờ tiếp nhận cuối kỳ", "Awaiting acceptance at the period's end", "before_acceptance"),
]
COUNT_KEYS = [k for k, *_ in COLUMNS if k != "on_time_rate"]
BLOCKS = {
    "form": ("Biểu số 06/VPCP/KSTT", "Form 06"),
    "of_which": ("Chi tiết (không cộng thêm vào biểu)", "Of which (not added to the form)"),
    "before_acceptance": ("Chưa nhận giải quyết (ngoài biểu)", "Not received for resolution (beside the form)"),
}
GROUP_BY = ("agency", "procedure", "channel", "field", "level")
# Groupings in sections with subtotals, as the form's rows are: (what each row is, the attribute
# the sections are made of). By field: procedures in their field; by level: agencies in their level,
# a branch rolled up into the department above it (roll_up).
SECTIONED = {"field": ("procedure", "field"), "level": ("agency", "level")}
LEVEL_NAMES_VI = {"province": "Cấp tỉnh (sở, ban, ngành)", "district": "Cấp huyện", "commune": "Cấp xã"}
# An agency's level -> its section of the form: departments and their branches are the province's rows.
SECTION_OF_LEVEL = {"department": "province", "branch": "province"}
UNSORTED_VI = "Chưa phân loại"  # rows whose events did not carry the attribute
CHANNEL_NAMES_VI = {"counter": "Trực tiếp", "online": "Trực tuyến", "post": "Dịch vụ bưu chính"}
IN_PROCESSING = ("processing_within", "processing_overdue", "paused_within", "paused_overdue")


@dataclass(frozen=True)
class GroupSums:
    """For one group: flows within the period, stocks at the start (end of the day before) and at the end."""

    flows: Counter
    start: Counter
    end: Counter


PERIOD_KINDS = ("week", "month", "quarter", "year")


def period_containing(kind: str, day: date) -> tuple[date, date]:
    """The week (Monday to Sunday), month, quarter or year that contains `day`."""
    if kind == "week":
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if kind == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    months = 1 if kind == "month" else 3
    first = date(day.year, (day.month - 1) // months * months + 1, 1)
    last_month = first.month + months - 1
    after = date(first.year + 1, 1, 1) if last_month == 12 else date(first.year, last_month + 1, 1)
    return first, after - timedelta(days=1)


def row_for(s: GroupSums) -> dict[str, int | float | None]:
    f, start, end = s.flows, s.start, s.end
    r: dict = {
        "received_online": f["received_online"],
        "received_direct": f["received_direct"],
        "carried_over": sum(start[k] for k in IN_PROCESSING),
        "resolved_early": f["resolved_early"],
        "resolved_on_time": f["resolved_on_time"],
        "resolved_late": f["resolved_late"],
        "in_processing_within": end["processing_within"] + end["paused_within"],
        "in_processing_overdue": end["processing_overdue"] + end["paused_overdue"],
        "withdrawn": f["withdrawn"],
        "stopped": f["stopped"],
        "paused_overdue": end["paused_overdue"],
        "paused_total": end["paused_within"] + end["paused_overdue"],
        "submitted_online": f["submitted_online"],
        "refused": f["refused"],
        "withdrawn_before": f["withdrawn_before"],
        "awaiting": end["awaiting"],
    }
    return _totals(r)


def _totals(r: dict) -> dict:
    r["received_total"] = r["received_online"] + r["received_direct"] + r["carried_over"]
    r["resolved_total"] = r["resolved_early"] + r["resolved_on_time"] + r["resolved_late"]
    r["in_processing_total"] = r["in_processing_within"] + r["in_processing_overdue"]
    r["on_time_rate"] = rate(r["resolved_early"] + r["resolved_on_time"], r["resolved_total"])
    return {k: r[k] for k, *_ in COLUMNS}


def rate(part: int, whole: int) -> float | None:
    """A percentage with two decimals; None when there is nothing to divide."""
    return round(100 * part / whole, 2) if whole else None


def total_row(rows: list[dict]) -> dict:
    r = {k: sum(row[k] for row in rows) for k in COUNT_KEYS}
    return _totals(r)


def unaccounted(r: dict) -> int:
    """The form's identity, (3) - (7) - (11): 0 when every dossier received is counted once."""
    return r["received_total"] - r["resolved_total"] - r["in_processing_total"]


def _rows(sums: dict[str, GroupSums], names: dict[str, str], keys) -> list[dict]:
    rows = []
    for key in keys:
        row = row_for(sums[key])
        if any(row[k] for k in COUNT_KEYS):
            rows.append({"key": key, "name": names.get(key, key), **row})
    return rows


def vi_sort_key(text: str) -> str:
    """Vietnamese alphabetical order, near enough: Đ after D, marks after the bare letter."""
    return unicodedata.normalize("NFD", text.casefold().replace("đ", "d\U0010ffff"))


def section_name(group_by: str, value: str | None) -> str:
    if value is None:
        return UNSORTED_VI
    return LEVEL_NAMES_VI.get(value, value) if group_by == "level" else f"Lĩnh vực {value}"


def sections(group_by: str, rows: list[dict], attribute: dict[str, str]) -> list[dict]:
    """Rows in sections by their attribute (level order for levels, alphabetical for fields), each
    with its subtotal; rows without the attribute last."""
    by: dict[str | None, list[dict]] = {}
    for row in rows:
        by.setdefault(attribute.get(row["key"]), []).append(row)
    keys = sorted(by, key=lambda v: (v is None, section_rank(v) if group_by == "level" else 0, vi_sort_key(v or "")))
    return [{"key": v, "name": section_name(group_by, v), "rows": by[v], "subtotal": total_row(by[v])} for v in keys]


def units(agencies, levels: dict[str, str], parents: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The row each agency is counted in as the province's form lays them out (a branch in the
    department above it, others in their own), and each row's section (province or commune; a
    level from before levels keeps its own)."""
    unit_of = {a: parents[a] if levels.get(a) == "branch" and a in parents else a for a in agencies}
    section: dict[str, str] = {}
    for agency, unit in unit_of.items():  # a department seen only through its branches is the province's
        level = levels.get(unit) or levels.get(agency, "")
        if level:
            section[unit] = SECTION_OF_LEVEL.get(level, level)
    return unit_of, section


def section_rank(section: str | None) -> int:
    order = list(LEVEL_NAMES_VI)
    return order.index(section) if section in order else len(order)


def roll_up(
    sums: dict[str, GroupSums], levels: dict[str, str], parents: dict[str, str]
) -> tuple[dict[str, GroupSums], dict[str, list[str]], dict[str, str]]:
    """Per-agency sums rolled up into the form's rows (`units`): the rows' sums, the agencies each
    row is made of (when more than itself), and each row's section."""
    unit_of, section = units(sums, levels, parents)
    rolled: dict[str, GroupSums] = {}
    members: dict[str, list[str]] = {}
    for agency in sorted(sums):
        unit, s = unit_of[agency], sums[agency]
        if unit in rolled:
            r = rolled[unit]
            rolled[unit] = GroupSums(r.flows + s.flows, r.start + s.start, r.end + s.end)
        else:
            rolled[unit] = GroupSums(Counter(s.flows), Counter(s.start), Counter(s.end))
        members.setdefault(unit, []).append(agency)
    return rolled, {u: m for u, m in members.items() if m != [u]}, section


def build(
    start: date,
    end: date,
    group_by: str,
    sums: dict[str, GroupSums],
    names: dict[str, str],
    as_of: str,
    attribute: dict[str, str] | None = None,
    parents: dict[str, str] | None = None,
) -> dict:
    """The report; for a sectioned grouping `sums` are per row (procedure or agency) and
    `attribute` gives each row's section (field or level). By level, `parents` roll branches up
    into their department, each such row listing its agencies' own rows as `parts`."""
    members: dict[str, list[str]] = {}
    if group_by == "level":
        by_agency = sums
        sums, members, attribute = roll_up(sums, attribute or {}, parents or {})
    rows = _rows(sums, names, sorted(sums))
    for row in rows:
        if row["key"] in members:
            row["parts"] = _rows(by_agency, names, members[row["key"]])
    parts = sections(group_by, rows, attribute or {}) if group_by in SECTIONED else None
    if parts is not None:
        rows = [row for part in parts for row in part["rows"]]
    total = total_row(rows)
    return {
        "form": "Biểu số 06/VPCP/KSTT",
        "title": "Tình hình, kết quả giải quyết thủ tục hành chính",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "as_of": as_of,
        "columns": [{"key": k, "number": n, "vi": vi, "en": en, "block": b} for k, n, vi, en, b in COLUMNS],
        "rows": rows,
        "sections": parts,
        "total": {"key": None, "name": "Tổng cộng", **total},
        "unaccounted": unaccounted(total),
    }
