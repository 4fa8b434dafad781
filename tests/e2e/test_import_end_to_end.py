"""A legacy file imported through intake: resolution replays it, stats counts it, the export
shows it; a second import changes nothing; the rating flow end to end.

Codes are unique per run: the test profile keeps its databases and topic between runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from deploy.local._common import run_coro
from shared.auth.sessions import SERVICE_TOKEN_FILE, load_secret
from shared.calendar import default_calendar
from tests.e2e.conftest import REPO
from tests.e2e.reconciliation import reconcile_over_http
from tests.e2e.test_lifecycle_end_to_end import board, delta, figures, wait_for

PROCEDURE = "1.012783"  # 40 working hours, agency 000.00.31.H26; not used by the other e2e tests
AGENCY = "000.00.31.H26"
T = datetime(2026, 1, 5, 1, 10, tzinfo=UTC)  # Monday 08:10 in Hà Nội
ID_NUMBER = "001188000222"
DUE = default_calendar().due_time(T, 40)


def at(hours: float) -> str:
    return (T + timedelta(hours=hours)).isoformat()


def legacy(code, channel, steps, **extra) -> str:
    return json.dumps(
        {
            "code": code,
            "procedure_code": extra.pop("procedure", PROCEDURE),
            "channel": channel,
            "applicant": {"name": "Phạm Văn Dũng", "id_number": ID_NUMBER, "phone": "0903000222"},
            "documents": ["Tờ khai"],
            "history": [
                {
                    "status": s,
                    "at": t.isoformat() if isinstance(t, datetime) else at(t),
                    "actor": "canbo.cu",
                    "reason": None,
                }
                for s, t in steps
            ],
            **extra,
        },
        ensure_ascii=False,
    )


def import_file(services, text: str, auth, first_line: int = 1) -> dict:
    r = httpx.post(
        f"{services['intake']}/api/v1/imports",
        params={"source": "e2e-legacy", "first_line": first_line},
        content=text.encode(),
        timeout=60,
        auth=auth,
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def export(services, agency=AGENCY) -> list[dict]:
    """The export's cases (read as stats does, with the services' token); it must end with a
    complete trailer that counts them."""
    url = f"{services['resolution']}/api/v1/export/cases"
    assert httpx.get(url, timeout=30).status_code == 401, "not anonymous: it lists every case"
    token = {"Authorization": f"Bearer {load_secret(None, SERVICE_TOKEN_FILE).decode()}"}  # the services' own
    with httpx.stream("GET", url, params={"agency": agency} if agency else {}, timeout=30, headers=token) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        *cases, trailer = [json.loads(line) for line in r.iter_lines() if line]
    assert trailer["end"]["complete"] is True and trailer["end"]["cases"] == len(cases), trailer
    return cases


def intake_status(services, code, auth):
    return httpx.get(f"{services['intake']}/api/v1/dossiers/{code}", timeout=5, auth=auth).json()["status"]


async def outbox_count(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox")
    finally:
        await conn.close()


@pytest.mark.e2e
async def test_import_replay_stats_export_and_rating(services, endpoints, tmp_path, staff):
    leader = staff.auth("leader")  # importing needs a centre-wide leader
    run = uuid.uuid4().hex[:8].upper()
    c = {k: f"E2E-{run}-{k}" for k in "ABCDEFGH"}
    lines = [
        legacy(
            c["A"], "counter", [(2, 0), (4, 1), (9, DUE - timedelta(minutes=5)), (10, 200)], rating=4, rated_at=at(201)
        ),  # 1 on time, rated
        legacy(c["B"], "online", [(1, 0), (3, 2)]),  # 2 refused
        legacy(c["C"], "online", [(1, 0), (7, 1)]),  # 3 withdrawn before
        legacy(c["D"], "counter", [(2, 0), (4, 1), (7, 3)]),  # 4 withdrawn after
        legacy(c["E"], "post", [(2, 0), (4, 1), (5, 2), (4, 48), (9, 24 * 40)]),  # 5 paused, late
        legacy(c["F"], "counter", [(2, 0), (4, 1)]),  # 6 still processing
        legacy(f"E2E-{run}-X", "counter", [(2, 0)], procedure="NO.SUCH.PROC"),  # 7 unknown procedure
        legacy(f"E2E-{run}-Y", "counter", [(2, 0), (9, 1)]),  # 8 impossible move
        '{"code": "broken", ',  # 9 bad JSON
        legacy(c["G"], "online", [(1, 0), (5, 1), (2, 3), (4, 4)]),  # 10 supplied, processing
        legacy(c["H"], "counter", [(2, 0), (4, 1), (9, 2), (10, 3)]),  # 11 returned, not rated
    ]
    text = "\n".join(lines) + "\n"
    before = figures(board(services, procedure=PROCEDURE))
    # A form post (what another site could make a signed-in browser send) is refused before reading.
    as_form = httpx.post(
        f"{services['intake']}/api/v1/imports",
        params={"source": "e2e-legacy"},
        content=text.encode(),
        headers={"Content-Type": "text/plain"},
        auth=leader,
    )
    assert as_form.status_code == 415 and "application/x-ndjson" in as_form.json()["error"]["message_en"]

    first = import_file(services, text, leader)
    assert (first["lines"], first["imported"], first["already_present"]) == (11, 8, 0), first
    assert [(e["line"], e["code"]) for e in first["errors"]] == [
        (7, "unknown_procedure"),
        (8, "impossible_transition"),
        (9, "bad_json"),
    ]
    assert all(e["message_vi"] and e["message_en"] for e in first["errors"])

    # Intake's tracking view follows resolution's replayed events.
    expected_status = {"A": 10, "B": 3, "C": 7, "D": 7, "E": 9, "F": 4, "G": 4, "H": 10}
    for k, status in expected_status.items():
        wait_for(
            lambda k=k: intake_status(services, c[k], leader),
            lambda s, status=status: s == status,
            what=f"{k} tracked at {status}",
        )
    for k in "ADEFGH":
        case = httpx.get(f"{services['resolution']}/api/v1/cases/{c[k]}", timeout=5, auth=leader).json()["case"]
        assert case["status"] == expected_status[k]
    for k in "BC":
        assert httpx.get(f"{services['resolution']}/api/v1/cases/{c[k]}", timeout=5, auth=leader).status_code == 404

    # The export: statuses, seqs (F and G also got the watcher's overdue notice), compliance, rating.
    def mine():
        return {row["code"]: row for row in export(services) if row["code"].startswith(f"E2E-{run}-")}

    expected_seq = {"A": 5, "D": 3, "E": 5, "F": 3, "G": 5, "H": 4}
    rows = wait_for(
        mine, lambda m: {k: m.get(c[k], {}).get("last_seq") for k in expected_seq} == expected_seq, what="export seqs"
    )
    assert rows[c["A"]]["compliance"] == "on_time" and rows[c["A"]]["rating"] == 4
    assert rows[c["E"]]["compliance"] == "late" and rows[c["E"]]["status"] == 9
    assert "id_number" not in json.dumps(rows) and ID_NUMBER not in json.dumps(rows)

    expected = {"returned": 2, "refused": 1, "withdrawn": 2, "waiting_handover": 1, "in_processing.overdue": 2}
    wait_for(
        lambda: delta(figures(board(services, procedure=PROCEDURE)), before),
        lambda d: d == expected,
        what="live board counts the imported dossiers",
    )

    # The same file again: nothing new, not even an event.
    intake_url = endpoints["INTAKE_DATABASE_URL"]
    events_before = await outbox_count(intake_url)
    second = import_file(services, text, leader)
    assert (second["lines"], second["imported"], second["already_present"]) == (11, 0, 8)
    assert len(second["errors"]) == 3
    assert await outbox_count(intake_url) == events_before
    # And through the command: a running count, a summary, exit code 1 for the bad lines.
    path = tmp_path / "legacy.jsonl"
    path.write_text(text, encoding="utf-8")
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "deploy.importer",
            str(path),
            "--url",
            services["intake"],
            "--source",
            "e2e-legacy",
            "--chunk-lines",
            "4",
            "--username",
            staff.username("leader"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PASSWORD": staff.password("leader")},
    )
    assert cli.returncode == 1, cli.stderr
    assert "11 lines, 0 imported, 8 already present, 3 errors" in cli.stderr
    assert "line 9: [bad_json]" in cli.stderr and "line 7: [unknown_procedure]" in cli.stderr
    assert await outbox_count(intake_url) == events_before

    # Rating: wrong ID 404; not returned yet 409; rated once; the comment stays at intake.
    # Imported dossiers get a tracking secret too; the clerk reads it out or reprints the slip.
    rate = f"{services['intake']}/api/v1/dossiers/{{}}/rating"
    body = {"id_number": ID_NUMBER, "score": 5, "comment": "Cán bộ nhiệt tình, gọi tôi: 0903000222"}

    def pin(code: str) -> dict:
        return {"pin": httpx.get(f"{services['intake']}/api/v1/dossiers/{code}", auth=leader).json()["tracking_pin"]}

    wrong_id = {**body, **pin(c["H"]), "id_number": "000000000000"}
    assert httpx.post(rate.format(c["H"]), json=wrong_id).status_code == 404
    not_yet = httpx.post(rate.format(c["F"]), json={**body, **pin(c["F"])})
    assert not_yet.status_code == 409 and not_yet.json()["error"]["message_vi"]
    assert httpx.post(rate.format(c["A"]), json={**body, **pin(c["A"])}).status_code == 409  # rated before
    ok = httpx.post(rate.format(c["H"]), json={**body, **pin(c["H"])})
    assert ok.status_code == 202 and "/" in ok.json()["message"]
    again = httpx.post(rate.format(c["H"]), json={**body, **pin(c["H"])})
    assert again.status_code == 409 and "already" in again.json()["error"]["message_en"]
    rated = wait_for(mine, lambda m: m[c["H"]]["rating"] == 5, what="rating recorded by resolution")
    assert rated[c["H"]]["last_seq"] == 5
    conn = await asyncpg.connect(intake_url)
    try:
        sent = b"".join(r["payload"] for r in await conn.fetch("SELECT payload FROM outbox WHERE key = $1", c["H"]))
    finally:
        await conn.close()
    assert b"request.rating" in sent and "nhiệt tình".encode() not in sent and b"0903000222" not in sent

    # Stats' reconciliation reads this export: once everything has settled, nothing differs.
    wait_for(
        lambda: run_coro(reconcile_over_http(services["stats"], staff.auth("monitor"))),
        lambda r: r["mismatches"] == 0 and r["dossiers_compared_with_resolution"] >= 6,
        timeout=30,
        what="reconciliation with resolution's export",
    )

    # The export is ordered by code and streams the whole table (no agency filter) too.
    everything = export(services, agency=None)
    codes = [row["code"] for row in everything]
    assert codes == sorted(codes) and {c[k] for k in "ADEFGH"} <= set(codes)
