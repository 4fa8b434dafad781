"""The tracking view: each dossier's current status and history, from the lifecycle topic."""
from __future__ import annotations

import asyncpg

from services.intake.adapters import repository as repo
from shared.consumer import Item
from shared.events import EventType


def _due_at(payload):
    deadline = getattr(payload, "deadline", None)
    return deadline.due_at if deadline else getattr(payload, "due_at", None)


async def apply_events(pool: asyncpg.Pool, items: list[Item]) -> list[tuple[Item, str]]:
    """Record the events in the tracking view; returns those that break a dossier's sequence or
    status graph (they go to the dead-letter topic instead of changing what a citizen sees)."""
    rejected: list[tuple[Item, str]] = []
    rows, apologies = [], []
    async with pool.acquire() as conn, conn.transaction():
        known = await repo.tracking_positions(conn, sorted({i.message.dossier_code for i in items}))
        for item in items:
            e = item.message
            problem = _check(known, e)
            if problem:
                rejected.append((item, problem))
                continue
            rows.append((e.dossier_code, e.seq, e.type, getattr(e.payload, "to_status", None), e.occurred_at,
                         getattr(e.payload, "actor", None), getattr(e.payload, "reason", None), _due_at(e.payload)))
            if e.type == EventType.APOLOGY_ISSUED.value:  # form 04: the new appointment shown (the due time stays)
                apologies.append((e.dossier_code, e.seq, e.payload.new_appointment_at, e.payload.reason))
        await repo.apply_tracking(conn, rows)
        await repo.record_apologies(conn, apologies)
    return rejected


def _check(known: dict[str, tuple[int, int | None]], e) -> str | None:
    """Judge an event of a dossier intake holds by the last one recorded (seq, status), and move
    that position on. Other dossiers' events are kept as history, unjudged."""
    if e.dossier_code not in known:
        return None
    last_seq, status = known[e.dossier_code]
    if e.seq <= last_seq:
        return None  # a redelivery: recording it again changes nothing
    if e.seq != last_seq + 1:
        return f"seq {e.seq} of {e.dossier_code} breaks the sequence: expected {last_seq + 1}"
    from_status = getattr(e.payload, "from_status", None)
    if from_status is not None and status is not None and from_status != status:
        return f"{e.type} from status {from_status} but {e.dossier_code} is in {status}"
    to_status = getattr(e.payload, "to_status", None)
    known[e.dossier_code] = (e.seq, to_status if to_status is not None else status)
    return None
