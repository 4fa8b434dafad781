"""The floor `make bench` measures reception against: an endpoint that only inserts one row.

Mounted only with the setting INTAKE_BENCH_BARE=1 (the benchmark sets it), so production never
exposes it. Same process, same pool, same request body as `POST /api/v1/dossiers`; none of the
real work (catalogue, code sequence, deadline, dossier row, outbox row).
"""

from __future__ import annotations

import json

from fastapi import APIRouter

from shared.runtime import Runtime


def routes(runtime: Runtime) -> APIRouter:
    async def create_table() -> None:
        await runtime.db.execute(
            "CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body jsonb NOT NULL)"
        )

    runtime.on_started.append(create_table)
    router = APIRouter()

    @router.post("/api/v1/_bench/bare", status_code=201, include_in_schema=False)
    async def bare(body: dict) -> dict:
        row_id = await runtime.db.fetchval(
            "INSERT INTO bench_bare(body) VALUES ($1::jsonb) RETURNING id", json.dumps(body)
        )
        return {"id": row_id}

    return router
