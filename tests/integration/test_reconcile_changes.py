"""Reconciliation over the changes only: an unchanged history costs nothing; a corrupted monthly
counter is found by the first run over changes that touch its procedure and month, a corrupted
board counter or fact by the next run (the board is compared whole with the fact rows' tally), a
corrupted status step only by the full sweep; each is new once and stays reported until it is
gone. Real Kafka and PostgreSQL, on the hand-built history of test_stats_reports."""

from __future__ import annotations

import uuid
from datetime import date

from services.stats.adapters import generations, marks, recompute
from services.stats.service import reconcile
from shared.events import EventType
from tests.conftest import eventually
from tests.integration.conftest import produce, start_stats_consumer
from tests.integration.test_stats_reports import NOW, at, history, loaded  # noqa: F401 (loaded: a fixture)


async def run(pool, bootstrap, scope: str) -> dict:
    return await reconcile.reconcile(pool, NOW, None, bootstrap, settle_s=0, scope=scope)


async def test_changes_only_then_the_sweep_each_mismatch_new_once(loaded, bootstrap, fresh_topic):  # noqa: F811
    first = await run(loaded, bootstrap, "changes")  # never checked: a full sweep
    assert (first["scope"], first["mismatches"]) == ("full", 0), first
    idle = await run(loaded, bootstrap, "changes")
    assert (idle["scope"], idle["facts_changed"], idle["periods_checked"], idle["mismatches"]) == ("changes", 0, 0, 0)

    # One counter wrong: March's acceptances of P3D (the monthly row a March report reads) one too
    # many. No change touches P3D yet.
    await loaded.execute(
        "UPDATE monthly_counters SET n = n + 1 WHERE month = $1 AND procedure_code = 'P3D' AND metric = 'received'",
        date(2026, 3, 1),
    )
    assert (await run(loaded, bootstrap, "changes"))["mismatches"] == 0  # nothing written since: not looked at

    # D8 (P3D, received in March) is handed over: its fact is written, so March of P3D is checked again.
    d8 = next(d for d in history() if d.code == "D8")
    d8.closed(EventType.RETURNED, 10, at("04-03", "09:00"))
    await produce(bootstrap, fresh_topic, [d8.events[-1]])
    consumer = await start_stats_consumer(bootstrap, fresh_topic, f"g-{uuid.uuid4().hex[:8]}", loaded)
    try:

        async def returned():
            return await loaded.fetchval("SELECT status FROM facts WHERE code = 'D8'") == 10

        await eventually(returned, what="D8 handed over in stats")
    finally:
        await consumer.stop()
    found = await run(loaded, bootstrap, "changes")
    assert (found["facts_changed"], found["new_mismatches"]) == (1, found["mismatches"]), found
    assert found["mismatches"] >= 1 and {e["procedure"] for e in found["examples"]} == {"P3D"}
    checks = {
        (e["check"], e.get("period") or e.get("month"), e.get("column") or e.get("metric")) for e in found["examples"]
    }
    assert ("reports", "2026-03-01..2026-03-31", "received") in checks  # against the fact rows' tally
    assert ("months", "2026-03-01", "received") in checks  # the monthly row no longer sums its days
    again = await run(loaded, bootstrap, "changes")  # nothing written, but the open mismatch is checked again
    assert (again["facts_changed"], again["mismatches"], again["new_mismatches"]) == (0, found["mismatches"], 0)

    # One fact wrong, written behind the projection's back (no write number): the tally follows the
    # row, the board's counters do not, so the next run over the changes sees it.
    bucket = await loaded.fetchval("SELECT bucket FROM facts WHERE code = 'D4'")
    assert bucket == "waiting_handover"  # decided on 02/04, not handed over
    await loaded.execute("UPDATE facts SET bucket = 'returned' WHERE code = 'D4'")
    fact = await run(loaded, bootstrap, "changes")
    assert (fact["facts_changed"], fact["by_check"]["board"], fact["new_mismatches"]) == (0, 2, 2), fact
    board = {(e["bucket"], e["counters"], e["tally"]) for e in fact["examples"] if e["check"] == "board"}
    assert board == {("waiting_handover", 1, 0), ("returned", 0, 1)}, board
    swept = await run(loaded, bootstrap, "full")
    assert swept["by_check"]["board"] == 2, swept  # the counters against the rows; the tally agrees with them
    assert swept["new_mismatches"] == 0  # all still open from the earlier runs: reported once

    # Repaired: the next runs say so.
    await loaded.execute("UPDATE facts SET bucket = $1 WHERE code = 'D4'", bucket)
    await loaded.execute(
        "UPDATE monthly_counters SET n = n - 1 WHERE month = $1 AND procedure_code = 'P3D' AND metric = 'received'",
        date(2026, 3, 1),
    )
    assert (await run(loaded, bootstrap, "changes"))["mismatches"] == 0
    assert (await run(loaded, bootstrap, "full"))["mismatches"] == 0

    # A board counter wrong with nothing written: the next run over the changes sees it, once.
    await loaded.execute(
        "UPDATE board_counters SET n = n + 1 WHERE procedure_code = 'P1D' AND bucket = 'waiting_handover'"
    )
    counter = await run(loaded, bootstrap, "changes")
    assert (counter["facts_changed"], counter["by_check"]["board"], counter["new_mismatches"]) == (0, 1, 1), counter
    again = await run(loaded, bootstrap, "changes")
    assert (again["by_check"]["board"], again["new_mismatches"]) == (1, 0), again
    await loaded.execute(
        "UPDATE board_counters SET n = n - 1 WHERE procedure_code = 'P1D' AND bucket = 'waiting_handover'"
    )
    assert (await run(loaded, bootstrap, "changes"))["mismatches"] == 0

    # A status step wrong (D4's decision moved a month earlier, into March): no counter, row or tally shows it;
    # only the sweep's recount from the steps does.
    await loaded.execute("UPDATE fact_steps SET at = at - interval '31 days' WHERE code = 'D4' AND status = 9")
    assert (await run(loaded, bootstrap, "changes"))["mismatches"] == 0
    step = await run(loaded, bootstrap, "full")
    assert step["by_check"]["reports"] >= 1 and step["new_mismatches"] >= 1, step
    await loaded.execute("UPDATE fact_steps SET at = at + interval '31 days' WHERE code = 'D4' AND status = 9")
    assert (await run(loaded, bootstrap, "full"))["mismatches"] == 0

    # A daily counter off inside a whole month: month reports read the monthly row, so only the
    # comparison of each month with its days can see it (the board's daily series reads the days).
    await loaded.execute(
        "UPDATE daily_counters SET n = n + 1 WHERE day = $1 AND procedure_code = 'P1D' AND metric = 'received'",
        date(2026, 2, 23),
    )
    days = await run(loaded, bootstrap, "full")
    assert (days["by_check"]["months"], days["new_mismatches"]) == (1, 1), days
    [example] = [e for e in days["examples"] if e["check"] == "months"]
    assert (example["month"], example["metric"], example["monthly"], example["days"]) == (
        "2026-02-01",
        "received",
        1,
        2,
    )


async def test_a_write_still_in_flight_holds_the_mark_back(stats_db):
    """Write numbers are taken inside transactions that commit in any order: while one that took a
    number is open, no mark may pass it; once it ends, the mark covers it."""
    schema = await stats_db.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
    async with stats_db.acquire() as writer:
        tx = writer.transaction()
        await tx.start()
        taken = await writer.fetchval(f"SELECT nextval('{schema}.fact_writes')")
        await writer.execute("CREATE TEMP TABLE held (n int)")  # an xid: a real writing transaction
        assert await marks.settled_write(stats_db, schema, timeout_s=0.5) is None
        await tx.commit()
    assert await marks.settled_write(stats_db, schema, timeout_s=5) == taken


async def test_the_tally_is_what_the_fact_rows_say_also_for_a_generation_made_before_it(loaded):  # noqa: F811
    """Kept by the trigger as the history was ingested; counted once from the facts when the
    projection's tables of an older generation are brought up to date."""
    from_rows = """SELECT agency_id, procedure_code, channel, what, month, count(*) AS n FROM facts, LATERAL (VALUES
                       (bucket, 'infinity'::date),
                       (CASE WHEN accepted_at IS NOT NULL THEN 'received' END,
                        date_trunc('month', accepted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date),
                       (CASE WHEN resolved_at IS NOT NULL THEN 'decided' END,
                        date_trunc('month', resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)) AS t(what, month)
                   WHERE what IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"""
    tally = (
        "SELECT agency_id, procedure_code, channel, what, month, n FROM fact_tally_now WHERE n <> 0 "
        "ORDER BY 1, 2, 3, 4, 5"
    )
    expected = [tuple(r) for r in await loaded.fetch(from_rows)]
    assert {r[3] for r in expected} >= {"received", "decided", "returned"}
    assert [tuple(r) for r in await loaded.fetch(tally)] == expected
    async with loaded.acquire() as conn, conn.transaction():
        await generations.use_active(conn)
        await conn.execute("DROP TABLE fact_tally CASCADE")  # as in a generation made by the release before it
        await conn.execute(generations.DDL)
        assert [tuple(r) for r in await conn.fetch(tally)] == expected
    # Folding the moves into the tally changes nothing it says.
    async with loaded.acquire() as conn, conn.transaction():
        await generations.use_active(conn)
        await recompute.fold_tally_moves(conn)
        assert await conn.fetchval("SELECT count(*) FROM fact_tally_moves") == 0
        assert [tuple(r) for r in await conn.fetch(tally)] == expected


async def test_two_writers_of_the_same_tally_keys_do_not_wait_on_each_other(loaded):  # noqa: F811
    """Rebuild workers and stats instances write facts at once; the tally must not make them queue
    (or deadlock, as an upsert of shared rows from a write's two statement triggers did)."""
    first, second = await loaded.acquire(), await loaded.acquire()
    try:
        copies = []
        for conn, code in ((first, f"T1-{uuid.uuid4().hex[:8]}"), (second, f"T2-{uuid.uuid4().hex[:8]}")):
            tx = conn.transaction()
            await tx.start()
            copies.append(tx)
            await generations.use_active(conn)
            await conn.execute("SET LOCAL lock_timeout = '2s'")
            # the same dimensions, bucket and months as an existing fact: the same tally keys
            await conn.execute(
                "CREATE TEMP TABLE copy ON COMMIT DROP AS SELECT * FROM facts ORDER BY code LIMIT 1;"
                f"UPDATE copy SET code = '{code}'; INSERT INTO facts SELECT * FROM copy"
            )
        for tx in copies:
            await tx.rollback()
    finally:
        await loaded.release(first)
        await loaded.release(second)
