"""portal_sync's operator API: the backlog, the calls the portal refused (and re-queueing them),
and reconciliation runs. Staff only (leaders and monitors); routes only translate."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel

from services.portal_sync.adapters import journal
from services.portal_sync.adapters.portal import PortalDown
from services.portal_sync.entrypoints.runtime import runtime_of
from services.portal_sync.service import reconcile
from shared.auth import Account, Role, staff
from shared.errors import NotFound, Unavailable

router = APIRouter(prefix="/api/v1/portal", tags=["portal"])
READERS = (Role.MONITOR, Role.LEADER)
OPERATORS = (Role.LEADER,)
Code = Path(min_length=1, max_length=64)


class BacklogOut(BaseModel):
    pending: int
    sending: int
    rejected: int


class RefusedOut(BaseModel):
    id: int
    dossier_code: str
    seq: int
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime


class RequeuedOut(BaseModel):
    requeued: int


class MismatchOut(BaseModel):
    dossier_code: str
    ours: int
    portal: int | None


class RunOut(BaseModel):
    id: int
    checked: int
    mismatches: int
    details: list[MismatchOut]


@router.get("/backlog", response_model=BacklogOut, summary="Lệnh gọi chưa được Cổng xác nhận / calls not acknowledged")
async def backlog(request: Request, _: Account = Depends(staff(*READERS))) -> dict:
    return await journal.backlog(runtime_of(request).db)


@router.get("/rejected", response_model=list[RefusedOut], summary="Lệnh gọi Cổng từ chối / calls the portal refused")
async def rejected(request: Request, _: Account = Depends(staff(*READERS))) -> list:
    return [dict(row) for row in await journal.rejected(runtime_of(request).db)]


@router.post(
    "/rejected/{code}/retry",
    response_model=RequeuedOut,
    summary="Gửi lại các lệnh gọi bị từ chối của một hồ sơ / re-queue a dossier's refused calls",
)
async def retry(request: Request, code: str = Code, _: Account = Depends(staff(*OPERATORS))) -> dict:
    rt = runtime_of(request)
    n = await journal.requeue(rt.db, code)
    if not n:
        raise NotFound(
            f"Hồ sơ {code} không có lệnh gọi nào bị Cổng từ chối", f"Dossier {code} has no call the portal refused"
        )
    rt.sender.wake.set()
    return {"requeued": n}


@router.post(
    "/reconciliations",
    response_model=RunOut,
    summary="Đối soát trạng thái với Cổng ngay / reconcile with the portal now",
)
async def reconcile_now(request: Request, account: Account = Depends(staff(*OPERATORS))) -> dict:
    rt = runtime_of(request)
    try:
        result = await reconcile.run(rt.db, rt.portal, rt.clock, rt.settings.reconcile_batch, account.username)
    except PortalDown as exc:
        raise Unavailable(
            "Cổng Dịch vụ công quốc gia chưa trả lời, vui lòng thử lại sau",
            f"The national portal did not answer; try again later ({exc})",
        ) from None
    rt.mismatches.set(result["mismatches"])
    return result


@router.get(
    "/reconciliations/latest", response_model=RunOut, summary="Kết quả đối soát gần nhất / the last reconciliation"
)
async def latest(request: Request, _: Account = Depends(staff(*READERS))) -> dict:
    found = await reconcile.latest(runtime_of(request).db)
    if found is None:
        raise NotFound("Chưa có lượt đối soát nào", "No reconciliation has run yet")
    return found
