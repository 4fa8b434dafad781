"""The live board's listeners share its computation: one query per filter and per change (or
per recheck interval, since due-soon counts move with the clock), however many screens watch.
A cap on listeners keeps a flood of open streams from holding the service's connections."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from services.stats.adapters.changes import BoardChanges
from shared.errors import Unavailable

Compute = Callable[..., Awaitable[dict]]
LIVE_RECHECK_S = 5.0  # due-soon counts move with the clock, not only with events


class TooManyListeners(Unavailable):
    def __init__(self, cap: int):
        super().__init__(
            f"Bảng theo dõi đang có quá nhiều người xem cùng lúc (tối đa {cap}); vui lòng thử lại sau",
            f"The live board has too many listeners (at most {cap}); try again later",
        )


class SharedBoards:
    def __init__(
        self,
        changes: BoardChanges,
        compute: Compute,
        max_age_s: float,
        max_listeners: int,
        on_compute: Callable[[], object] = lambda: None,
    ):
        self._changes, self._compute, self._on_compute = changes, compute, on_compute
        self._max_age_s, self.max_listeners = max_age_s, max_listeners
        # filters -> (the change handle it was read under, when, the computation)
        self._boards: dict[tuple, tuple[asyncio.Event, float, asyncio.Future]] = {}
        self.listeners = 0

    def check_room(self) -> None:
        """TooManyListeners (503) when the cap is reached: asked before a stream's first byte."""
        if self.listeners >= self.max_listeners:
            raise TooManyListeners(self.max_listeners)

    @contextmanager
    def listening(self) -> Iterator[None]:
        # Counted inside the stream itself: a stream that never started holds no place.
        self.listeners += 1
        try:
            yield
        finally:
            self.listeners -= 1

    async def board(self, **filters) -> dict:
        """The board for `filters`, computed at most once per change and per `max_age_s`."""
        key = tuple(sorted(filters.items()))
        handle, now = self._changes.wait_handle(), time.monotonic()
        entry = self._boards.get(key)
        if entry is None or entry[0] is not handle or now - entry[1] >= self._max_age_s or entry[2].cancelled():
            self._forget_older_than(now - self._max_age_s)
            entry = (handle, now, asyncio.ensure_future(self._compute(**filters)))
            self._boards[key] = entry
            self._on_compute()
            entry[2].add_done_callback(functools.partial(self._drop_failed, key, entry))
        # shielded: one listener leaving must not cancel the others' answer
        return await asyncio.shield(entry[2])

    def _drop_failed(self, key: tuple, entry: tuple, done: asyncio.Future) -> None:
        if (done.cancelled() or done.exception() is not None) and self._boards.get(key) is entry:
            del self._boards[key]  # the next listener tries again rather than sharing the failure

    def _forget_older_than(self, limit: float) -> None:
        for key in [k for k, (_, at, _) in self._boards.items() if at < limit]:
            del self._boards[key]
