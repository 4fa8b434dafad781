"""Idempotent consumption and commit discipline, on the real Kafka broker and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from shared.events import EventType, make_event
from shared.kafka import client_options
from tests.conftest import eventually
from tests.integration.conftest import produce, start_stats_consumer

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def lifecycle(code: str) -> list:
    """accepted -> processing -> resolved: three events of one counter dossier."""
    dims = {"agency_id": "000.00.01.H26", "procedure_code": "P1", "channel": "counter", "applicant_type": 0}
    due = T0 + timedelta(days=3)
    common = {"dossier_code": code, "producer": "resolution", "correlation_id": "c"}
    return [
        make_event(
            EventType.ACCEPTED,
            seq=1,
            occurred_at=T0,
            **{**common, "producer": "intake"},
            payload={
                "to_status": 2,
                "actor": "clerk",
                "dimensions": dims,
                "accepted_at": T0,
                "deadline": {
                    "due_at": due,
                    "processing_hours": 24,
                    "time_type": "working",
                    "clock_policy": "pause",
                    "rule_version": "v",
                },
            },
        ),
        make_event(
            EventType.PROCESSING_STARTED,
            seq=2,
            occurred_at=T0 + timedelta(hours=1),
            **common,
            payload={"from_status": 2, "to_status": 4, "actor": "officer", "due_at": due},
        ),
        make_event(
            EventType.RESOLVED,
            seq=3,
            occurred_at=T0 + timedelta(hours=2),
            **common,
            payload={
                "from_status": 4,
                "to_status": 9,
                "actor": "leader",
                "due_at": due,
                "compliance": "early",
                "working_hours_used": 2.0,
            },
        ),
    ]


async def committed_total(bootstrap: str, group: str) -> int:
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return sum(max(0, o.offset) for o in offsets.values())
    finally:
        await admin.close()


async def snapshot(pool) -> tuple:
    facts = await pool.fetch("SELECT * FROM facts ORDER BY code")
    board = await pool.fetch("SELECT * FROM board_counters WHERE n <> 0 ORDER BY 1, 2, 3, 4")
    daily = await pool.fetch("SELECT * FROM daily_counters ORDER BY 1, 2, 3, 4, 5")
    return [dict(r) for r in facts], [dict(r) for r in board], [dict(r) for r in daily]


async def test_same_events_twice_change_nothing_the_second_time(bootstrap, fresh_topic, stats_db):
    events = [e for i in range(10) for e in lifecycle(f"D-{i:03d}")]
    await produce(bootstrap, fresh_topic, events)
    group = f"g-{uuid.uuid4().hex[:8]}"
    broker = await start_stats_consumer(bootstrap, fresh_topic, group, stats_db)
    try:
        await eventually(lambda: _committed_is(bootstrap, group, 30), what="30 offsets committed")
        first = await snapshot(stats_db)
        assert len(first[0]) == 10
        assert [(r["bucket"], r["n"]) for r in first[1]] == [("waiting_handover", 10)]
        assert {(r["metric"], r["n"]) for r in first[2] if not r["metric"].startswith("stock_")} == {
            ("received", 10),
            ("decided", 10),
            ("resolved_early", 10),
            ("resolved_centihours", 2000),
        }

        await produce(bootstrap, fresh_topic, events)  # every event delivered a second time
        await eventually(lambda: _committed_is(bootstrap, group, 60), what="60 offsets committed")
        assert await snapshot(stats_db) == first
    finally:
        await broker.stop()


async def _committed_is(bootstrap, group, n) -> bool:
    return await committed_total(bootstrap, group) == n


async def test_offset_is_not_committed_before_the_database_transaction(
    bootstrap, fresh_topic, stats_db, fresh_database
):
    group = f"g-{uuid.uuid4().hex[:8]}"
    blocker = await asyncpg.connect(fresh_database)
    tx = blocker.transaction()
    await tx.start()
    await blocker.execute("LOCK TABLE g1.facts IN ACCESS EXCLUSIVE MODE")  # the consumer's transaction must wait
    broker = await start_stats_consumer(bootstrap, fresh_topic, group, stats_db)
    try:
        await produce(bootstrap, fresh_topic, lifecycle("D-LOCKED"))
        await eventually(lambda: _waiting_on_lock(blocker), what="consumer's transaction waiting on the lock")
        assert await committed_total(bootstrap, group) == 0, "offset committed before the transaction"
        await tx.rollback()  # release: the transaction commits, then the offsets
        await eventually(lambda: _committed_is(bootstrap, group, 3), what="offsets committed after the transaction")
        assert await stats_db.fetchval("SELECT status FROM facts WHERE code = 'D-LOCKED'") == 9
    finally:
        await broker.stop()
        await blocker.close()


async def _waiting_on_lock(conn) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    )
