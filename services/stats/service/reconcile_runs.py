"""Reconciliation runs: one at a time across every stats process, whoever starts it (a request,
the periodic job, `make reconcile`), and recorded, so any instance can say how the last one went.

A run can take minutes (a full sweep of a large history; a difference with resolution waits up to
STATS_RECONCILE_SETTLE_S to see whether it persists), so a request only starts one: reading the
outcome is another request, and reading never runs anything or moves the mismatch gauge.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from services.stats.adapters import runs
from services.stats.service import reconcile
from shared.clock import Clock
from shared.errors import Conflict, DomainError

log = logging.getLogger(__name__)


class RunInProgress(Conflict):
    def __init__(self, running: runs.Run | None):
        since = f" (lượt {running.id}, từ {running.started_at:%H:%M:%S} UTC)" if running else ""
        since_en = f" (run {running.id}, since {running.started_at:%H:%M:%S} UTC)" if running else ""
        super().__init__(
            f"Một lượt đối soát đang chạy{since}; hãy xem kết quả của lượt đó hoặc thử lại sau",
            f"A reconciliation run is in progress{since_en}; read its outcome or try again later",
            running_run=running.id if running else None,
        )


@dataclass(frozen=True)
class Request:
    scope: str  # full or changes
    with_resolution: bool
    requested_by: str  # a staff account, "schedule" or "command"


async def start(
    pool: asyncpg.Pool,
    database_url: str,
    clock: Clock,
    resolution_url: str | None,
    bootstrap: str,
    settle_s: float,
    asked: Request,
    on_done: Callable[[dict], None] | None = None,
    resolution_token: str | None = None,
) -> tuple[runs.Run, asyncio.Task[dict | None]]:
    """Start a run, or RunInProgress. Returns its record and the task that finishes it (its result,
    or None when it failed: the record says why)."""
    conn = await asyncpg.connect(database_url)  # its own: the lock lives as long as this connection
    try:
        if not await runs.try_lock(conn):
            raise RunInProgress(await runs.running(conn))
        run = await runs.begin(conn, asked.scope, asked.with_resolution, asked.requested_by, clock())
    except BaseException:
        await conn.close()
        raise

    async def complete() -> dict | None:
        try:
            try:
                result = await reconcile.reconcile(
                    pool,
                    clock(),
                    resolution_url if asked.with_resolution else None,
                    bootstrap,
                    settle_s,
                    asked.scope,
                    resolution_token=resolution_token,
                )
            except DomainError as exc:  # resolution unreachable, its export cut short
                log.warning("reconciliation run %d failed: %s", run.id, exc.en)
                await runs.finish(conn, run.id, clock(), error={"message_vi": exc.vi, "message_en": exc.en})
                return None
            except Exception as exc:
                log.exception("reconciliation run %d failed", run.id)
                error = {"message_vi": f"Lỗi khi đối soát: {type(exc).__name__}", "message_en": f"{type(exc).__name__}"}
                await runs.finish(conn, run.id, clock(), error=error)
                return None
            if on_done is not None:  # before the record says done: whoever reads "done" sees the gauge moved
                on_done(result)
            await runs.finish(conn, run.id, clock(), result=result)
            if result["new_mismatches"]:
                log.warning("reconciliation (%s) found %d new mismatches", result["scope"], result["new_mismatches"])
            return result
        finally:
            await conn.close()

    task = asyncio.create_task(complete(), name=f"reconciliation-{run.id}")
    # A task cancelled before its first step never enters `complete`: close the lock's connection anyway.
    task.add_done_callback(lambda _: conn.is_closed() or conn.terminate())
    return run, task


async def read(pool: asyncpg.Pool, run_id: int | None = None) -> tuple[runs.Run | None, runs.Run | None]:
    """(the run asked for, or the last one done; the run in progress, if any)."""
    async with pool.acquire() as conn:
        asked = await (runs.get(conn, run_id) if run_id is not None else runs.last_done(conn))
        return asked, await runs.running(conn)
