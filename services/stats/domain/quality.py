"""The service-quality index of Decision 766/QĐ-TTg (23/6/2022): six groups, 100 points, each
sub-indicator a rate scored as min(rate / target, 1) x its points. Pure.

What this system records computes progress, online dossiers, dossier satisfaction and the
digitisation rates (issue 15: shown without points, the decision's split inside that group not
being applied); for the rest the answer names the input that is missing instead of a number (docs/decisions.md, "Decision
766", has the formulas, their sources and the weights this product reads into the decision).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, fields

from services.stats.domain.report import GroupSums, rate, row_for


@dataclass(frozen=True)
class Group:
    key: str
    points: int
    vi: str
    en: str


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    points: float | None  # None: the decision's split inside the group is not applied here
    target: float
    vi: str
    en: str
    formula_vi: str
    formula_en: str
    source: str
    missing_vi: str | None = None  # what the system does not record yet (no number is shown)
    missing_en: str | None = None


GROUPS = [
    Group("transparency", 18, "Công khai, minh bạch", "Transparency"),
    Group("progress", 20, "Tiến độ giải quyết", "Progress of resolution"),
    Group("online", 12, "Dịch vụ công trực tuyến", "Online services"),
    Group("payment", 10, "Thanh toán trực tuyến", "Online payment"),
    Group("satisfaction", 18, "Mức độ hài lòng", "Satisfaction"),
    Group("digitisation", 22, "Số hóa hồ sơ", "Digitisation"),
]
_766 = "Quyết định 766/QĐ-TTg, Phụ lục"
INDICATORS = [
    Indicator(
        "published_on_time",
        "transparency",
        None,
        100.0,
        "Công bố, công khai thủ tục hành chính đúng hạn",
        "Procedures published on time",
        "số TTHC được công bố, công khai đúng hạn / tổng số TTHC phải công bố",
        "procedures published on time / procedures to be published",
        _766,
        "Danh mục thủ tục chưa ghi ngày quyết định công bố và ngày công khai",
        "The catalogue does not record when each procedure was decided and published",
    ),
    Indicator(
        "synced_to_portal",
        "transparency",
        None,
        100.0,
        "Hồ sơ được đồng bộ trạng thái lên Cổng Dịch vụ công quốc gia",
        "Dossiers whose status is synchronised to the national portal",
        "số hồ sơ đồng bộ đầy đủ trạng thái / tổng số hồ sơ",
        "dossiers fully synchronised / all dossiers",
        _766,
        "Chưa kết nối Cổng Dịch vụ công quốc gia",
        "Not yet connected to the national public-service portal",
    ),
    Indicator(
        "on_time",
        "progress",
        20,
        100.0,
        "Hồ sơ giải quyết trước hạn, đúng hạn",
        "Dossiers resolved early or on time",
        "(đã giải quyết trước hạn + đúng hạn + đang giải quyết trong hạn) / (đã giải quyết + đang giải quyết), "
        "như Biểu 06 (tạm dừng tính trong đang giải quyết)",
        "(resolved early + on time + in processing within deadline) / (resolved + in processing), "
        "as form 06 counts them (paused dossiers are in processing)",
        _766,
    ),
    Indicator(
        "online_dossiers",
        "online",
        6,
        50.0,
        "Tỷ lệ hồ sơ trực tuyến",
        "Share of dossiers online",
        "hồ sơ tiếp nhận trực tuyến / tổng hồ sơ tiếp nhận, của các TTHC cung cấp dịch vụ công trực tuyến toàn trình",
        "dossiers accepted online / all accepted, for procedures offered fully online",
        f"{_766}; mục tiêu 50 %: Nghị quyết 76/NQ-CP (2021)",
    ),
    Indicator(
        "services_used_online",
        "online",
        6,
        100.0,
        "Dịch vụ công trực tuyến có phát sinh hồ sơ trực tuyến",
        "Online services that received online dossiers",
        "số DVC trực tuyến có hồ sơ trực tuyến / tổng số DVC trực tuyến được cung cấp",
        "online services with online dossiers / online services offered",
        _766,
        "Thống kê chưa nhận danh mục đầy đủ các dịch vụ công trực tuyến (chỉ biết thủ tục đã có hồ sơ)",
        "Statistics does not receive the full list of online services (only procedures that had dossiers)",
    ),
    Indicator(
        "online_payment",
        "payment",
        10,
        100.0,
        "Thanh toán trực tuyến",
        "Online payment",
        "số hồ sơ thanh toán trực tuyến / số hồ sơ có nghĩa vụ tài chính",
        "dossiers paid online / dossiers with a fee or charge",
        f"{_766}; đếm theo yêu cầu nộp phí (dossier.fee_requested) và lần nộp trực tuyến (6 -> 4, method online)",
    ),
    Indicator(
        "complaints_on_time",
        "satisfaction",
        6,
        100.0,
        "Phản ánh, kiến nghị xử lý đúng hạn",
        "Feedback and complaints handled on time",
        "PAKN xử lý đúng hoặc trước hạn / tổng PAKN thuộc thẩm quyền",
        "feedback handled on time or early / all feedback within competence",
        _766,
        "Chưa tiếp nhận phản ánh, kiến nghị",
        "Feedback and complaints are not received yet",
    ),
    Indicator(
        "complaint_satisfaction",
        "satisfaction",
        6,
        100.0,
        "Hài lòng trong xử lý phản ánh, kiến nghị",
        "Satisfaction with feedback handling",
        "(tổng PAKN − số bị phản hồi không hài lòng hoặc xử lý quá hạn) / tổng PAKN",
        "(feedback − answered dissatisfied or handled late) / all feedback",
        _766,
        "Chưa tiếp nhận phản ánh, kiến nghị",
        "Feedback and complaints are not received yet",
    ),
    Indicator(
        "dossier_satisfaction",
        "satisfaction",
        6,
        90.0,
        "Hài lòng trong tiếp nhận, giải quyết TTHC",
        "Satisfaction with reception and resolution",
        "(hồ sơ đã và đang giải quyết − hồ sơ quá hạn − hồ sơ được đánh giá dưới 4/5 mà không quá hạn) / "
        "hồ sơ đã và đang giải quyết; chưa gồm hồ sơ có phản ánh, kiến nghị (chưa tiếp nhận)",
        "(resolved and in processing − late or overdue − rated below 4 of 5 and not late) / resolved and in "
        "processing; dossiers with complaints are not counted yet (not received)",
        f"{_766}; mục tiêu 90 %: Nghị quyết 76/NQ-CP (2021)",
    ),
    Indicator(
        "digitised_documents",
        "digitisation",
        None,
        100.0,
        "Số hóa thành phần hồ sơ",
        "Dossier documents digitised",
        "hồ sơ có thành phần được số hóa / tổng hồ sơ tiếp nhận",
        "dossiers with digitised documents / dossiers accepted",
        _766,
    ),
    Indicator(
        "electronic_results",
        "digitisation",
        None,
        100.0,
        "Cấp kết quả giải quyết điện tử",
        "Results issued electronically",
        "hồ sơ được cấp kết quả điện tử / hồ sơ đã giải quyết",
        "dossiers with an electronic result / dossiers decided",
        _766,
    ),
    Indicator(
        "reused_data",
        "digitisation",
        None,
        100.0,
        "Khai thác, sử dụng lại thông tin, dữ liệu số hóa",
        "Digitised data reused",
        "hồ sơ sử dụng lại dữ liệu số hóa / hồ sơ tiếp nhận",
        "dossiers reusing digitised data / dossiers accepted",
        _766,
    ),
]
BY_KEY = {i.key: i for i in INDICATORS}
assert sum(g.points for g in GROUPS) == 100
assert all(sum(i.points or 0 for i in INDICATORS if i.group == g.key) <= g.points for g in GROUPS)


@dataclass(frozen=True)
class Inputs:
    """For one agency (or the total), what the computable indicators are made of."""

    on_track: int  # resolved early or on time + in processing within
    considered: int  # resolved + in processing
    late_or_overdue: int  # resolved late + in processing overdue
    rated_low_not_late: int  # decided in the period, rated below 4 of 5, not late
    online_full: int  # accepted online, procedures offered fully online
    accepted_full: int  # accepted, same procedures
    with_fee: int = 0  # fees asked for in the period (dossier.fee_requested)
    paid_online: int = 0  # fees paid online in the period (the 6 -> 4 event's method)
    # Digitisation (issue 15), from the accepted and resolved events' counts.
    accepted: int = 0  # accepted in the period, every procedure
    digitised: int = 0  # of them, with at least one document scanned or reused
    reused: int = 0  # of them, with at least one document reused from an earlier dossier
    decided: int = 0  # decided (9) in the period
    electronic: int = 0  # of them, with a signed electronic result


def inputs(
    form_row: dict, online_full: int, accepted_full: int, rated_low_not_late: int, flows: Counter | None = None
) -> Inputs:
    """From a row of the period report (form 06), the period's flows, and what the counters and
    facts add to them."""
    r, f = form_row, flows or Counter()
    return Inputs(
        on_track=r["resolved_early"] + r["resolved_on_time"] + r["in_processing_within"],
        considered=r["resolved_total"] + r["in_processing_total"],
        late_or_overdue=r["resolved_late"] + r["in_processing_overdue"],
        rated_low_not_late=rated_low_not_late,
        online_full=online_full,
        accepted_full=accepted_full,
        with_fee=f["fee_requested"],
        paid_online=f["paid_online"],
        accepted=f["received_online"] + f["received_direct"],
        digitised=f["digitised_dossiers"],
        reused=f["digitised_reused_dossiers"],
        decided=f["decided"],
        electronic=f["result_electronic"],
    )


def _scored(key: str, part: int, whole: int) -> dict:
    spec = BY_KEY[key]
    r = rate(part, whole)
    # No points inside a group whose split is not applied: the rate is shown, the group not scored.
    score = None if r is None or spec.points is None else round(spec.points * min(r / spec.target, 1.0), 2)
    return {"rate": r, "numerator": part, "denominator": whole, "score": score}


def score_row(i: Inputs) -> dict:
    values = {
        "on_time": _scored("on_time", i.on_track, i.considered),
        "online_dossiers": _scored("online_dossiers", i.online_full, i.accepted_full),
        "online_payment": _scored("online_payment", i.paid_online, i.with_fee),
        "dossier_satisfaction": _scored(
            "dossier_satisfaction", max(i.considered - i.late_or_overdue - i.rated_low_not_late, 0), i.considered
        ),
        "digitised_documents": _scored("digitised_documents", i.digitised, i.accepted),
        "reused_data": _scored("reused_data", i.reused, i.accepted),
        "electronic_results": _scored("electronic_results", i.electronic, i.decided),
    }
    groups: dict[str, dict] = {}
    for g in GROUPS:
        scores = [(BY_KEY[k].points or 0, v["score"]) for k, v in values.items() if BY_KEY[k].group == g.key]
        assessed = sum(points for points, score in scores if score is not None)
        groups[g.key] = {
            "score": round(sum(score for _, score in scores if score is not None), 2) if assessed else None,
            "assessed_points": assessed,
        }
    score = round(sum(g["score"] or 0 for g in groups.values()), 2)
    assessed = sum(g["assessed_points"] for g in groups.values())
    return {
        "indicators": values,
        "groups": groups,
        "score": score,
        "assessed_points": assessed,
        "score_percent": round(100 * score / assessed, 2) if assessed else None,
    }


def rules() -> dict:
    return {
        "groups": [{"key": g.key, "points": g.points, "vi": g.vi, "en": g.en} for g in GROUPS],
        "indicators": [
            {
                "key": i.key,
                "group": i.group,
                "points": i.points,
                "target": i.target,
                "vi": i.vi,
                "en": i.en,
                "formula_vi": i.formula_vi,
                "formula_en": i.formula_en,
                "source": i.source,
                "computed": i.missing_vi is None,
                "missing_vi": i.missing_vi,
                "missing_en": i.missing_en,
            }
            for i in INDICATORS
        ],
    }


def ranked(rows: list[dict]) -> list[dict]:
    """Best first by the share of the assessed points reached; equal shares share a rank."""
    ordered = sorted(rows, key=lambda r: (r["score_percent"] is None, -(r["score_percent"] or 0), r["key"]))
    rank, previous = 0, object()
    for n, row in enumerate(ordered, 1):
        if row["score_percent"] != previous:
            rank, previous = n, row["score_percent"]
        row["rank"] = rank if row["score_percent"] is not None else None
    return ordered


def _other(f: Counter) -> dict:
    """Beside the index: the average rating and working time of the period's decisions."""
    return {
        "average_rating": round(f["rating_points"] / f["rated"], 2) if f["rated"] else None,
        "average_working_hours": round(f["resolved_centihours"] / 100 / f["decided"], 2) if f["decided"] else None,
    }


def index(
    sums: dict[str, GroupSums],
    pairs: dict[tuple[str, str], Counter],
    levels: dict[str, str],
    rated_low_not_late: dict[str, int],
    names: dict[str, str],
) -> dict:
    """Per agency (ranked) and in total. sums: form 06's sums per agency; pairs: the period's flows
    per (agency, procedure); levels: each procedure's online level."""
    online: dict[str, list[int]] = {}  # per agency: accepted online, all accepted (fully online procedures)
    for (agency, procedure), flows in pairs.items():
        if levels.get(procedure) == "toan_trinh":
            o = online.setdefault(agency, [0, 0])
            o[0] += flows["received_online"]
            o[1] += flows["received_online"] + flows["received_direct"]
    rows, parts, all_flows = [], [], Counter[str]()
    for key in sorted(sums):
        online_full, accepted_full = online.get(key, [0, 0])
        part = inputs(row_for(sums[key]), online_full, accepted_full, rated_low_not_late.get(key, 0), sums[key].flows)
        parts.append(part)
        all_flows.update(sums[key].flows)
        rows.append({"key": key, "name": names.get(key, key), **score_row(part), **_other(sums[key].flows)})
    total = Inputs(*(sum(getattr(p, f.name) for p in parts) for f in fields(Inputs)))
    return {
        **rules(),
        "rows": ranked(rows),
        "total": {"key": None, "name": "Tổng cộng", **score_row(total), **_other(all_flows)},
    }
