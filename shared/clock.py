"""'Now' as an injectable dependency, so tests and the deadline watcher can be driven."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from typing import Callable

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def clock_from_env() -> Clock:
    """CLOCK_OFFSET_SECONDS shifts the service's 'now' (demo and end-to-end tests only)."""
    offset = float(os.environ.get("CLOCK_OFFSET_SECONDS", "0") or 0)
    if not offset:
        return system_clock
    delta = timedelta(seconds=offset)
    return lambda: datetime.now(timezone.utc) + delta
