"""The tracking view: each dossier's current status and history, from the lifecycle topic."""
from __future__ import annotations

import asyncpg

from services.intake.adapters import repository as repo
from shared.consumer import Item
from shared.events import EventType


def _due_at(payload):
    deadline = getattr(payload, "deadline", None)
    return deadline.due_at if deadline else getattr(payload, "due_at", None)


async def apply_events(pool: asyncpg.Pool, items: list[Item]) -> list:
    rows = [
        (e.dossier_code, e.seq, e.type, getattr(e.payload, "to_status", None), e.occurred_at,
         getattr(e.payload, "actor", None), getattr(e.payload, "reason", None), _due_at(e.payload))
        for e in (item.message for item in items)
    ]
    # Form 04 from resolution: the new appointment the citizen is shown (the due time stays).
    apologies = [(e.dossier_code, e.seq, e.payload.new_appointment_at, e.payload.reason)
                 for e in (item.message for item in items) if e.type == EventType.APOLOGY_ISSUED.value]
    async with pool.acquire() as conn, conn.transaction():
        await repo.apply_tracking(conn, rows)
        await repo.record_apologies(conn, apologies)
    return []
