"""stats' HTTP API: the live board, its stream, period reports, the quality index and
reconciliation runs. Routes only translate."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from services.stats.entrypoints import schemas
from services.stats.entrypoints.runtime import runtime_of
from services.stats.service import board, online, reconcile_runs, report_files, reports, staffing
from services.stats.service.live_feed import LIVE_RECHECK_S
from shared.auth import Account, Role, staff
from shared.errors import NotFound
from shared.events import Channel
from shared.local_time import local_day

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
Code = Annotated[str | None, Query(max_length=40)]
STREAM_HEARTBEAT_S = 15.0


def _filters(agency, procedure, channel) -> dict:
    return {"agency": agency, "procedure": procedure, "channel": channel.value if channel else None}


@router.get("/live", response_model=schemas.LiveBoardOut, summary="Bảng theo dõi trực tuyến / the live board")
async def live(request: Request, agency: Code = None, procedure: Code = None, channel: Channel | None = None) -> dict:
    rt = runtime_of(request)
    return await board.live_board(rt.db, rt.calendar, rt.clock(), **_filters(agency, procedure, channel))


@router.get(
    "/live/groups",
    response_model=schemas.LiveGroupsOut,
    summary="Bảng theo dõi theo cơ quan, thủ tục hoặc kênh / the board per group",
)
async def live_groups(
    request: Request,
    by: Literal["agency", "procedure", "channel", "level"] = "agency",
    agency: Code = None,
    procedure: Code = None,
    channel: Channel | None = None,
) -> dict:
    rt = runtime_of(request)
    return await board.live_groups(rt.db, rt.calendar, rt.clock(), by, **_filters(agency, procedure, channel))


@router.get(
    "/live/stream",
    summary="Bảng theo dõi, cập nhật liên tục (SSE) / the live board as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def live_stream(
    request: Request, agency: Code = None, procedure: Code = None, channel: Channel | None = None
) -> StreamingResponse:
    rt = runtime_of(request)
    filters = _filters(agency, procedure, channel)
    feed = rt.live_boards
    feed.check_room()

    async def events():
        last, idle = None, 0.0
        with feed.listening():
            while not await request.is_disconnected():
                changed = rt.board_changes.wait_handle()
                now_board = await feed.board(**filters)
                content = {k: v for k, v in now_board.items() if k != "as_of"}
                if content != last:
                    last, idle = content, 0.0
                    yield f"event: board\ndata: {json.dumps(now_board, ensure_ascii=False)}\n\n"
                elif idle >= STREAM_HEARTBEAT_S:
                    idle = 0.0
                    yield ": still here\n\n"
                try:
                    await asyncio.wait_for(changed.wait(), LIVE_RECHECK_S)
                except TimeoutError:
                    idle += LIVE_RECHECK_S

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


@router.get(
    "/daily",
    response_model=schemas.DailyOut,
    summary="Tiếp nhận và giải quyết theo ngày / received and resolved per day",
)
async def daily(
    request: Request,
    days: int = Query(30, ge=1, le=366),
    agency: Code = None,
    procedure: Code = None,
    channel: Channel | None = None,
) -> dict:
    rt = runtime_of(request)
    return await board.daily_series(rt.db, rt.clock(), days, **_filters(agency, procedure, channel))


@router.get(
    "/overdue", response_model=schemas.OverdueOut, summary="Hồ sơ quá hạn / overdue dossiers (no personal data)"
)
async def overdue(
    request: Request,
    limit: int = Query(100, ge=1, le=1000),
    agency: Code = None,
    procedure: Code = None,
    channel: Channel | None = None,
) -> dict:
    rt = runtime_of(request)
    return await board.overdue(rt.db, rt.calendar, rt.clock(), limit, **_filters(agency, procedure, channel))


@router.get(
    "/report",
    response_model=schemas.ReportOut,
    summary="Báo cáo định kỳ, Biểu số 06/VPCP/KSTT / the period report",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
async def report(
    request: Request,
    from_: date = Query(..., alias="from"),
    to: date = Query(...),
    group_by: Literal["agency", "procedure", "channel", "field", "level"] = "agency",
    format: Literal["json", "csv", "xlsx"] = "json",
    agency: Code = None,
    procedure: Code = None,
    channel: Channel | None = None,
):
    rt = runtime_of(request)
    f = _filters(agency, procedure, channel)
    answer = await reports.period_report(
        rt.db, rt.clock(), from_, to, group_by, (f["agency"], f["procedure"], f["channel"])
    )
    if format == "json":
        return answer
    name = f"bieu-06-{from_.isoformat()}-{to.isoformat()}-{group_by}.{format}"
    body, media = (
        (report_files.to_csv(answer), "text/csv; charset=utf-8")
        if format == "csv"
        else (report_files.to_xlsx(answer), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get(
    "/quality",
    response_model=schemas.QualityOut,
    summary="Chỉ số chất lượng phục vụ (QĐ 766) / the service-quality index",
)
async def quality(
    request: Request,
    from_: date | None = Query(None, alias="from"),
    to: date | None = None,
    period: Literal["week", "month", "quarter", "year"] | None = Query(
        None, description="Instead of from and to: the week, month, quarter or year containing `day`"
    ),
    day: date | None = Query(None, description="With period; today when left out"),
    agency: Code = None,
) -> dict:
    rt = runtime_of(request)
    now = rt.clock()
    start, end = reports.period_asked(from_, to, period, day or local_day(now))
    return await reports.quality_index(rt.db, now, start, end, agency)


@router.get(
    "/staffing",
    response_model=schemas.StaffingOut,
    summary="Nhân lực: hồ sơ đang giữ, quá hạn, thời gian giải quyết / who holds what and how long it takes",
)
async def staffing_view(
    request: Request, from_: date = Query(..., alias="from"), to: date = Query(...), agency: Code = None
) -> dict:
    rt = runtime_of(request)
    return await staffing.staffing(rt.db, rt.calendar, rt.clock(), from_, to, agency)


@router.get(
    "/online",
    response_model=schemas.OnlineOut,
    summary="Tỷ lệ hồ sơ trực tuyến / uptake of online services",
)
async def online_view(
    request: Request, from_: date = Query(..., alias="from"), to: date = Query(...), agency: Code = None
) -> dict:
    rt = runtime_of(request)
    return await online.online_uptake(rt.db, rt.clock(), from_, to, agency)


MONITORS = (Role.MONITOR, Role.LEADER)  # reconciliation is an operator's tool: not anonymous (it is costly)


@router.post(
    "/reconciliation/runs",
    status_code=202,
    response_model=schemas.RunOut,
    summary="Bắt đầu một lượt đối soát / start a reconciliation run",
    description="Starts a run and answers at once (202, with its address in `Location`); its outcome is "
    "read from `GET /reconciliation/runs/{id}`. One run at a time across every instance: 409 while "
    "another is in progress, naming it.",
    responses={409: {"description": "A run is in progress"}},
)
async def start_reconciliation(
    request: Request, response: Response, body: schemas.ReconcileIn, account: Account = Depends(staff(*MONITORS))
) -> schemas.RunOut:
    rt = runtime_of(request)
    settings = rt.settings
    run, task = await reconcile_runs.start(
        rt.db,
        settings.database_url,
        rt.clock,
        settings.resolution_url,
        settings.kafka_bootstrap,
        settings.reconcile_settle_s,
        reconcile_runs.Request(body.scope, body.with_resolution, account.username),
        on_done=lambda result: rt.reconciliation_gauge.set(result["mismatches"]),
        resolution_token=settings.service_credential(),
    )
    rt.track(task)
    response.headers["Location"] = f"{router.prefix}/reconciliation/runs/{run.id}"
    return schemas.run_out(run)


@router.get(
    "/reconciliation/runs/{run_id}",
    response_model=schemas.RunOut,
    summary="Kết quả một lượt đối soát / one reconciliation run and its outcome",
)
async def reconciliation_run(
    request: Request, run_id: int = Path(ge=1, le=2**62), account: Account = Depends(staff(*MONITORS))
) -> schemas.RunOut:
    run, _ = await reconcile_runs.read(runtime_of(request).db, run_id)
    if run is None:
        raise NotFound(f"Không có lượt đối soát {run_id}", f"No reconciliation run {run_id}")
    return schemas.run_out(run)


@router.get(
    "/reconciliation",
    response_model=schemas.ReconciliationStateOut,
    summary="Đối soát gần nhất / the last reconciliation and the one in progress",
    description="Reads what the runs recorded; runs nothing (`POST /reconciliation/runs` starts one).",
)
async def reconciliation(
    request: Request, account: Account = Depends(staff(*MONITORS))
) -> schemas.ReconciliationStateOut:
    last, running = await reconcile_runs.read(runtime_of(request).db)
    return schemas.ReconciliationStateOut(
        last=schemas.run_out(last) if last else None, running=schemas.run_out(running) if running else None
    )
