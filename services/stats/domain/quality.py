"""The service-quality index of Decision 766/QĐ-TTg, for the indicators the events carry.

Score of an indicator = its maximum when the rate reaches the target, else rate / target x
maximum. **Decision:** the targets are 100% for progress and satisfaction (the decision's
intent: every dossier on time, every citizen satisfied) and 100% for the online share, so a
score is simply the rate times the maximum; they are constants here, stated in every answer.
"""

from __future__ import annotations

from collections import Counter

from services.stats.domain.report import GroupSums, rate, row_for

INDICATORS: dict[str, dict] = {
    "progress": {
        "max_points": 20,
        "target": 100.0,
        "formula_vi": "(đã giải quyết trước hạn + đúng hạn + đang giải quyết trong hạn, kể cả tạm dừng) / "
        "(đã giải quyết + đang giải quyết) trong kỳ, theo Biểu 06",
        "formula_en": "(resolved early + on time + in processing within deadline, paused included) / "
        "(resolved + in processing) for the period, as form 06 counts them",
    },
    "satisfaction": {
        "max_points": 18,
        "target": 100.0,
        "formula_vi": "số đánh giá 4–5 sao / tổng số đánh giá trong kỳ",
        "formula_en": "ratings of 4 or 5 out of 5 / all ratings given in the period",
    },
    "online": {
        "max_points": 12,
        "target": 100.0,
        "formula_vi": "hồ sơ nhận giải quyết trực tuyến / tổng hồ sơ nhận giải quyết trong kỳ",
        "formula_en": "dossiers accepted online / all dossiers accepted in the period",
    },
}
AVERAGE_FORMULA = {
    "vi": "tổng thời gian làm việc đã dùng (không tính thời gian tạm dừng) / số hồ sơ đã có kết quả (trạng thái 9)",
    "en": "working hours used (pauses excluded) / dossiers decided (status 9) in the period",
}


def _indicator(name: str, part: int, whole: int) -> dict:
    spec = INDICATORS[name]
    r = rate(part, whole)
    score = None if r is None else round(spec["max_points"] * min(r / spec["target"], 1.0), 2)
    return {"rate": r, "numerator": part, "denominator": whole, "score": score, "max_points": spec["max_points"]}


def quality_row(flows: Counter, report_row: dict) -> dict:
    r = report_row
    # Form 06 counts paused dossiers among those in processing (within or overdue).
    on_track = r["resolved_early"] + r["resolved_on_time"] + r["in_processing_within"]
    considered = r["resolved_total"] + r["in_processing_total"]
    received = r["received_online"] + r["received_direct"]
    decided = flows["decided"]  # working time is known for decided dossiers only
    return {
        "progress": _indicator("progress", on_track, considered),
        "satisfaction": _indicator("satisfaction", flows["rated_satisfied"], flows["rated"]),
        "average_rating": round(flows["rating_points"] / flows["rated"], 2) if flows["rated"] else None,
        "online": _indicator("online", r["received_online"], received),
        "average_working_hours": round(flows["resolved_centihours"] / 100 / decided, 2) if decided else None,
    }


def quality(sums: dict[str, GroupSums], names: dict[str, str]) -> dict:
    rows: list = []
    total = GroupSums(Counter(), Counter(), Counter())
    for key in sorted(sums):
        s = sums[key]
        rows.append({"key": key, "name": names.get(key, key), **quality_row(s.flows, row_for(s))})
        total.flows.update(s.flows)
        total.start.update(s.start)
        total.end.update(s.end)
    return {
        "indicators": {
            k: {kk: v[kk] for kk in ("max_points", "target", "formula_vi", "formula_en")} for k, v in INDICATORS.items()
        },
        "average_working_hours_formula": AVERAGE_FORMULA,
        "rows": rows,
        "total": {"key": None, "name": "Tổng cộng", **quality_row(total.flows, row_for(total))},
    }
