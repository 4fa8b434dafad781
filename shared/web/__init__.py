"""Pages: each service serves its own (services/<name>/web/), with the shared assets here.

Every asset is in the repository (no CDN), so the pages work with no internet at all.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(__file__).parent / "static"
# Pages are public shells (sign-in happens in the page); they hold no data, so they may be cached
# briefly, but never the API answers they load.
PAGE_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"}


def mount_assets(app: FastAPI, service_static: Path) -> None:
    app.mount("/assets", StaticFiles(directory=ASSETS), name="assets")
    app.mount("/static", StaticFiles(directory=service_static), name="static")


def page(path: Path) -> FileResponse:
    return FileResponse(path, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


def page_router(pages: Path, *names: str) -> APIRouter:
    """GET /<name> serves pages/<name>.html; GET / goes to the first one."""
    router = APIRouter(include_in_schema=False)
    router.add_api_route("/", lambda: RedirectResponse(f"/{names[0]}"), methods=["GET"])
    for name in names:
        router.add_api_route(f"/{name}", lambda name=name: page(pages / f"{name}.html"), methods=["GET"])
    return router
