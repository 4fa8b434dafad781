"""The board watchers' Grafana dashboard reads stats' database directly: each of its SQL queries
runs against the real schema of the active projection generation, and its figures are the
public board's."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.e2e.test_lifecycle_end_to_end import receive

pytestmark = pytest.mark.e2e

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "dashboards" / "board-watchers.json"


def queries() -> dict[str, str]:
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {panel["title"]: target["rawSql"] for panel in board["panels"] for target in panel["targets"]}


def as_grafana_would(sql: str, schema: str) -> str:
    """Grafana's interpolation: the generation variable, and the time range macro (last 30 days)."""
    sql = sql.replace("${schema:raw}", schema)
    return re.sub(r"\$__timeFilter\(([^()]*(?:\([^()]*\))?[^()]*)\)", r"\1 > now() - interval '30 days'", sql)


async def figures(url: str) -> dict[str, list]:
    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        return {
            title: [list(r.values()) for r in await conn.fetch(as_grafana_would(sql, schema))]
            for title, sql in queries().items()
        }
    finally:
        await conn.close()


def stat(results: dict[str, list], title_start: str) -> int:
    [row] = next(rows for title, rows in results.items() if title.startswith(title_start))
    return int(row[0])


async def test_the_dashboard_shows_the_boards_figures(services, staff, endpoints):
    live = f"{services['stats']}/api/v1/stats/live"
    before = httpx.get(live, timeout=10).json()["received_today"]
    receive(services, "counter", staff.auth("clerk"))
    deadline = time.monotonic() + 20
    while True:
        board = httpx.get(live, timeout=10).json()
        results = await figures(endpoints["STATS_DATABASE_URL"])
        shown = {
            "received": stat(results, "Tiếp nhận hôm nay"),
            "resolved": stat(results, "Đã giải quyết hôm nay"),
            "within": stat(results, "Đang giải quyết trong hạn"),
            "overdue": stat(results, "Quá hạn"),
        }
        expected = {
            "received": board["received_today"],
            "resolved": board["resolved_today"]["total"],
            "within": board["in_processing"]["within_deadline"],
            "overdue": board["in_processing"]["overdue"] + board["paused"]["overdue"],
        }
        if shown == expected and shown["received"] > before:
            break
        assert time.monotonic() < deadline, f"dashboard {shown} vs board {expected} (received before: {before})"
        time.sleep(0.3)
    per_day = next(rows for title, rows in results.items() if "theo ngày" in title)
    assert per_day and all(len(row) == 4 for row in per_day)  # time, received, resolved, late
    assert sum(row[1] or 0 for row in per_day) >= shown["received"]
