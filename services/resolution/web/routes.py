"""resolution's page: the officer desk. The data comes from the API, which enforces the agency."""
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
    return RedirectResponse("/desk")


@router.get("/desk")
async def desk():
    return page(PAGES / "desk.html")
