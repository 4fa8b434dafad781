"""notifier's operator API: the dead letters of the sent-log, and their replay. For a leader or
another service's token (make notify-dlt); a row shows the dossier, the event and the failure,
never the contact."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.notifier.adapters import repository
from services.notifier.entrypoints.runtime import runtime_of
from shared.auth import Role
from shared.auth.http import service_or_staff

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
OPERATOR = service_or_staff(Role.LEADER)


class DeadOut(BaseModel):
    dossier_code: str
    seq: int
    channel: Literal["email", "sms"]
    event_type: str
    attempts: int
    last_error: str | None
    created_at: datetime
    failed_at: datetime | None


class DeadList(BaseModel):
    dead: list[DeadOut]


class Key(BaseModel):
    dossier_code: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1)
    channel: Literal["email", "sms"]


class ReplayIn(BaseModel):
    items: list[Key] = Field(default_factory=list, max_length=1000, description="The dead letters to try again")
    all: bool = Field(False, description="Every dead letter instead")


class ReplayOut(BaseModel):
    replayed: int


@router.get("/dead", response_model=DeadList, summary="Messages that failed every try")
async def list_dead(request: Request, _who: str = Depends(OPERATOR)) -> DeadList:
    rows = await repository.dead(runtime_of(request).db)
    return DeadList(
        dead=[
            DeadOut(
                dossier_code=d.notice.dossier_code,
                seq=d.notice.seq,
                channel=d.channel.value,
                event_type=d.notice.event_type.value,
                attempts=d.attempts,
                last_error=d.last_error,
                created_at=d.created_at,
                failed_at=d.done_at,
            )
            for d in rows
        ]
    )


@router.post("/dead/replay", response_model=ReplayOut, summary="Try dead letters again, from a fresh count")
async def replay(request: Request, body: ReplayIn, _who: str = Depends(OPERATOR)) -> ReplayOut:
    rt = runtime_of(request)
    keys = None if body.all else [(k.dossier_code, k.seq, str(k.channel)) for k in body.items]
    n = await repository.replay(rt.db, keys)
    rt.sender.wake.set()
    return ReplayOut(replayed=n)


@router.get("/summary", summary="Rows of the sent-log by state")
async def summary(request: Request, _who: str = Depends(OPERATOR)) -> dict[str, int]:
    return await repository.counts(runtime_of(request).db)
