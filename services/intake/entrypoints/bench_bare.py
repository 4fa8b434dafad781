"""The floor `make bench` measures reception against: an endpoint that only inserts one row.

Mounted only when INTAKE_BENCH_BARE=1 (the benchmark sets it), so production never exposes it.
Same process, same pool, same request body as `POST /api/v1/dossiers`; none of the real work
(catalogue, code sequence, deadline, dossier row, outbox row).
"""
from __future__ import annotations

import json
import os

from fastapi import FastAPI, Request

ENV = "INTAKE_BENCH_BARE"


def enabled() -> bool:
    return os.environ.get(ENV) == "1"


def install(app: FastAPI, runtime) -> None:
    async def create_table() -> None:
        await runtime.db.execute("CREATE TABLE IF NOT EXISTS bench_bare (id bigserial PRIMARY KEY, body jsonb NOT NULL)")

    runtime.on_started.append(create_table)

    @app.post("/api/v1/_bench/bare", status_code=201, include_in_schema=False)
    async def bare(request: Request, body: dict) -> dict:
        row_id = await runtime.db.fetchval("INSERT INTO bench_bare(body) VALUES ($1::jsonb) RETURNING id",
                                           json.dumps(body))
        return {"id": row_id}
