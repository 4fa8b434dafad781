"""Apply a batch of lifecycle events to the projections in one transaction."""
from __future__ import annotations

from collections import Counter

import asyncpg

from services.stats.adapters import repository as repo
from services.stats.domain.projection import Rejected, project
from shared.consumer import Item


async def apply_batch(pool: asyncpg.Pool, items: list[Item]) -> list[tuple[Item, str]]:
    codes = sorted({i.message.dossier_code for i in items})
    rejected: list[tuple[Item, str]] = []
    async with pool.acquire() as conn, conn.transaction():
        await repo.lock_partitions(conn, {i.record.partition for i in items})
        facts = await repo.load_facts(conn, codes)
        changed: set[str] = set()
        board: Counter = Counter()
        daily: Counter = Counter()
        for item in items:
            event = item.message
            try:
                change = project(facts.get(event.dossier_code), event)
            except Rejected as exc:
                rejected.append((item, str(exc)))
                continue
            if change is None:
                continue  # already applied: a redelivery
            facts[event.dossier_code] = change.fact
            changed.add(event.dossier_code)
            for dims, bucket, n in change.buckets:
                board[(dims, bucket)] += n
            for day, dims, metric in change.daily:
                daily[(day, dims, metric)] += 1
        await repo.save_facts(conn, [facts[c] for c in sorted(changed)])
        await repo.add_board(conn, board)
        await repo.add_daily(conn, daily)
    return rejected
