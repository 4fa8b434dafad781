"""The sender: every queued call to the portal, in the order queued, until acknowledged.

Exactly once at the portal: a call is marked `sending` before it goes out and `sent` after the
portal acknowledged it; a crash between the two leaves it `sending`, and it goes out again with the
same idempotency key, which the portal applies once. While the portal is down the sender waits
(backoff doubling up to `retry_max_s`) and the backlog grows; nothing is dead-lettered for it.
One sender at a time across instances (a PostgreSQL advisory lock), so the order holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg
from prometheus_client import Counter, Gauge

from services.portal_sync.adapters import journal
from services.portal_sync.adapters.portal import PortalClient, PortalDown
from shared.db import TRANSIENT_DB_ERRORS

log = logging.getLogger(__name__)
LOCK_KEY = 715_150  # pg_advisory_lock key of the sender (issue 15)
BATCH = 200
FIRST_RETRY_S = 0.5


class Sender:
    def __init__(
        self,
        pool: Callable[[], asyncpg.Pool],
        database_url: str,
        client: PortalClient,
        clock: Callable[[], datetime],
        *,
        backlog: Gauge,
        calls: Counter,
        retry_max_s: float,
        poll_interval_s: float,
        after_send: Callable[[str], None] = lambda key: None,
    ):
        self.pool, self.database_url, self.client, self.clock = pool, database_url, client, clock
        self.backlog, self.calls = backlog, calls
        self.retry_max_s, self.poll_interval_s = retry_max_s, poll_interval_s
        self.after_send = after_send  # the tests' crash between send and record
        self.wake = asyncio.Event()

    async def run(self) -> None:
        """The background job: hold the lock, then drain forever."""
        while True:
            try:
                conn = await asyncpg.connect(self.database_url)
            except TRANSIENT_DB_ERRORS as exc:
                log.warning("sender: database unavailable (%s)", type(exc).__name__)
                await asyncio.sleep(self.poll_interval_s)
                continue
            try:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                    await self._drain_forever()
                else:  # another instance sends; look again later (it may stop)
                    await self._refresh_backlog()
                    await asyncio.sleep(self.poll_interval_s)
            except TRANSIENT_DB_ERRORS as exc:
                log.warning("sender: database unavailable (%s); starting again", type(exc).__name__)
                await asyncio.sleep(self.poll_interval_s)
            except Exception:  # a bug must not end the job for good: the queue stays, it is tried again
                log.exception("sender failed; starting again")
                await asyncio.sleep(self.retry_max_s)
            finally:
                await conn.close(timeout=2)  # closing the session releases the lock

    async def _drain_forever(self) -> None:
        delay = FIRST_RETRY_S
        while True:
            self.wake.clear()
            if await self.drain():
                delay = FIRST_RETRY_S
                with contextlib.suppress(TimeoutError):  # woken by a batch just taken, or polling
                    await asyncio.wait_for(self.wake.wait(), self.poll_interval_s)
            else:
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)

    async def _refresh_backlog(self) -> dict[str, int]:
        counts = await journal.backlog(self.pool())
        self.backlog.set(counts["pending"] + counts["sending"])
        return counts

    async def drain(self) -> bool:
        """Send what is queued; False when the portal is down (the rest waits for the next try)."""
        while True:
            await self._refresh_backlog()
            queued = await journal.unsent(self.pool(), BATCH)
            refused: set[str] = set()
            for item in queued:
                if item.call.dossier_code in refused:
                    continue
                await journal.mark_sending(self.pool(), item.id)
                try:
                    answer = await self.client.send(item.call)
                except PortalDown as exc:
                    log.warning("portal unavailable, %s waits: %s", item.call.key, exc)
                    self.calls.labels(item.call.kind.value, "retried").inc()
                    return False
                self.after_send(item.call.key)
                if answer.accepted:
                    await journal.mark_sent(self.pool(), item, self.clock())
                    self.calls.labels(item.call.kind.value, "sent").inc()
                else:
                    log.error("portal refused %s: %s", item.call.key, answer.reason)
                    await journal.mark_rejected(self.pool(), item.id, answer.reason)
                    self.calls.labels(item.call.kind.value, "rejected").inc()
                    refused.add(item.call.dossier_code)
            if len(queued) < BATCH:
                await self._refresh_backlog()
                return True
