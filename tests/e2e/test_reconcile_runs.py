"""Reconciliation through the API: not anonymous, one run at a time, a request starts a run and
answers at once, reading runs nothing and leaves the gauge alone."""

from __future__ import annotations

import asyncpg
import httpx
import pytest

from services.stats.adapters.runs import RUN_LOCK
from tests.e2e.reconciliation import reconciliation_run

pytestmark = pytest.mark.e2e


def gauge(stats_url: str) -> float:
    text = httpx.get(f"{stats_url}/metrics", timeout=5).text
    [line] = [x for x in text.splitlines() if x.startswith("stats_reconciliation_mismatches ")]
    return float(line.split()[1])


async def test_runs_are_for_operators_one_at_a_time_and_reading_changes_nothing(services, endpoints, staff):
    stats = services["stats"]
    runs_url = f"{stats}/api/v1/stats/reconciliation/runs"
    async with httpx.AsyncClient(timeout=30) as client:
        assert (await client.get(f"{stats}/api/v1/stats/reconciliation")).status_code == 401
        assert (await client.post(runs_url, json={"scope": "changes"})).status_code == 401
        clerk = await client.post(runs_url, json={"scope": "changes"}, auth=staff.auth("clerk"))
        assert clerk.status_code == 403, clerk.text

        # Another process holds the run lock (a run in progress elsewhere): a request is refused, not queued.
        holder = await asyncpg.connect(endpoints["STATS_DATABASE_URL"])
        try:
            assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", RUN_LOCK)
            busy = await client.post(runs_url, json={"scope": "changes"}, auth=staff.auth("monitor"))
            assert busy.status_code == 409, busy.text
            assert busy.json()["error"]["message_en"].startswith("A reconciliation run is in progress")
        finally:
            await holder.close()

    run = await reconciliation_run(stats, staff.auth("monitor"), "changes")
    result = run["result"]
    assert run["scope"] == "changes" and run["requested_by"] == staff.username("monitor")
    assert result["scope"] in ("changes", "full")  # a generation never checked gets a sweep first
    measured = gauge(stats)
    assert measured == result["mismatches"]

    async with httpx.AsyncClient(timeout=30, auth=staff.auth("leader")) as client:
        for _ in range(3):  # reading, however often, runs nothing and moves nothing
            state = (await client.get(f"{stats}/api/v1/stats/reconciliation")).json()
            assert state["last"]["id"] == run["id"] and state["last"]["result"] == result, state
            assert state["last"]["requested_by"] == staff.username("monitor")
        assert gauge(stats) == measured
        missing = await client.get(f"{runs_url}/999999999")
        assert missing.status_code == 404 and missing.json()["error"]["message_vi"]
