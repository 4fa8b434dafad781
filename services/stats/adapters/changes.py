"""Wakes the board's server-sent-event streams when a batch changed the projections.

The ingesting transaction sends NOTIFY on commit; one LISTEN connection per process turns it
into an asyncio event. If that connection is lost the streams still re-read on a timer.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

CHANNEL = "stats_changed"
log = logging.getLogger(__name__)


async def notify(conn) -> None:
    await conn.execute(f"NOTIFY {CHANNEL}")


class BoardChanges:
    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wait_handle(self) -> asyncio.Event:
        """Take this before reading the board, then wait on it: no change can slip between."""
        return self._event

    def changed(self, *_args) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def listen(self, database_url: str, retry_s: float = 2.0) -> None:
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(database_url)
                await conn.add_listener(CHANNEL, self.changed)
                while not conn.is_closed():
                    await asyncio.sleep(1.0)  # the connection's health; events arrive on their own
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("board change listener: %s; retrying", type(exc).__name__)
            finally:
                if conn is not None and not conn.is_closed():
                    await conn.close()
            self.changed()  # whatever was missed meanwhile: re-read once
            await asyncio.sleep(retry_s)
