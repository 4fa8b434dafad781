"""The status of every case as NDJSON, for stats' reconciliation (no personal data is in a case).

The export never ends silently short. Its snapshot is opened and its first batch read before
the answer starts, so a problem found then is an ordinary error answer with its status code;
every export ends with a trailer line, `{"end": {"complete": true, "cases": N, "unpublished": U}}`,
or `{"end": {"complete": false, ...}}` with the reason when it had to stop after the answer had
started. A client that does not find a complete trailer knows the list is short. `unpublished`
counts the events the snapshot's cases have that the outbox relay had not yet published: with
0, every event behind these statuses is on the topic, so a consumer that has read the topic to
its end must agree with them (stats' reconciliation relies on that).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator

import asyncpg

from services.resolution.adapters.repository import ResolutionRepository
from shared.uow import Units

log = logging.getLogger(__name__)
BATCH = 2000
LOOKUP_MAX = 1000


def case_line(row) -> dict:
    return {
        "code": row["code"],
        "agency_id": row["agency_id"],
        "procedure_code": row["procedure_code"],
        "channel": row["channel"],
        "status": row["status"],
        "last_seq": row["last_seq"],
        "due_at": row["due_at"].isoformat() if row["due_at"] else None,
        "compliance": row["compliance"],
        "resolved_at": row["resolved_at"].isoformat() if row["resolved_at"] else None,
        "rating": row["rating"],
    }


def _chunk(rows) -> bytes:
    return "".join(json.dumps(case_line(r), ensure_ascii=False) + "\n" for r in rows).encode()


def _trailer(cases: int, unpublished: int | None, problem: tuple[str, str] | None = None) -> bytes:
    end: dict = {"complete": problem is None, "cases": cases, "unpublished": unpublished}
    if problem:
        end["message_vi"], end["message_en"] = problem
    return (json.dumps({"end": end}, ensure_ascii=False) + "\n").encode()


async def export_cases(
    pool: asyncpg.Pool, agency_id: str | None = None, *, max_seconds: float, batch: int = BATCH
) -> AsyncIterator[bytes]:
    """Opens the export and reads its first batch (raising as any use case would), then returns
    the stream of its chunks: one per cursor batch, in code order, from one repeatable-read
    snapshot, then the trailer.

    `max_seconds` bounds how long the snapshot (a transaction) stays open: two million cases
    stream in well under a minute, and a client that reads slower is cut off with an incomplete
    trailer rather than hold a transaction for hours. PostgreSQL enforces the same bound on a
    client that stops reading altogether (the generator is then parked in `yield`)."""
    chunks = _export(pool, agency_id, batch, max_seconds)
    first = await anext(chunks)
    return _starting_with(first, chunks)


async def _starting_with(first: bytes, rest: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for chunk in rest:
        yield chunk


async def _export(pool: asyncpg.Pool, agency_id: str | None, batch: int, max_seconds: float) -> AsyncIterator[bytes]:
    started = time.monotonic()
    sent: int | None = None  # None until the first chunk is out: until then a failure is the request's error
    problem, unpublished = None, None
    try:
        async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            await conn.execute(f"SET LOCAL idle_in_transaction_session_timeout = {int(max_seconds * 1000)}")
            repo = ResolutionRepository(conn)
            unpublished = await repo.unpublished_events()
            batches = repo.export_batches(agency_id, batch)
            rows: list = await anext(batches, [])
            yield _chunk(rows)
            sent = len(rows)
            while rows:
                if time.monotonic() - started > max_seconds:
                    problem = (
                        f"Xuất dữ liệu dừng sau {max_seconds:.0f} giây; danh sách chưa đầy đủ",
                        f"The export stopped after {max_seconds:.0f} s; the list is incomplete",
                    )
                    break
                rows = await anext(batches, [])
                yield _chunk(rows)
                sent += len(rows)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
        if sent is None:
            raise
        log.warning("export cut after %d cases: %s", sent, type(exc).__name__)
        problem = (
            "Lỗi cơ sở dữ liệu khi xuất; danh sách chưa đầy đủ",
            f"Database error during the export ({type(exc).__name__}); the list is incomplete",
        )
    yield _trailer(sent or 0, unpublished, problem)


async def lookup(units: Units[ResolutionRepository], codes: list[str]) -> tuple[list[dict], int]:
    """The cases among `codes` (at most LOOKUP_MAX), now, and how many events are still waiting in
    the outbox: reconciliation rechecks its few differences with this instead of reading every case
    again."""
    async with units() as uow:
        return [case_line(r) for r in await uow.repo.export_lookup(codes)], await uow.repo.unpublished_events()
