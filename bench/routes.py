"""Which stats endpoints this checkout has: figures for missing ones say so instead of running."""

from __future__ import annotations

import functools


@functools.cache
def stats_paths() -> frozenset[str]:
    from services.stats.entrypoints.main import create_app

    return frozenset(create_app().openapi().get("paths", {}))  # builds the app only; nothing starts
