"""Every HTTP request counted and timed per route template, with a correlation id.

The id is the caller's `X-Request-ID` when it looks like one (else a new one); it is in every log
line written while the request is handled and sent back in the response's `X-Request-ID`. The
request's span is FastAPI's own (`telemetry`, below), which continues the caller's `traceparent`.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import correlation_id

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # anything else is replaced (log injection, size)
UNTRACED = frozenset({"/livez", "/readyz", "/health", "/metrics"})  # probes and scrapes: counted, not traced
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED


# FastAPI's native OpenTelemetry: a server span per request named by its route template, under the
# caller's traceparent; exported only when shared/tracing.py installed a provider. Its metrics are
# off (Prometheus counts, below), and so are its log records: they would carry rejected input,
# which may be personal. No spans per dependency: one per request is what an operator follows.
TELEMETRY: TelemetryConfig = {
    "tracing": True,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "exclude": _untraced,
}


class HttpTelemetry:
    def __init__(self, app: ASGIApp, service: str, registry: CollectorRegistry):
        self.app, self.service = app, service
        self.requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template and status",
            ["service", "route", "method", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            ["service", "route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = correlation_id.set(request_id)
        method, status = scope["method"], 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = _route(scope)
            self.latency.labels(self.service, route, method).observe(time.perf_counter() - started)
            self.requests.labels(self.service, route, method, str(status)).inc()
            correlation_id.reset(token)


def _route(scope: Scope) -> str:
    """The template the router matched (`/api/v1/dossiers/{code}`), never the raw path: a label per
    dossier code would grow without bound. Paths that matched nothing share one label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path or "unmatched"
