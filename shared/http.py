"""What every service's HTTP side shares: bilingual errors, probes and /metrics."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidRequest,
    NotFound,
    TooLarge,
    Unavailable,
    UpstreamFailed,
)
from shared.validation_vi import field_name, problem_vi

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal of the HTTP edge itself (sign-in, routing, request size), with its status code.
    Use cases raise `shared.errors` instead; STATUS_OF maps those."""

    def __init__(self, status: int, vi: str, en: str, **extra):
        super().__init__(en)
        self.status, self.vi, self.en, self.extra = status, vi, en, extra


def error_body(vi: str, en: str, **extra) -> dict:
    return {"error": {"message": f"{vi} / {en}", "message_vi": vi, "message_en": en, **extra}}


# The one place where a kind of refusal becomes a status code (the most specific kind wins).
STATUS_OF: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    TooLarge: 413,
    InvalidRequest: 422,
    Conflict: 409,
    Unavailable: 503,
    UpstreamFailed: 502,
}


def status_of(exc: DomainError) -> int:
    return next((STATUS_OF[kind] for kind in type(exc).__mro__ if kind in STATUS_OF), 400)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(error_body(exc.vi, exc.en, **exc.detail), status_code=status_of(exc))

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.vi, exc.en, **exc.extra), status_code=exc.status, headers=getattr(exc, "headers", None)
        )  # e.g. WWW-Authenticate on 401

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        problems = [
            {"field": field_name(e.get("loc", ())), "problem": e.get("msg", ""), "problem_vi": problem_vi(e)}
            for e in errors
        ]
        where_vi = "; ".join(f"{p['field']}: {p['problem_vi']}" for p in problems[:5])
        where_en = "; ".join(f"{p['field']}: {p['problem']}" for p in problems[:5])
        return JSONResponse(
            error_body(
                f"Dữ liệu gửi lên không hợp lệ ({where_vi})", f"Invalid request ({where_en})", problems=problems
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        # Routing and framework errors (unknown path, wrong method, unreadable body) in both languages.
        vi, en = getattr(exc, "vi", None), getattr(exc, "en", None)
        if not vi and exc.status_code == 400:  # FastAPI's answer to a body it could not parse
            vi, en = "Không đọc được nội dung yêu cầu (JSON hỏng hoặc lồng quá sâu)", f"Bad request: {exc.detail}"
        elif not vi:
            vi, en = _HTTP_MESSAGES.get(exc.status_code, ("Yêu cầu không hợp lệ", str(exc.detail)))
        return JSONResponse(
            error_body(vi, en or str(exc.detail), **getattr(exc, "extra", {})),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(asyncpg.exceptions.DataError)
    async def _data(request: Request, exc: asyncpg.exceptions.DataError) -> JSONResponse:
        # PostgreSQL refused a value the models let through (a NUL character, a number out of range).
        log.warning("%s %s: database refused a value (%s)", request.method, request.url.path, type(exc).__name__)
        return JSONResponse(
            error_body(
                "Dữ liệu chứa ký tự không lưu được (như ký tự NUL \\u0000) hoặc giá trị ngoài giới hạn",
                "The request contains a character that cannot be stored (such as NUL, \\u0000) or a value out of range",
            ),
            status_code=422,
        )


_HTTP_MESSAGES = {
    404: ("Không tìm thấy đường dẫn", "No such path"),
    405: ("Phương thức không được hỗ trợ cho đường dẫn này", "Method not allowed on this path"),
}


HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]


class CheckOut(BaseModel):
    ok: bool
    detail: str


class ReadyOut(BaseModel):
    status: str = Field(description="ok, or failing when any check fails (then the answer is a 503)")
    checks: dict[str, CheckOut]


def install_probes_and_metrics(app: FastAPI, registry: CollectorRegistry, checks: dict[str, HealthCheck]) -> None:
    """`/livez` (the process answers), `/readyz` (`checks` pass: the service can do its job) and
    `/metrics`. Kafka is in no check: intake takes dossiers into its outbox while Kafka is away, and
    a consumer between partitions is still ready; both show in the metrics instead."""

    @app.get("/livez", tags=["ops"], summary="The process answers (liveness probe)", response_model=CheckOut)
    async def livez() -> dict:
        return {"ok": True, "detail": "alive"}

    async def readyz() -> JSONResponse:
        results = {}
        for name, check in checks.items():
            try:
                ok, detail = await asyncio.wait_for(check(), 3)
            except Exception as exc:
                ok, detail = False, f"{type(exc).__name__}: {exc}"
            results[name] = {"ok": ok, "detail": detail}
        ready = all(r["ok"] for r in results.values())
        return JSONResponse(
            {"status": "ok" if ready else "failing", "checks": results}, status_code=200 if ready else 503
        )

    ready_doc: dict[str, Any] = {
        "tags": ["ops"],
        "response_model": ReadyOut,
        "responses": {503: {"model": ReadyOut, "description": "A check failed"}},
    }
    app.get("/readyz", summary="Its database answers (readiness probe)", **ready_doc)(readyz)
    # The old name, kept for scripts and monitors written against it; same answer as /readyz.
    app.get("/health", summary="Same as /readyz (older name)", deprecated=True, **ready_doc)(readyz)

    @app.get("/metrics", tags=["ops"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def database_check(pool) -> HealthCheck:
    async def check() -> tuple[bool, str]:
        await pool.fetchval("SELECT 1")
        return True, "reachable"

    return check
