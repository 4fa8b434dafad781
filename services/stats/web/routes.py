"""stats' page: the monitoring dashboard. Public: it shows only aggregates and dossier codes."""

from __future__ import annotations

from pathlib import Path

from shared.web import page_router

PAGES = Path(__file__).parent / "pages"
STATIC = Path(__file__).parent / "static"
router = page_router(PAGES, "dashboard")
