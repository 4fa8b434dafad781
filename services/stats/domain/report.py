"""The period report of docs/domain.md (Biểu số 06/VPCP/KSTT, Circular 01/2020/TT-VPCP) from sums.

Pure: it gets, per group, the flows of the period and the stocks at the end of the day
before it starts and at its end, and lays out the form's 13 columns plus the product's
extra ones, so that every dossier received is accounted for exactly once:

  received total = resolved + in processing + paused + awaiting acceptance
                   + withdrawn + refused + stopped
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

# (key, form column number, Vietnamese header, English header). Numbers (1)-(13) are the form's;
# (14)-(20) are this product's, so the identity above can be checked on every row.
COLUMNS: list[tuple[str, int, str, str]] = [
    ("received_total", 3, "Tổng số hồ sơ tiếp nhận", "Received, total"),
    ("received_online", 4, "Trong kỳ: trực tuyến", "In period: online"),
    ("received_direct", 5, "Trong kỳ: trực tiếp và dịch vụ bưu chính", "In period: counter and post"),
    ("carried_over", 6, "Từ kỳ trước chuyển sang", "Carried over from before the period"),
    ("resolved_total", 7, "Tổng số đã giải quyết", "Resolved, total"),
    ("resolved_early", 8, "Trước hạn", "Early"),
    ("resolved_on_time", 9, "Đúng hạn", "On time"),
    ("resolved_late", 10, "Quá hạn", "Late"),
    ("in_processing_total", 11, "Tổng số đang giải quyết", "In processing at the period's end, total"),
    ("in_processing_within", 12, "Trong hạn", "Within deadline"),
    ("in_processing_overdue", 13, "Quá hạn", "Overdue"),
    ("paused_total", 14, "Tạm dừng chờ bổ sung, nộp phí", "Paused for a supplement or fee"),
    ("paused_overdue", 15, "Trong đó: quá hạn", "Of which overdue"),
    ("awaiting", 16, "Chờ tiếp nhận (trực tuyến)", "Awaiting acceptance (online)"),
    ("withdrawn", 17, "Rút hồ sơ", "Withdrawn"),
    ("refused", 18, "Không được tiếp nhận", "Refused at intake"),
    ("stopped", 19, "Dừng xử lý", "Stopped"),
    ("on_time_rate", 20, "Tỷ lệ giải quyết trước hạn và đúng hạn (%)", "Resolved early or on time (%)"),
]
COUNT_KEYS = [k for k, *_ in COLUMNS if k != "on_time_rate"]
GROUP_BY = ("agency", "procedure", "channel")
CHANNEL_NAMES_VI = {"counter": "Trực tiếp", "online": "Trực tuyến", "post": "Dịch vụ bưu chính"}


@dataclass(frozen=True)
class GroupSums:
    """For one group: flows within the period, stocks at the start (end of the day before) and at the end."""

    flows: Counter
    start: Counter
    end: Counter


def row_for(s: GroupSums) -> dict[str, int | float | None]:
    f, start, end = s.flows, s.start, s.end
    r: dict = {
        "received_online": f["received_online"],
        "received_direct": f["received_direct"],
        "carried_over": sum(
            start[k] for k in ("awaiting", "processing_within", "processing_overdue", "paused_within", "paused_overdue")
        ),
        "resolved_early": f["resolved_early"],
        "resolved_on_time": f["resolved_on_time"],
        "resolved_late": f["resolved_late"],
        "in_processing_within": end["processing_within"],
        "in_processing_overdue": end["processing_overdue"],
        "paused_overdue": end["paused_overdue"],
        "paused_total": end["paused_within"] + end["paused_overdue"],
        "awaiting": end["awaiting"],
        "withdrawn": f["withdrawn"],
        "refused": f["refused"],
        "stopped": f["stopped"],
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
    """Received minus every way a dossier can end the period: 0 when each is counted once."""
    return r["received_total"] - (
        r["resolved_total"]
        + r["in_processing_total"]
        + r["paused_total"]
        + r["awaiting"]
        + r["withdrawn"]
        + r["refused"]
        + r["stopped"]
    )


def build(start: date, end: date, group_by: str, sums: dict[str, GroupSums], names: dict[str, str], as_of: str) -> dict:
    rows = []
    for key in sorted(sums):
        row = row_for(sums[key])
        if any(row[k] for k in COUNT_KEYS):
            rows.append({"key": key, "name": names.get(key, key), **row})
    total = total_row(rows)
    return {
        "form": "Biểu số 06/VPCP/KSTT",
        "title": "Tình hình, kết quả giải quyết thủ tục hành chính",
        "from": start.isoformat(),
        "to": end.isoformat(),
        "group_by": group_by,
        "as_of": as_of,
        "columns": [{"key": k, "number": n, "vi": vi, "en": en} for k, n, vi, en in COLUMNS],
        "rows": rows,
        "total": {"key": None, "name": "Tổng cộng", **total},
        "unaccounted": unaccounted(total),
    }
