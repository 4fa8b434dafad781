"""stats' page: the monitoring dashboard. Public: it shows only aggregates and dossier codes."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse

from shared.web import page

router = APIRouter(include_in_schema=False)
PAGES = Path(__file__).parent / "pages"
STATIC = Path(__file__).parent / "static"


@router.get("/")
async def home() -> RedirectResponse:
    return RedirectResponse("/dashboard")


@router.get("/dashboard")
async def dashboard():
    return page(PAGES / "dashboard.html")
