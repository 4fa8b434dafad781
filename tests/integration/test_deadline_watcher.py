"""resolution's deadline watcher on the real PostgreSQL: one overdue event per due time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from services.resolution.service import cases
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.db import migrate
from shared.lifecycle import Action
from shared.runtime import SHARED_MIGRATIONS
from tests.events import accepted_item
from tests.integration.conftest import resolution_units

OFFICER = Account("cv.test", Role.OFFICER, "000.00.01.H26")

RESOLUTION_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "resolution" / "migrations"
ACCEPTED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
DUE_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday 17:00


def accepted(code: str) -> Item:
    return accepted_item(code, accepted_at=ACCEPTED_AT, due_at=DUE_AT, agency="000.00.01.H26")


async def overdue_events(pool) -> list[dict]:
    rows = await pool.fetch("SELECT payload FROM outbox ORDER BY id")
    return [e for e in (json.loads(r["payload"]) for r in rows) if e["type"] == "dossier.overdue"]


async def test_overdue_noticed_once_and_again_after_a_new_due_time(fresh_database):
    pool = await asyncpg.create_pool(fresh_database)
    for d in (SHARED_MIGRATIONS, RESOLUTION_MIGRATIONS):
        await migrate(pool, d)
    await cases.open_cases(
        resolution_units(pool), [accepted("W-1"), accepted("W-1")], default_calendar()
    )  # redelivered: one case
    assert await pool.fetchval("SELECT count(*) FROM cases") == 1

    assert await cases.notice_overdue(resolution_units(pool), DUE_AT - timedelta(seconds=1)) == 0
    assert await cases.notice_overdue(resolution_units(pool), DUE_AT) == 1
    assert await cases.notice_overdue(resolution_units(pool), DUE_AT + timedelta(minutes=5)) == 0, (
        "noticed once per due time"
    )
    events = await overdue_events(pool)
    assert len(events) == 1 and events[0]["seq"] == 2 and events[0]["payload"]["status"] == 2

    # Processing, then a supplement wait from Monday 17:10 to Wednesday 09:00 (pause policy):
    # the due time moves later by the 10 working hours of waiting (Tuesday, and Wednesday
    # 07:00-09:00), a new due time that the watcher notices again only when it passes.
    calendar = default_calendar()
    t = DUE_AT + timedelta(minutes=10)
    await cases.perform(
        resolution_units(pool),
        calendar,
        t,
        "W-1",
        Action.START_PROCESSING,
        staff=OFFICER,
        reason=None,
        correlation_id="c",
    )
    await cases.perform(
        resolution_units(pool),
        calendar,
        t,
        "W-1",
        Action.REQUEST_SUPPLEMENT,
        staff=OFFICER,
        reason=None,
        correlation_id="c",
    )
    resumed = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)  # Wednesday 09:00
    case = await cases.perform(
        resolution_units(pool),
        calendar,
        resumed,
        "W-1",
        Action.RECORD_SUPPLEMENT,
        staff=OFFICER,
        reason=None,
        correlation_id="c",
    )
    assert case.due_at == calendar.extend_for_pause(DUE_AT, t, resumed) == resumed
    assert case.overdue_notified is False
    assert await cases.notice_overdue(resolution_units(pool), case.due_at - timedelta(seconds=1)) == 0
    assert await cases.notice_overdue(resolution_units(pool), case.due_at) == 1
    assert [e["seq"] for e in await overdue_events(pool)] == [2, 6]
    await pool.close()
