"""Dossier codes under concurrency, on the real PostgreSQL: never repeated, never skipped."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from services.intake.domain.codes import format_code
from services.intake.domain.dossier import Applicant, HandedIn
from services.intake.service import catalogue, reception
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.db import migrate
from shared.events import Channel, parse_event
from shared.runtime import SHARED_MIGRATIONS
from tests.integration.conftest import intake_units

INTAKE_MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "intake" / "migrations"
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

CLERK = Account("clerk", Role.CLERK, None)


async def test_sixty_concurrent_receptions_get_codes_one_to_sixty(fresh_database):
    pool = await asyncpg.create_pool(fresh_database, min_size=10, max_size=10)
    for d in (SHARED_MIGRATIONS, INTAKE_MIGRATIONS):
        await migrate(pool, d)
    assert await catalogue.load(intake_units(pool), catalogue.SHIPPED_CATALOGUE) > 20
    assert await catalogue.load(intake_units(pool), catalogue.SHIPPED_CATALOGUE) == 0, (
        "loading the same catalogue twice adds nothing"
    )
    demo = catalogue.read_catalogue(catalogue.SHIPPED_CATALOGUE)
    procedure = next(p for p in demo.procedures if len(p.agencies) == 1)  # no agency to choose
    applicant = Applicant(name="Lê Văn Cường", id_number="001099000111")

    procedures = catalogue.CurrentProcedures()

    async def one(i: int) -> str:
        row = await reception.receive(
            intake_units(pool),
            default_calendar(),
            NOW,
            procedures=procedures,
            handed=HandedIn(procedure.code, [Channel.COUNTER, Channel.ONLINE, Channel.POST][i % 3], applicant, []),
            staff=None if i % 3 == 1 else CLERK,
        )
        return row.code

    codes = await asyncio.gather(*(one(i) for i in range(60)))
    prefix = f"{procedure.agencies[0]}-260302-"
    assert sorted(codes) == [f"{prefix}{n:04d}" for n in range(1, 61)]
    # one first event per dossier in the outbox, none lost, each naming its own dossier
    queued = await pool.fetch("SELECT key, payload FROM outbox ORDER BY id")
    assert len(queued) == 60
    for row in queued:
        event = parse_event(row["payload"])
        assert (event.dossier_code, event.seq) == (row["key"], 1)
    assert sorted(r["key"] for r in queued) == sorted(codes)

    # The 10,000th dossier of a day gets a five-digit number, as format_code writes it.
    await pool.execute("UPDATE code_sequences SET last_seq = 9999")
    row = await reception.receive(
        intake_units(pool),
        default_calendar(),
        NOW,
        procedures=procedures,
        handed=HandedIn(procedure.code, Channel.ONLINE, applicant, []),
        staff=None,
    )
    assert row.code == format_code(procedure.agencies[0], date(2026, 3, 2), 10_000) == f"{prefix}10000"
    await pool.close()
