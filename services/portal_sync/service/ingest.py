"""Take a batch of lifecycle events into the journal, in one transaction: each new event of a
dossier becomes its queued portal call. The portal is not called here, so a portal outage never
holds the topic: the sender waits it out while the consumer keeps taking events."""

from __future__ import annotations

from collections import Counter

import asyncpg

from services.portal_sync.adapters import journal
from services.portal_sync.domain.mapping import PortalCall, Skip, call_for
from shared.consumer import Item
from shared.events import Event

DUPLICATE = "duplicate"  # an event already taken (redelivery, replay, out of order)


async def apply_batch(pool: asyncpg.Pool, items: list[Item[Event]], skipped: Counter) -> list[tuple[Item, str]]:
    """Queue the calls of `items`; count what makes no call in `skipped` (by reason). Rejects none:
    an event the portal cannot take is counted, not dead-lettered (it is valid on the topic)."""
    async with pool.acquire() as conn, conn.transaction():
        known = await journal.last_seqs(conn, sorted({i.message.dossier_code for i in items}))
        moved: dict[str, int] = {}
        calls: list[PortalCall] = []
        for item in items:
            event = item.message
            code = event.dossier_code
            if event.seq <= known.get(code, 0):
                skipped[DUPLICATE] += 1
                continue
            outcome = call_for(event, known=code in known)
            if outcome is Skip.UNKNOWN_DOSSIER:
                skipped[outcome.value] += 1
                continue
            known[code] = moved[code] = event.seq
            if isinstance(outcome, Skip):
                skipped[outcome.value] += 1
            else:
                calls.append(outcome)
        await journal.record(conn, moved, calls)
    return []
