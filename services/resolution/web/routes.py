"""resolution's page: the officer desk. The data comes from the API, which enforces the agency."""

from __future__ import annotations

from pathlib import Path

from shared.web import page_router

PAGES = Path(__file__).parent / "pages"
STATIC = Path(__file__).parent / "static"
router = page_router(PAGES, "desk")
