"""stats' HTTP API: the live board."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from services.stats.service.board import live_board
from shared.events import Channel

router = APIRouter(prefix="/api/v1")


@router.get("/stats/live", tags=["stats"], summary="Bảng theo dõi trực tuyến / the live board")
async def live(request: Request, agency: str | None = Query(None, max_length=40),
               procedure: str | None = Query(None, max_length=40), channel: Channel | None = None) -> dict:
    rt = request.app.state.runtime
    return await live_board(rt.db, rt.calendar, rt.clock(), agency=agency, procedure=procedure,
                            channel=channel.value if channel else None)
