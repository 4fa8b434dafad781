"""The table printed at the end of `make bench`, and the same figures as JSON."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import Figure, fmt

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"


def _cell(summary, unit: str = "") -> str:
    if summary is None:
        return ""
    spread = summary.spread()
    return f"{fmt(summary.median)}{' ' + unit if unit else ''}{f' ({spread})' if spread else ''}"


def table(figures: list[Figure]) -> str:
    rows = [("#", "figure", "median (min–max)", "reference", "ratio", "goal", "met")]
    for f in sorted(figures, key=lambda f: f.number):
        if f.not_measured:
            rows.append((str(f.number), f.title, f"not measured: {f.not_measured}", "", "", f.goal, "–"))
            continue
        ref = f"{f.reference_name}: {_cell(f.reference, f.unit)}" if f.reference else ""
        met = "–" if f.met is None else ("yes" if f.met else "NO")
        rows.append((str(f.number), f.title, _cell(f.value, f.unit), ref, _cell(f.ratio), f.goal, met))
        for key, value in f.extra.items():
            if isinstance(value, dict) and "median" in value:
                shown = f"{fmt(value['median'])} {value.get('unit', '')}".strip()
                if value.get("low") is not None and value.get("low") != value.get("high"):
                    shown += f" ({fmt(value['low'])}–{fmt(value['high'])})"
                rows.append(("", f"  {key}", shown, "", "", "", ""))
            elif not isinstance(value, (dict, list)):
                rows.append(("", f"  {key}", str(value), "", "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write(figures: list[Figure], mode: str, load_note: str) -> Path:
    """bench-results/bench-<UTC time>.json and latest.json (the folder is kept out of git)."""
    RESULTS.mkdir(exist_ok=True)
    now = datetime.now(UTC)
    doc = {
        "measured_at": now.isoformat(timespec="seconds"),
        "mode": mode,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_at_end": os.getloadavg(),
        },
        "load_note": load_note,
        "figures": [f.to_json() for f in sorted(figures, key=lambda f: f.number)],
    }
    path = RESULTS / f"bench-{now:%Y%m%dT%H%M%SZ}.json"
    text = json.dumps(doc, indent=2, ensure_ascii=False, default=str)
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path
