"""Uptake of online services: of the dossiers received for resolution (accepted, form 06's (4) +
(5)) for procedures offered online, the share received online; per procedure and agency, per
online level, month by month, and which procedures lag the target. Pure.

**Target:** 50 % of dossiers online, the goal Resolution 76/NQ-CP (2021, the public
administration reform programme 2021-2030) sets for 2025 and Decision 06/QĐ-TTg (2022) repeats;
Decision 766 measures the same rate over procedures offered fully online (docs/decisions.md).
"""

from __future__ import annotations

from collections import Counter

from services.stats.domain.report import rate

TARGET = 50.0
LEVEL_NAMES_VI = {"toan_trinh": "Toàn trình", "mot_phan": "Một phần"}
FORMULA = {
    "vi": "hồ sơ tiếp nhận trực tuyến / tổng hồ sơ tiếp nhận (trực tuyến, trực tiếp, bưu chính) "
    "của các thủ tục có cung cấp dịch vụ công trực tuyến",
    "en": "dossiers accepted online / all dossiers accepted (online, counter, post) of procedures offered online",
}
LAGGING_SHOWN = 20


def _share(online: int, total: int) -> dict:
    return {"online": online, "total": total, "share": rate(online, total)}


def _counts(c: Counter) -> tuple[int, int]:
    return c["received_online"], c["received_online"] + c["received_direct"]


def build(
    pairs: dict[tuple[str, str], Counter],
    months: list[tuple[str, dict[str, Counter]]],
    levels: dict[str, str],
    names: dict[str, dict[str, str]],
) -> dict:
    """pairs: flows per (agency, procedure); months: (YYYY-MM, flows per procedure); levels: the
    online level of each procedure offered online."""
    procedures: list[dict] = []
    agencies: dict[str, list[int]] = {}  # online, total, procedures
    by_level = {lv: [0, 0] for lv in LEVEL_NAMES_VI}
    not_offered: Counter = Counter()
    for (agency, procedure), flows in sorted(pairs.items()):
        online, total = _counts(flows)
        if not total:
            continue
        level = levels.get(procedure)
        if level not in LEVEL_NAMES_VI:
            not_offered["dossiers"] += total
            not_offered["procedures"] += 1
            continue
        row = {
            "agency_id": agency,
            "agency_name": names["agency"].get(agency, agency),
            "procedure_code": procedure,
            "procedure_name": names["procedure"].get(procedure, procedure),
            "online_level": level,
            **_share(online, total),
        }
        row["lagging"] = row["share"] is not None and row["share"] < TARGET
        procedures.append(row)
        a = agencies.setdefault(agency, [0, 0, 0])
        a[0], a[1], a[2] = a[0] + online, a[1] + total, a[2] + 1
        by_level[level][0] += online
        by_level[level][1] += total
    lagging = sorted(
        (p for p in procedures if p["lagging"]),
        # the most dossiers short of the target first: where effort moves the rate most
        key=lambda p: (-(TARGET / 100 * p["total"] - p["online"]), p["procedure_code"], p["agency_id"]),
    )
    trend = []
    for month, per_procedure in months:
        online = total = 0
        for procedure, c in per_procedure.items():
            if levels.get(procedure) in LEVEL_NAMES_VI:
                o, t = _counts(c)
                online, total = online + o, total + t
        trend.append({"month": month, **_share(online, total)})
    return {
        "target": TARGET,
        "formula": FORMULA,
        "total": _share(sum(a[0] for a in agencies.values()), sum(a[1] for a in agencies.values())),
        "by_level": [{"level": lv, "name": LEVEL_NAMES_VI[lv], **_share(*v)} for lv, v in by_level.items()],
        "agencies": [
            {"agency_id": k, "agency_name": names["agency"].get(k, k), "procedures": v[2], **_share(v[0], v[1])}
            for k, v in sorted(agencies.items())
        ],
        "procedures": procedures,
        "lagging": lagging[:LAGGING_SHOWN],
        "months": trend,
        "not_offered_online": {"dossiers": not_offered["dossiers"], "procedures": not_offered["procedures"]},
    }
