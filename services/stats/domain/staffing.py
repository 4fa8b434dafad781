"""The staffing view: per agency and per officer, the dossiers in hand (in processing, clock
running or paused), those overdue, what was decided in the period and how long it took in
working hours (average and 90th percentile per procedure and per officer). Pure: rows in, answer out."""

from __future__ import annotations

from collections import defaultdict


def _hours(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _timing(r) -> dict:
    return {
        "decided": r["decided"],
        "decided_late": r["late"],
        "avg_working_hours": _hours(r["avg_hours"]),
        "p90_working_hours": _hours(r["p90_hours"]),
    }


NO_DECISIONS = {"decided": 0, "decided_late": 0, "avg_working_hours": None, "p90_working_hours": None}


def build(holdings: list, decided: list, names: dict[str, dict[str, str]]) -> dict:
    agency_name = names["agency"]
    officers: dict[tuple, dict] = {}

    def officer(agency_id: str, handler: str) -> dict:
        key = (agency_id, handler)
        if key not in officers:
            officers[key] = {
                "agency_id": agency_id,
                "agency_name": agency_name.get(agency_id, agency_id),
                "handler": handler,
                "in_hand": 0,
                "overdue_in_hand": 0,
                "oldest_accepted_at": None,
                **NO_DECISIONS,
            }
        return officers[key]

    agencies: dict[str, dict] = defaultdict(
        lambda: {"in_hand": 0, "overdue_in_hand": 0, "not_taken_up": 0, **NO_DECISIONS}
    )
    for r in holdings:
        a = agencies[r["agency_id"]]
        a["in_hand"] += r["in_hand"]
        a["overdue_in_hand"] += r["overdue_in_hand"]
        if r["handler"] is None:
            a["not_taken_up"] += r["in_hand"]
            continue
        o = officer(r["agency_id"], r["handler"])
        o.update(in_hand=r["in_hand"], overdue_in_hand=r["overdue_in_hand"])
        o["oldest_accepted_at"] = r["oldest_accepted_at"].isoformat() if r["oldest_accepted_at"] else None
    procedures = []
    for r in decided:
        if r["per_procedure"]:
            procedures.append(
                {
                    "agency_id": r["agency_id"],
                    "agency_name": agency_name.get(r["agency_id"], r["agency_id"]),
                    "procedure_code": r["procedure_code"],
                    "procedure_name": names["procedure"].get(r["procedure_code"], r["procedure_code"]),
                    **_timing(r),
                }
            )
            a = agencies[r["agency_id"]]
            a["decided"] += r["decided"]
            a["decided_late"] += r["late"]
        elif r["handler"] is not None:
            officer(r["agency_id"], r["handler"]).update(_timing(r))
    officer_rows = sorted(officers.values(), key=lambda o: (-o["overdue_in_hand"], -o["in_hand"], o["handler"]))
    staff_per_agency: dict[str, int] = defaultdict(int)
    for o in officer_rows:
        staff_per_agency[o["agency_id"]] += 1
    return {
        "agencies": [
            {
                "agency_id": k,
                "agency_name": agency_name.get(k, k),
                "officers": staff_per_agency[k],
                **{f: v for f, v in agencies[k].items() if f not in ("avg_working_hours", "p90_working_hours")},
            }
            for k in sorted(agencies)
        ],
        "officers": officer_rows,
        "procedures": sorted(procedures, key=lambda p: (p["agency_id"], p["procedure_code"])),
    }


def held(rows: list, working_days: dict[str, float], names: dict[str, dict[str, str]]) -> list[dict]:
    """The dossiers in hand accepted longest ago, with who holds them and for how many working days."""
    return [
        {
            "code": r["code"],
            "agency_id": r["agency_id"],
            "agency_name": names["agency"].get(r["agency_id"], r["agency_id"]),
            "procedure_code": r["procedure_code"],
            "procedure_name": names["procedure"].get(r["procedure_code"], r["procedure_code"]),
            "handler": r["handler"],
            "bucket": r["bucket"],
            "accepted_at": r["accepted_at"].isoformat(),
            "due_at": r["due_at"].isoformat(),
            "working_days_held": working_days[r["code"]],
        }
        for r in rows
    ]
