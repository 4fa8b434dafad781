"""intake's purge job, run by the service itself with periods of seconds (fractional days): a closed
dossier loses its upload, then its personal fields, keeps what is counted, and can no longer be
tracked. tests/integration/test_retention.py proves the SQL on its own; this runs the service.

A second intake instance with the short periods joins the session's fleet (same database and
consumer group) for this test only; while it runs it also purges other tests' dossiers closed
before, which no later test reads."""

from __future__ import annotations

import asyncio
import time
import uuid

import asyncpg
import httpx
import pytest

from services.intake.domain.dossier import PURGED
from tests.e2e.conftest import PORTS, SHIFT
from tests.fleet import Fleet

pytestmark = pytest.mark.e2e
DAY_S = 86400.0
KEEP_ATTACHMENTS_S, KEEP_PERSONAL_S = 2.0, 30.0
SHORT = {"intake": 18141 + SHIFT, "resolution": PORTS["resolution"]}
LAND = "1.013831"
PDF = b"%PDF-1.4\n%%EOF\n"


async def _poll(fetch, predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if predicate(value):
            return value
        assert time.monotonic() < deadline, f"{what} not reached in {timeout} s; last: {value}"
        await asyncio.sleep(0.2)  # the polling interval; the deadline above bounds the wait


@pytest.fixture
def short_periods_intake(services, endpoints, tmp_path):
    env = {
        **endpoints,
        "INTAKE_KEEP_ATTACHMENTS_DAYS": str(KEEP_ATTACHMENTS_S / DAY_S),
        "INTAKE_KEEP_PERSONAL_DAYS": str(KEEP_PERSONAL_S / DAY_S),
        "RETENTION_INTERVAL_S": "0.5",
        "INTAKE_CITIZEN_ADDRESS_FAILURES": "100000",
    }
    fleet = Fleet(SHORT, env, tmp_path)
    fleet.start("intake")
    try:
        fleet.wait_healthy("intake", timeout=120)
        yield fleet.url("intake")
    finally:
        fleet.stop_all(30)


async def test_a_closed_dossier_loses_its_upload_then_its_personal_fields_and_keeps_what_is_counted(
    short_periods_intake, endpoints
):
    intake = short_periods_intake
    run = uuid.uuid4().hex[:8]
    id_number = f"079{int(run, 16) % 10**9:09d}"
    applicant = {"type": 0, "name": f"Lê Thị Lưu Trữ {run}", "id_number": id_number, "phone": "0987654321"}
    dossier = {"procedure_code": LAND, "applicant": applicant, "documents": ["Đơn đăng ký"], "channel": "online"}
    made = httpx.post(f"{intake}/api/v1/dossiers", json=dossier, timeout=15)
    assert made.status_code == 201, made.text
    code, citizen = made.json()["code"], {"id_number": id_number, "pin": made.json()["tracking_pin"]}
    up = httpx.post(
        f"{intake}/api/v1/uploads/{code}", data=citizen, files=[("files", ("giay.pdf", PDF, "application/pdf"))]
    )
    assert up.status_code == 201, up.text
    withdrawn = httpx.post(f"{intake}/api/v1/dossiers/{code}/withdraw", json={**citizen, "reason": "không cần"})
    assert withdrawn.status_code == 202, withdrawn.text

    db = await asyncpg.connect(endpoints["INTAKE_DATABASE_URL"])
    try:

        async def row():
            return await db.fetchrow(
                "SELECT d.*, (SELECT count(*) FROM attachments a WHERE a.code = d.code) AS files,"
                " (SELECT count(*) FROM dossier_history h WHERE h.code = d.code) AS steps FROM dossiers d WHERE code = $1",
                code,
            )

        closed = await _poll(row, lambda r: r["closed_at"] is not None, 60, "closing recorded by the tracking view")
        assert closed["tracked_status"] == 7 and closed["files"] == 1
        tracked = httpx.post(f"{intake}/api/v1/dossiers/{code}/track", json=citizen, timeout=15)
        assert tracked.status_code == 200, tracked.text  # closed, still trackable until the purge

        # First the upload goes; the applicant's fields are still there (their period is longer).
        no_files = await _poll(row, lambda r: r["files"] == 0, 60, "upload deleted")
        assert id_number in no_files["applicant"] and no_files["personal_purged_at"] is None
        assert time.time() - closed["closed_at"].timestamp() < KEEP_PERSONAL_S, "too slow to see the order"

        purged = await _poll(row, lambda r: r["personal_purged_at"] is not None, 90, "personal fields replaced")
        for personal in (id_number, applicant["name"], applicant["phone"], "không cần"):
            assert personal not in f"{purged['applicant']} {purged['withdrawal_reason']}"
        assert PURGED in purged["applicant"] and purged["withdrawal_reason"] == PURGED
        assert (purged["personal_purged_at"] - closed["closed_at"]).total_seconds() >= KEEP_PERSONAL_S
        counted = ("agency_id", "procedure_code", "channel", "submitted_at", "tracked_status", "closed_at", "steps")
        assert [purged[c] for c in counted] == [closed[c] for c in counted]
    finally:
        await db.close()

    refused = httpx.post(f"{intake}/api/v1/dossiers/{code}/track", json=citizen, timeout=15)
    assert refused.status_code == 404, refused.text
