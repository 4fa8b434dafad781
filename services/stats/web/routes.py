"""stats' pages: the monitoring dashboard and the leaders' views (quality index, staffing, online
uptake). Public like the API behind them: aggregates, dossier codes and staff account names only."""

from __future__ import annotations

from pathlib import Path

from shared.web import page_router

PAGES = Path(__file__).parent / "pages"
STATIC = Path(__file__).parent / "static"
router = page_router(PAGES, "dashboard", "leaders")
