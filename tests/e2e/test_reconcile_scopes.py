"""A case corrupted in resolution behind the events' back: no fact of stats changes, so a run over
the changes does not look at it; the full sweep finds it as new, and once repaired it is gone."""

from __future__ import annotations

import json
import uuid

import asyncpg
import httpx
import pytest

from deploy.local._common import run_coro
from tests.e2e.reconciliation import reconcile_over_http
from tests.e2e.test_import_end_to_end import import_file
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e


def reconciliation(services, scope: str, auth) -> dict:
    return run_coro(reconcile_over_http(services["stats"], auth, scope))


def ours(result: dict, code: str) -> list[dict]:
    return [e for e in result["examples"] if e.get("code") == code]


async def test_a_corrupted_case_is_found_by_the_sweep_and_reported_once(services, endpoints, staff):
    code = f"REC-{uuid.uuid4().hex[:8].upper()}"
    line = {
        "code": code,
        "procedure_code": "1.012783",
        "channel": "counter",
        "applicant": {"name": "Đỗ Thị Lan", "id_number": "001190000555"},
        "history": [
            {"status": 2, "at": "2026-11-02T09:00:00+07:00", "actor": "motcua.rec"},
            {"status": 4, "at": "2026-11-02T10:00:00+07:00", "actor": "canbo.rec"},
        ],
    }
    assert import_file(services, json.dumps(line, ensure_ascii=False), staff.auth("leader"))["imported"] == 1
    leader, monitor = staff.auth("leader"), staff.auth("monitor")
    wait_for(
        lambda: httpx.get(f"{services['resolution']}/api/v1/cases/{code}", auth=leader, timeout=5).status_code,
        lambda s: s == 200,
        what="the case in resolution",
    )
    wait_for(
        lambda: ours(reconciliation(services, "full", monitor), code),
        lambda found: found == [],
        timeout=60,
        what="agreed",
    )
    assert reconciliation(services, "changes", monitor)["scope"] == "changes"

    db = await asyncpg.connect(endpoints["RESOLUTION_DATABASE_URL"])
    try:
        await db.execute("UPDATE cases SET status = 9 WHERE code = $1", code)
        try:
            assert ours(reconciliation(services, "changes", monitor), code) == []  # nothing of it changed in stats
            swept = reconciliation(services, "full", monitor)
            [finding] = ours(swept, code)
            assert (finding["check"], finding["new"], finding["resolution"][0], finding["stats"][0]) == (
                "statuses",
                True,
                9,
                4,
            )
            # open now: the next run over the changes looks at it again, no longer new
            [again] = ours(reconciliation(services, "changes", monitor), code)
            assert again["new"] is False
        finally:
            await db.execute("UPDATE cases SET status = 4 WHERE code = $1", code)
    finally:
        await db.close()
    assert ours(reconciliation(services, "changes", monitor), code) == []
    assert ours(reconciliation(services, "full", monitor), code) == []
