"""resolution's case export on the real PostgreSQL: never short without saying so.

A problem found before the first byte is raised (the HTTP answer is then an ordinary error);
after it, the stream ends with a trailer that says the list is incomplete.
"""

from __future__ import annotations

import json

import asyncpg
import pytest

from services.resolution.service import cases, export
from shared.calendar import default_calendar
from shared.db import migrate
from shared.runtime import SHARED_MIGRATIONS
from tests.integration.conftest import resolution_units
from tests.integration.test_deadline_watcher import RESOLUTION_MIGRATIONS, accepted


@pytest.fixture
async def resolution_db(fresh_database):
    pool = await asyncpg.create_pool(fresh_database, min_size=1, max_size=3)
    for d in (SHARED_MIGRATIONS, RESOLUTION_MIGRATIONS):
        await migrate(pool, d)
    await cases.open_cases(resolution_units(pool), [accepted(f"X-{i}") for i in range(5)], default_calendar())
    yield pool
    await pool.close()


async def lines(chunks) -> list[dict]:
    return [json.loads(line) for chunk in [c async for c in chunks] for line in chunk.decode().splitlines()]


async def test_complete_export_ends_with_a_trailer_that_counts_it(resolution_db):
    *rows, trailer = await lines(await export.export_cases(resolution_db, batch=2, max_seconds=600))
    assert [r["code"] for r in rows] == [f"X-{i}" for i in range(5)]
    assert trailer == {"end": {"complete": True, "cases": 5, "unpublished": 0}}
    *none, trailer = await lines(await export.export_cases(resolution_db, "no such agency", max_seconds=600))
    assert none == [] and trailer == {"end": {"complete": True, "cases": 0, "unpublished": 0}}


async def test_a_bad_parameter_fails_before_the_first_byte(resolution_db):
    with pytest.raises(asyncpg.exceptions.DataError):  # answered 422 by the HTTP edge
        await export.export_cases(resolution_db, "bad\x00agency", max_seconds=600)


async def test_an_export_past_its_time_bound_says_it_is_incomplete(resolution_db):
    *rows, trailer = await lines(await export.export_cases(resolution_db, batch=2, max_seconds=0))
    assert len(rows) == 2 and trailer["end"]["complete"] is False and trailer["end"]["cases"] == 2
    assert "incomplete" in trailer["end"]["message_en"] and trailer["end"]["message_vi"]


async def test_a_connection_lost_mid_stream_ends_with_an_incomplete_trailer(resolution_db):
    chunks = await export.export_cases(resolution_db, batch=2, max_seconds=600)
    first = await anext(chunks)
    assert first.count(b"\n") == 2
    # The export's session is the only one idle in a transaction: end it from outside (and wait
    # until it is gone).
    killed = await resolution_db.fetchval(
        "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
    )
    assert killed == 1
    rest = [json.loads(line) for c in [c async for c in chunks] for line in c.decode().splitlines()]
    assert rest[-1]["end"]["complete"] is False and rest[-1]["end"]["cases"] == 2, rest
