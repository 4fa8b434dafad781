"""History import on the real PostgreSQL: intake's rows and events, then resolution's replay of
the accepted event it wrote, both idempotent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from aiokafka import ConsumerRecord

from deploy.local.servers import admin_url
from services.intake.service import catalogue, imports
from services.resolution.service import cases
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.db import drop_database, migrate
from shared.events import parse_event
from shared.runtime import SHARED_MIGRATIONS
from tests.integration.conftest import intake_units, resolution_units

SERVICES = Path(__file__).resolve().parents[2] / "services"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
T = datetime(2026, 1, 5, 1, 10, tzinfo=UTC)  # Monday 08:10 in Hà Nội
APPLICANT = {"name": "Lê Thị Cúc", "id_number": "001199000111", "phone": "0912000111"}
CAL = default_calendar()


def line(code, history, procedure="1.013831", channel="counter", **extra) -> bytes:
    return json.dumps(
        {
            "code": code,
            "procedure_code": procedure,
            "channel": channel,
            "applicant": APPLICANT,
            "history": [
                {"status": s, "at": (T + timedelta(hours=h)).isoformat(), "actor": "canbo.a"} for s, h in history
            ],
            **extra,
        },
        ensure_ascii=False,
    ).encode()


@pytest.fixture
async def databases(endpoints):
    base = admin_url(endpoints["STATS_DATABASE_URL"]).rsplit("/", 1)[0]
    names = [f"t_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = await asyncpg.connect(f"{base}/postgres")
    pools = []
    try:
        for name, service in zip(names, ("intake", "resolution"), strict=False):
            await admin.execute(f'CREATE DATABASE "{name}"')
            pool = await asyncpg.create_pool(f"{base}/{name}")
            pools.append(pool)
            for d in (SHARED_MIGRATIONS, SERVICES / service / "migrations"):
                await migrate(pool, d)
        await catalogue.load(intake_units(pools[0]), catalogue.SHIPPED_CATALOGUE)
        yield pools
    finally:
        for pool in pools:
            await pool.close()
        for name in names:
            await drop_database(admin, name)
        await admin.close()


async def events(pool) -> list:
    return [
        parse_event(r["payload"])
        for r in await pool.fetch("SELECT payload FROM outbox WHERE topic = 'dossier.lifecycle.v1' ORDER BY id")
    ]


async def test_import_then_replay(databases):
    intake, resolution = databases
    ours = "000.00.31.H26-260105-0042"
    lines = [
        line(ours, [(2, 0), (4, 1), (9, 20), (10, 30)], rating=4),  # 10: counter, early, returned, rated
        line("OLD-2", [(1, 0), (3, 2)], channel="online"),  # 11: online, refused
        b"",  # 12: blank, skipped
        line("OLD-3", [(1, 0), (5, 1), (2, 3), (4, 4), (6, 5)], channel="online"),  # 13: paying the fee
        line("OLD-4", [(2, 0)], procedure="NO.SUCH"),  # 14: unknown procedure
        line("OLD-5", [(2, 0), (9, 1)]),  # 15: impossible move
        b'{"code": "OLD-6", ',  # 16: bad JSON
        line("OLD-2", [(1, 0)], channel="online"),  # 17: same code again
    ]
    result = await imports.import_lines(intake_units(intake), CAL, NOW, source="legacy-a", first_line=10, lines=lines)
    assert (result["lines"], result["imported"], result["already_present"]) == (7, 3, 1)
    assert [(e["line"], e["code"]) for e in result["errors"]] == [
        (14, "unknown_procedure"),
        (15, "impossible_transition"),
        (16, "bad_json"),
    ]

    rows = {r["code"]: r for r in await intake.fetch("SELECT * FROM dossiers")}
    assert {c: (r["status"], r["last_seq"]) for c, r in rows.items()} == {
        ours: (2, 1),
        "OLD-2": (3, 2),
        "OLD-3": (2, 3),
    }
    assert rows[ours]["rating"] == 4 and rows[ours]["import_source"] == "legacy-a"
    assert rows["OLD-3"]["accepted_at"] == T + timedelta(hours=3)
    assert rows[ours]["due_at"] == CAL.due_time(T, 40)  # as at the counter: 40 working hours
    # Our code format: today's numbering for that agency and day continues after it.
    assert (
        await intake.fetchval(
            "SELECT last_seq FROM code_sequences WHERE agency_id = $1 AND local_day = $2",
            "000.00.31.H26",
            date(2026, 1, 5),
        )
        == 42
    )

    written = await events(intake)
    assert [(e.dossier_code, e.seq, e.type) for e in written if e.dossier_code == "OLD-3"] == [
        ("OLD-3", 1, "dossier.submitted"),
        ("OLD-3", 2, "dossier.supplement_requested"),
        ("OLD-3", 3, "dossier.accepted"),
    ]
    assert all(e.occurred_at < NOW for e in written)
    outbox_text = b"".join(r["payload"] for r in await intake.fetch("SELECT payload FROM outbox"))
    assert APPLICANT["id_number"].encode() not in outbox_text and b"0912000111" not in outbox_text
    history = await intake.fetch("SELECT seq, status FROM dossier_history WHERE code = 'OLD-2' ORDER BY seq")
    assert [(h["seq"], h["status"]) for h in history] == [(1, 1), (2, 3)]

    again = await imports.import_lines(intake_units(intake), CAL, NOW, source="legacy-a", first_line=10, lines=lines)
    assert (again["imported"], again["already_present"]) == (0, 4)
    assert len(await events(intake)) == len(written), "a second import writes no event"

    # Resolution replays the accepted events (twice: the redelivery changes nothing).
    def item(e):
        return Item(ConsumerRecord("dossier.lifecycle.v1", 0, 0, 0, 0, e.dossier_code.encode(), b"", None, 0, 0, []), e)

    accepted = [item(e) for e in written if e.type == "dossier.accepted"]
    await cases.open_cases(resolution_units(resolution), accepted, CAL)
    await cases.open_cases(resolution_units(resolution), accepted, CAL)
    replayed = await events(resolution)
    assert [(e.seq, e.type) for e in replayed if e.dossier_code == ours] == [
        (2, "dossier.processing_started"),
        (3, "dossier.resolved"),
        (4, "dossier.returned"),
        (5, "dossier.rated"),
    ]
    assert [(e.seq, e.type) for e in replayed if e.dossier_code == "OLD-3"] == [
        (4, "dossier.processing_started"),
        (5, "dossier.fee_requested"),
    ]
    resolved = next(e for e in replayed if e.type == "dossier.resolved")
    assert resolved.occurred_at == T + timedelta(hours=20) and resolved.payload.compliance == "early"
    case_rows = {r["code"]: r for r in await resolution.fetch("SELECT * FROM cases")}
    assert {c: (r["status"], r["last_seq"], r["rating"]) for c, r in case_rows.items()} == {
        ours: (10, 5, 4),
        "OLD-3": (6, 5, None),
    }
    slip = await resolution.fetch("SELECT seq, to_status, actor FROM case_history WHERE code = $1 ORDER BY seq", ours)
    assert [(s["seq"], s["to_status"]) for s in slip] == [(1, 2), (2, 4), (3, 9), (4, 10), (5, None)]
    assert slip[-1]["actor"] == "citizen"
    # No overdue notice for a replayed case that is closed; the paused one is not running.
    assert await cases.notice_overdue(resolution_units(resolution), NOW) == 0
