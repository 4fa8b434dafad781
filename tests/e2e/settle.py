"""Wait until the running services have nothing in flight: outboxes sent, every consumer
group caught up. A test that made events nobody waits for calls this before the next test
reads the board, so no late event moves its figures."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from shared.events import (
    INTAKE_TRACKING_GROUP,
    LIFECYCLE_TOPIC,
    REQUESTS_TOPIC,
    RESOLUTION_CASES_GROUP,
    RESOLUTION_REQUESTS_GROUP,
    STATS_GROUP,
)
from shared.kafka import wait_for_groups

GROUPS = {
    INTAKE_TRACKING_GROUP: LIFECYCLE_TOPIC,
    RESOLUTION_CASES_GROUP: LIFECYCLE_TOPIC,
    RESOLUTION_REQUESTS_GROUP: REQUESTS_TOPIC,
    STATS_GROUP: LIFECYCLE_TOPIC,
}


async def unsent(endpoints: dict[str, str]) -> int:
    total = 0
    for key in ("INTAKE_DATABASE_URL", "RESOLUTION_DATABASE_URL"):
        conn = await asyncpg.connect(endpoints[key])
        try:
            total += await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        finally:
            await conn.close()
    return total


async def lag(bootstrap: str) -> int:
    """Records the services' consumer groups have yet to commit past, now."""
    return await wait_for_groups(bootstrap, GROUPS, deadline=time.monotonic())


async def settle(endpoints: dict[str, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        pending = await unsent(endpoints)
        behind = await lag(endpoints["KAFKA_BOOTSTRAP_SERVERS"]) if not pending else -1
        if pending == 0 and behind == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"services not settled in {timeout:.0f} s: {pending} unsent, lag {behind}")
        await asyncio.sleep(0.2)
