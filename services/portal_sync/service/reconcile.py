"""Reconciliation against the portal: ask it the status of every dossier synchronised (in
batches), compare with the journal, keep the run."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import asyncpg

from services.portal_sync.adapters import journal
from services.portal_sync.adapters.portal import PortalClient
from services.portal_sync.domain.reconcile import compare


async def run(
    pool: asyncpg.Pool, client: PortalClient, clock: Callable[[], datetime], batch: int, requested_by: str
) -> dict:
    """One run, recorded; PortalDown passes through (nothing is recorded then)."""
    started = clock()
    ours = await journal.synced_statuses(pool)
    codes = sorted(ours)
    portal: dict[str, int | None] = {}
    for start in range(0, len(codes), batch):
        portal.update(await client.statuses(codes[start : start + batch]))
    mismatches = [m.as_dict() for m in compare(ours, portal)]
    run_id = await journal.save_run(pool, requested_by, started, clock(), len(codes), mismatches)
    return {"id": run_id, "checked": len(codes), "mismatches": len(mismatches), "details": mismatches}


async def latest(pool: asyncpg.Pool) -> dict | None:
    row = await journal.last_run(pool)
    if row is None:
        return None
    return {
        "id": row["id"],
        "requested_by": row["requested_by"],
        "started_at": row["started_at"],
        "finished_at": row["finished_at"],
        "checked": row["checked"],
        "mismatches": row["mismatches"],
        "details": json.loads(row["details"]),
    }
