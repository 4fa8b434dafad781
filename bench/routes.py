"""Which stats endpoints this checkout has: figures for missing ones say so instead of running."""
from __future__ import annotations

import functools


@functools.cache
def stats_paths() -> frozenset[str]:
    from services.stats.entrypoints.main import app  # builds the app object only; nothing starts
    return frozenset(app.openapi().get("paths", {}))
