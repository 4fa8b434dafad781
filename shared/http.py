"""What every service's HTTP side shares: bilingual errors, /health and /metrics."""
from __future__ import annotations

import asyncio
from typing import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CollectorRegistry, make_asgi_app


class ApiError(Exception):
    """An answer for people: what is wrong, in Vietnamese and in English."""

    def __init__(self, status: int, vi: str, en: str, **extra):
        super().__init__(en)
        self.status, self.vi, self.en, self.extra = status, vi, en, extra


def error_body(vi: str, en: str, **extra) -> dict:
    return {"error": {"message": f"{vi} / {en}", "message_vi": vi, "message_en": en, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.vi, exc.en, **exc.extra), status_code=exc.status,
                            headers=getattr(exc, "headers", None))  # e.g. WWW-Authenticate on 401

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        where = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        return JSONResponse(
            error_body(f"Dữ liệu gửi lên không hợp lệ ({where})", f"Invalid request ({where})", problems=problems),
            status_code=422,
        )


HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]


def install_health_and_metrics(app: FastAPI, registry: CollectorRegistry, checks: dict[str, HealthCheck]) -> None:
    app.mount("/metrics", make_asgi_app(registry=registry))

    @app.get("/health", tags=["ops"], summary="Liveness of the database and the Kafka consumer")
    async def health() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                ok, detail = await asyncio.wait_for(check(), 3)
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            results[name] = {"ok": ok, "detail": detail}
        healthy = all(r["ok"] for r in results.values())
        return JSONResponse({"status": "ok" if healthy else "failing", "checks": results},
                            status_code=200 if healthy else 503)


def database_check(pool) -> HealthCheck:
    async def check() -> tuple[bool, str]:
        await pool.fetchval("SELECT 1")
        return True, "reachable"
    return check


def consumer_check(tracker) -> HealthCheck:
    async def check() -> tuple[bool, str]:
        if not tracker.assigned:
            return False, "consumer holds no assignment (starting, rebalancing or disconnected)"
        return True, f"{len(tracker.partitions)} partition(s) assigned"
    return check
