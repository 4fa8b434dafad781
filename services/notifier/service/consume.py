"""The lifecycle topic into the sent-log: a pending row per notifiable event and channel, in one
statement per batch. Nothing is sent here, so the consumer never waits on an outside system."""

from __future__ import annotations

import asyncpg

from services.notifier.adapters import repository
from services.notifier.domain.messages import notice_of
from shared.consumer import Item
from shared.events import Event


async def apply_batch(pool: asyncpg.Pool, items: list[Item[Event]]) -> list[tuple[Item[Event], str]]:
    notices = [n for item in items if (n := notice_of(item.message)) is not None]
    await repository.record(pool, notices)
    return []  # every decodable event is either told or not a citizen's concern
