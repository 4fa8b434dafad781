"""The purge of expired rows against the real PostgreSQL: sent outbox rows older than the cut go,
unsent ones stay whatever their age (they are events not yet on Kafka), and old idempotency keys
go while recent ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg

from services.intake.entrypoints.main import purge_expired
from services.intake.entrypoints.runtime import MIGRATIONS as INTAKE_MIGRATIONS
from services.intake.settings import IntakeSettings
from shared import retention
from shared.db import migrate
from shared.runtime import SHARED_MIGRATIONS

NOW = datetime.now(UTC)


async def test_sent_outbox_rows_and_old_idempotency_keys_are_purged_and_nothing_else(fresh_database):
    pool = await asyncpg.create_pool(fresh_database)
    try:
        await migrate(pool, SHARED_MIGRATIONS)
        await migrate(pool, INTAKE_MIGRATIONS)
        old, recent = NOW - timedelta(days=30), NOW - timedelta(hours=1)
        rows = [(old, old), (old, None), (recent, recent), (old, recent)]  # (created, sent)
        await pool.executemany(
            "INSERT INTO outbox(topic, key, payload, created_at, sent_at) VALUES ('t', 'k', '\\x00', $1, $2)", rows
        )
        await pool.executemany(
            "INSERT INTO idempotency_keys(key, fingerprint, created_at) VALUES ($1, 'f', $2)",
            [("old", old), ("recent", recent)],
        )
        cut = NOW - timedelta(days=7)
        assert await retention.purge_sent_outbox(pool, cut) == 1
        assert await retention.purge_sent_outbox(pool, cut) == 0  # a sweep stops when a batch is empty
        kept = await pool.fetch("SELECT created_at, sent_at FROM outbox ORDER BY id")
        assert [(r["created_at"], r["sent_at"]) for r in kept] == rows[1:]
        assert await retention.purge_idempotency_keys(pool, NOW - timedelta(days=2)) == 1
        assert [r["key"] for r in await pool.fetch("SELECT key FROM idempotency_keys")] == ["recent"]
    finally:
        await pool.close()


APPLICANT = '{"type": 1, "name": "Nguyễn Văn Lưu", "id_number": "001090000001", "phone": "0912345678", "email": "luu@example.vn", "address": "12 Phố Huế", "representative": "Trần Thị B"}'


async def _dossier(pool: asyncpg.Pool, code: str, status: int) -> None:
    await pool.execute(
        """INSERT INTO dossiers(code, agency_id, procedure_code, procedure_version, channel, status, applicant,
                                documents, submitted_at, last_seq, updated_at, withdrawal_reason, rating_comment)
           VALUES ($1, 'AG', 'P1', 'v1', 'online', $2, $3::jsonb, '[]', $4, 1, $4, 'lý do riêng', 'lời riêng')""",
        code,
        status,
        APPLICANT,
        NOW - timedelta(days=400),
    )
    await pool.execute(
        "INSERT INTO attachments(code, purpose, filename, content_type, size_bytes, data, uploaded_at) "
        "VALUES ($1, 'submission', 'giấy tờ.pdf', 'application/pdf', 3, 'abc', $2)",
        code,
        NOW - timedelta(days=400),
    )


async def test_a_closed_dossier_loses_its_files_then_its_personal_fields_and_keeps_what_is_counted(
    fresh_database,
):
    from services.intake.adapters.retention_sql import purge_attachments, purge_personal_fields
    from services.intake.domain.dossier import PURGED, HistoryEntry, TrackedEvent
    from tests.integration.conftest import intake_units

    pool = await asyncpg.create_pool(fresh_database)
    try:
        await migrate(pool, SHARED_MIGRATIONS)
        await migrate(pool, INTAKE_MIGRATIONS)
        # Returned long ago, withdrawn recently, still being processed (never closed).
        for code, status in (("OLD", 1), ("RECENT", 1), ("OPEN", 1)):
            await _dossier(pool, code, status)
        closings = [("OLD", 10, NOW - timedelta(days=200)), ("RECENT", 7, NOW - timedelta(days=5))]
        events = [TrackedEvent(HistoryEntry(c, 2, "dossier.x", s, at, None, None), None) for c, s, at in closings]
        events.append(
            TrackedEvent(HistoryEntry("OPEN", 2, "dossier.x", 4, NOW - timedelta(days=300), None, None), None)
        )
        async with intake_units(pool)() as uow, uow.transaction():
            await uow.repo.apply_tracking(events)  # the tracking view records when each closed
        closed = {r["code"]: r["closed_at"] for r in await pool.fetch("SELECT code, closed_at FROM dossiers")}
        assert closed == {"OLD": closings[0][2], "RECENT": closings[1][2], "OPEN": None}

        # Files kept 30 days after closing, personal fields 100 days.
        assert await purge_attachments(pool, NOW - timedelta(days=30)) == 1
        assert await purge_attachments(pool, NOW - timedelta(days=30)) == 0
        assert sorted(r["code"] for r in await pool.fetch("SELECT code FROM attachments")) == ["OPEN", "RECENT"]
        assert await purge_personal_fields(pool, NOW - timedelta(days=100), NOW) == 1
        assert await purge_personal_fields(pool, NOW - timedelta(days=100), NOW) == 0  # done once

        rows = {r["code"]: r for r in await pool.fetch("SELECT * FROM dossiers")}
        old = rows["OLD"]
        dump = f"{old['applicant']} {old['withdrawal_reason']} {old['rating_comment']}"
        for personal in ("Nguyễn", "001090000001", "0912345678", "luu@", "Phố Huế", "Trần", "lý do", "lời riêng"):
            assert personal not in dump
        assert old["applicant"] == f'{{"name": "{PURGED}", "type": 1, "id_number": "{PURGED}"}}'
        assert (old["withdrawal_reason"], old["rating_comment"]) == (PURGED, PURGED)
        counted = ("agency_id", "procedure_code", "channel", "submitted_at", "tracked_status", "closed_at")
        assert [old[c] for c in counted] == ["AG", "P1", "online", NOW - timedelta(days=400), 10, closings[0][2]]
        assert old["personal_purged_at"] == NOW
        for kept in ("RECENT", "OPEN"):  # not closed long enough, or not closed
            assert "001090000001" in rows[kept]["applicant"] and rows[kept]["personal_purged_at"] is None
        assert await pool.fetchval("SELECT count(*) FROM dossier_history WHERE code = 'OLD'") == 1

        # intake's purge job, as main.py wires it, reads the periods from the settings.
        settings = IntakeSettings(keep_attachments_days=4, keep_personal_days=4)
        job = SimpleNamespace(db=pool, clock=lambda: NOW, settings=settings)
        assert await purge_expired(job) == 2  # RECENT's file and its personal fields, 5 days after closing
        assert await pool.fetchval("SELECT count(*) FROM attachments") == 1  # OPEN's
        assert await purge_expired(job) == 0
    finally:
        await pool.close()
