"""Reconciliation's third check: every accepted dossier has in stats the status resolution gives
it, read from resolution's own export over HTTP (no service reads another's database).

A first pass merges the two lists in code order. A difference found there is counted only when
it persists: once the consumer groups of both sides have read the topic as far as it went after
the export, each differing dossier is compared again at the same seq mark (domain/agreement.py).
When resolution's outbox had nothing left to publish before that, the second look is decisive;
otherwise it is repeated until the time allowed for settling runs out.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from services.stats.adapters import generations
from services.stats.domain.agreement import StatsSide, verdict
from shared.events import LIFECYCLE_TOPIC, RESOLUTION_CASES_GROUP, STATS_GROUP
from shared.kafka import end_offsets, wait_for_groups

STATUS_PAGE = 5000
LOOKUP_BATCH = 1000  # resolution's lookup takes at most this many codes a request
RECHECK_INTERVAL_S = 0.5
SIDES = {STATS_GROUP: LIFECYCLE_TOPIC, RESOLUTION_CASES_GROUP: LIFECYCLE_TOPIC}

Report = Callable[..., None]  # Findings.add bound to the "statuses" check


class ExportIncomplete(Exception):
    """Resolution's export ended short: without its trailer, or with one that says so."""


@dataclass
class FirstPass:
    compared: int
    differing: dict[str, dict | None]  # code -> resolution's line (None: no case there)


async def _resolution_cases(client: httpx.AsyncClient, url: str, end: dict[str, Any]) -> AsyncIterator[dict]:
    """The export's lines; its trailer goes into `end`."""
    async with client.stream("GET", f"{url}/api/v1/export/cases") as answer:
        answer.raise_for_status()
        async for line in answer.aiter_lines():
            if not line.strip():
                continue
            row = json.loads(line)
            if "end" in row:
                if not row["end"].get("complete"):
                    raise ExportIncomplete(row["end"].get("message_en", "incomplete"))
                end.update(row["end"])
            elif end:
                raise ExportIncomplete("a case after the export's trailer")
            else:
                yield row
    if not end:
        raise ExportIncomplete("the export ended without its trailer")


async def _stats_cases(conn) -> AsyncIterator[asyncpg.Record]:
    async for row in conn.cursor(
        'SELECT code, status FROM facts WHERE accepted_at IS NOT NULL ORDER BY code COLLATE "C"', prefetch=STATUS_PAGE
    ):
        yield row


async def first_pass(conn, client: httpx.AsyncClient, resolution_url: str) -> FirstPass:
    """A merge of two streams in byte order of the code (COLLATE "C" on both sides, as Python
    compares strings), so two million dossiers need no memory."""
    differing: dict[str, dict | None] = {}
    compared, end = 0, dict[str, Any]()  # end: the export's trailer, once read
    theirs, ours = _resolution_cases(client, resolution_url, end), _stats_cases(conn)
    r, s = await anext(theirs, None), await anext(ours, None)
    while r is not None or s is not None:
        compared += 1
        if s is None or (r is not None and r["code"] < s["code"]):
            assert r is not None  # the loop runs while one of them is not
            differing[r["code"]] = r
            r = await anext(theirs, None)
        elif r is None or s["code"] < r["code"]:
            differing[s["code"]] = None
            s = await anext(ours, None)
        else:
            if r["status"] != s["status"]:
                differing[r["code"]] = r
            r, s = await anext(theirs, None), await anext(ours, None)
    return FirstPass(compared, differing)


async def first_pass_of(conn, client: httpx.AsyncClient, resolution_url: str, codes: list[str]) -> FirstPass:
    """The first pass for these accepted dossiers only, through resolution's lookup."""
    if not codes:
        return FirstPass(0, {})
    theirs, _ = await _lookup(client, resolution_url, codes)
    ours = {
        r["code"]: r["status"] for r in await conn.fetch("SELECT code, status FROM facts WHERE code = ANY($1)", codes)
    }
    differing = {c: theirs.get(c) for c in codes if c not in theirs or theirs[c]["status"] != ours.get(c)}
    return FirstPass(len(codes), differing)


async def _lookup(client: httpx.AsyncClient, url: str, codes: list[str]) -> tuple[dict[str, dict], int]:
    """Resolution's cases among `codes` now, and how many of its events are not yet on the topic."""
    found: dict[str, dict] = {}
    unpublished = 0
    for i in range(0, max(len(codes), 1), LOOKUP_BATCH):
        answer = await client.post(f"{url}/api/v1/export/cases/lookup", json={"codes": codes[i : i + LOOKUP_BATCH]})
        answer.raise_for_status()
        found.update((c["code"], c) for c in answer.json()["cases"])
        unpublished = max(unpublished, answer.json()["unpublished"])
    return found, unpublished


async def _ours_at(pool: asyncpg.Pool, marks: dict[str, int]) -> dict[str, StatsSide]:
    async with pool.acquire() as conn, conn.transaction(readonly=True):
        await generations.use_active(conn)
        rows = await conn.fetch(
            """SELECT c.code, f.accepted_at IS NOT NULL AS accepted, f.last_seq, f.status,
                      (SELECT s.status FROM fact_steps s WHERE s.code = c.code AND s.seq <= c.seq
                       ORDER BY s.seq DESC LIMIT 1) AS status_at
               FROM unnest($1::text[], $2::int[]) AS c(code, seq) JOIN facts f ON f.code = c.code""",
            list(marks),
            list(marks.values()),
        )
    return {r["code"]: StatsSide(r["accepted"], r["last_seq"], r["status"], r["status_at"]) for r in rows}


async def confirm(
    pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    url: str,
    bootstrap: str,
    first: FirstPass,
    report: Report,
    settle_s: float,
) -> None:
    """Report the differences of `first` that persist (each once)."""
    deadline = time.monotonic() + settle_s
    pending = dict(first.differing)
    while True:
        # With nothing left in resolution's outbox, the topic holds every event behind the export;
        # then both sides read it as far as it went, or the time allowed runs out.
        _, unpublished = await _lookup(client, url, [])
        targets = await end_offsets(bootstrap, LIFECYCLE_TOPIC)
        behind_records = await wait_for_groups(bootstrap, SIDES, deadline, targets=targets)
        # Resolution's line from the export stands for its side; a dossier it had no case for
        # is asked again (its case may have been opened since).
        fresh, _ = await _lookup(client, url, [c for c, line in pending.items() if line is None])
        theirs = {c: line or fresh.get(c) for c, line in pending.items()}
        ours = await _ours_at(pool, {c: line["last_seq"] if line else 0 for c, line in theirs.items()})
        behind: dict[str, dict | None] = {}
        for code, line in theirs.items():
            side = ours.get(code)
            outcome = verdict((line["status"], line["last_seq"]) if line else None, side)
            if outcome == "behind" and pending[code] is None and line is not None:
                outcome = "agree"  # the case missing from the export exists now; what follows it is a new flight
            if outcome == "differ":
                report(
                    code=code,
                    resolution=_mark(line),
                    stats=side and (side.status, side.last_seq),
                    problem="different status at the same seq",
                )
            elif outcome == "behind":
                behind[code] = pending[code]
        settled = behind_records == 0 and unpublished == 0
        if not behind or settled or time.monotonic() >= deadline:
            why = (
                "one side is behind the other although both had read the whole topic"
                if settled
                else f"one side did not catch up in {settle_s:.0f} s"
            )
            for code in behind:
                side = ours.get(code)
                report(
                    code=code, resolution=_mark(theirs[code]), stats=side and (side.status, side.last_seq), problem=why
                )
            return
        pending = behind
        await asyncio.sleep(RECHECK_INTERVAL_S)


def _mark(line: dict | None) -> tuple[int, int] | None:
    return (line["status"], line["last_seq"]) if line else None
