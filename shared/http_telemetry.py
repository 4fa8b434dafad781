"""Every HTTP request counted, timed and traced per route template, with a correlation id.

The id is the caller's `X-Request-ID` when it looks like one (else a new one); it is in every log
line written while the request is handled and sent back in the response's `X-Request-ID`. The span
continues the caller's `traceparent` when there is one.
"""

from __future__ import annotations

import re
import time
import uuid

from opentelemetry import propagate
from opentelemetry.trace import SpanKind, Status, StatusCode, use_span
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import correlation_id
from shared.tracing import tracer

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")  # anything else is replaced (log injection, size)
UNTRACED = frozenset({"/livez", "/readyz", "/health", "/metrics"})  # probes and scrapes: counted, not traced
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


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
        traced = scope["path"] not in UNTRACED
        span = tracer.start_span(method, context=propagate.extract(headers), kind=SpanKind.SERVER) if traced else None
        try:
            if span is None:
                await self.app(scope, receive, send_with_id)
            else:
                with use_span(span, end_on_exit=False, record_exception=True, set_status_on_exception=True):
                    await self.app(scope, receive, send_with_id)
        finally:
            route = _route(scope)
            self.latency.labels(self.service, route, method).observe(time.perf_counter() - started)
            self.requests.labels(self.service, route, method, str(status)).inc()
            if span is not None:
                span.update_name(f"{method} {route}")
                span.set_attributes(
                    {"http.request.method": method, "http.route": route, "http.response.status_code": status}
                )
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
                span.end()
            correlation_id.reset(token)


def _route(scope: Scope) -> str:
    """The template the router matched (`/api/v1/dossiers/{code}`), never the raw path: a label per
    dossier code would grow without bound. Paths that matched nothing share one label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path or "unmatched"
