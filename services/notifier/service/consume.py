"""The lifecycle topic into the sent-log: a pending row per notifiable event and channel, in one
statement per batch. Nothing is sent here, so the consumer never waits on an outside system.
Events older than the notifier's horizon are not told at all (counted, not recorded)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.notifier.adapters import repository
from services.notifier.domain.messages import notice_of
from shared.consumer import Item
from shared.events import Event


async def apply_batch(
    pool: asyncpg.Pool, items: list[Item[Event]], told_since: datetime
) -> tuple[list[tuple[Item[Event], str]], int]:
    """Records the notices of events that happened at `told_since` or later; returns the rejected
    items (none: every decodable event is told, stale or not a citizen's concern) and how many
    notices were too old to tell."""
    notices = [(n, item.message.occurred_at) for item in items if (n := notice_of(item.message)) is not None]
    await repository.record(pool, [n for n, at in notices if at >= told_since])
    return [], sum(at < told_since for _, at in notices)
