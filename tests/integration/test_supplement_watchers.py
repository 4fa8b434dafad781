"""Form 02's time running out, on the real PostgreSQL with the time handed in: intake refuses a
dossier still waiting for papers before acceptance (5 -> 3), resolution stops a case still waiting
after it (5 -> 8); by the system, once, however many instances sweep at the same moment."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from services.intake.domain.dossier import Applicant, HandedIn
from services.intake.service import catalogue, reception
from services.intake.service import supplements as intake_supplements
from services.resolution.service import cases
from services.resolution.service import supplements as resolution_supplements
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.db import migrate
from shared.events import Channel
from shared.lifecycle import Action
from shared.runtime import SHARED_MIGRATIONS
from shared.supplements import Asked
from tests.events import accepted_item
from tests.integration.conftest import intake_units, resolution_units

ROOT = Path(__file__).resolve().parents[2] / "services"
MONDAY_9 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
CLERK = Account("clerk", Role.CLERK, None)
OFFICER = Account("cv.test", Role.OFFICER, "000.00.01.H26")
CAL = default_calendar()
PROCEDURES = catalogue.CurrentProcedures()  # the catalogue through its cache, as a running intake reads it


async def _events(pool, type_: str) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    return [e for e in (json.loads(r["payload"]) for r in rows) if e["type"] == type_]


@pytest.fixture
async def intake_db(fresh_database):
    """intake's database with the demo catalogue, on a pool that lets sweeps run side by side."""
    pool = await asyncpg.create_pool(fresh_database, min_size=4, max_size=4)
    for d in (SHARED_MIGRATIONS, ROOT / "intake" / "migrations"):
        await migrate(pool, d)
    await catalogue.load(intake_units(pool), catalogue.SHIPPED_CATALOGUE)
    yield pool
    await pool.close()


def _handed(channel: Channel) -> HandedIn:
    shipped = catalogue.read_catalogue(catalogue.SHIPPED_CATALOGUE)
    procedure = next(p for p in shipped.procedures if len(p.agencies) == 1)  # no agency to choose
    return HandedIn(procedure.code, channel, Applicant(name="Lê Thị Hà", id_number="001099000222"), [])


async def test_intake_refuses_once_when_the_papers_do_not_come_in_time(intake_db):
    pool = intake_db
    handed = _handed(Channel.ONLINE)
    units = intake_units(pool)
    dossier = await reception.receive(
        units, CAL, MONDAY_9, procedures=catalogue.CurrentProcedures(), handed=handed, staff=None
    )
    asked = await intake_supplements.request_supplement(
        units,
        CAL,
        MONDAY_9,
        dossier.code,
        Asked(["Tờ khai"], None, None),
        staff=CLERK,
        working_days=10,
    )
    due = CAL.due_time(MONDAY_9, 80)
    assert int(asked.status) == 5

    assert await intake_supplements.refuse_lapsed(units, due - timedelta(seconds=1), PROCEDURES) == 0
    # two instances sweep at the same moment: one refuses, the other skips the locked row
    await asyncio.gather(*(intake_supplements.refuse_lapsed(units, due, PROCEDURES) for _ in range(3)))
    assert await intake_supplements.refuse_lapsed(units, due + timedelta(days=1), PROCEDURES) == 0, "refused once"
    refused = await _events(pool, "dossier.refused")
    assert len(refused) == 1
    assert refused[0]["payload"]["actor"] == "system" and refused[0]["payload"]["reason"] == "supplement_not_provided"
    assert (refused[0]["seq"], refused[0]["payload"]["from_status"]) == (3, 5)
    row = await pool.fetchrow("SELECT status, refusal_reason FROM dossiers WHERE code = $1", dossier.code)
    assert (row["status"], row["refusal_reason"]) == (3, "supplement_not_provided")


async def test_intake_leaves_alone_a_dossier_whose_papers_came(intake_db):
    pool = intake_db
    handed = _handed(Channel.COUNTER)
    units = intake_units(pool)
    walk_in = await intake_supplements.request_at_counter(
        units,
        CAL,
        MONDAY_9,
        procedures=catalogue.CurrentProcedures(),
        handed=handed,
        asked=Asked(["Tờ khai"], None, MONDAY_9 + timedelta(hours=1)),
        staff=CLERK,
        working_days=10,
    )
    assert (int(walk_in.status), walk_in.last_seq) == (5, 2)
    came = MONDAY_9 + timedelta(minutes=30)
    accepted = await reception.decide(
        units, CAL, came, walk_in.code, Action.RECORD_SUPPLEMENT, procedures=PROCEDURES, staff=CLERK, reason=None
    )
    assert int(accepted.status) == 2 and accepted.accepted_at == came and accepted.due_at is not None
    assert await intake_supplements.refuse_lapsed(units, MONDAY_9 + timedelta(days=30), PROCEDURES) == 0


async def test_resolution_stops_once_when_the_papers_do_not_come_in_time(fresh_database):
    pool = await asyncpg.create_pool(fresh_database, min_size=4, max_size=4)
    for d in (SHARED_MIGRATIONS, ROOT / "resolution" / "migrations"):
        await migrate(pool, d)
    units = resolution_units(pool)
    item = accepted_item("S-1", accepted_at=MONDAY_9, due_at=MONDAY_9 + timedelta(days=7), agency="000.00.01.H26")
    await cases.open_cases(units, [item], CAL)
    await resolution_supplements.remember_agencies(units, [item])
    await cases.perform(
        units, CAL, MONDAY_9, "S-1", Action.START_PROCESSING, staff=OFFICER, reason=None, correlation_id="t"
    )
    await resolution_supplements.request_supplement(
        units,
        CAL,
        MONDAY_9,
        "S-1",
        Asked(["Hợp đồng"], "Thiếu", None),
        staff=OFFICER,
        working_days=10,
        correlation_id="t",
    )
    asked = (await _events(pool, "dossier.supplement_requested"))[0]["payload"]
    due = CAL.due_time(MONDAY_9, 80)
    assert asked["missing_documents"] == ["Hợp đồng"] and datetime.fromisoformat(asked["supplement_due_at"]) == due

    assert await resolution_supplements.stop_lapsed(units, CAL, due - timedelta(seconds=1)) == 0
    await asyncio.gather(*(resolution_supplements.stop_lapsed(units, CAL, due) for _ in range(3)))
    assert await resolution_supplements.stop_lapsed(units, CAL, due + timedelta(days=1)) == 0, "stopped once"
    stopped = await _events(pool, "dossier.stopped")
    assert len(stopped) == 1
    p = stopped[0]["payload"]
    assert (p["from_status"], p["to_status"], p["actor"], p["reason"]) == (5, 8, "system", "supplement_not_provided")
    await pool.close()
