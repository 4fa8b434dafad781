"""'Now' as an injectable dependency, so tests and the deadline watcher can be driven."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def clock_with_offset(offset: float) -> Clock:
    """The system clock shifted by `offset` seconds (the setting CLOCK_OFFSET_SECONDS: demos and
    end-to-end tests only)."""
    if not offset:
        return system_clock
    delta = timedelta(seconds=offset)
    return lambda: datetime.now(UTC) + delta
