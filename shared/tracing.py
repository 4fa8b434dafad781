"""Traces: OpenTelemetry spans from an HTTP request through the outbox and Kafka to each consumer.

The W3C `traceparent` of the request's span is stored with the outbox row, sent as a Kafka header
by the relay, and the consumers start their spans under it: one trace across the services. Spans
are exported over OTLP/HTTP when an endpoint is set; without one the API's no-op tracer costs
next to nothing and no `traceparent` is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

log = logging.getLogger(__name__)
tracer = trace.get_tracer("dvc")
EXPORT_TIMEOUT_S = 3.0


def configure_tracing(service: str, instance: str, endpoint: str) -> TracerProvider | None:
    """Export this process's spans to `endpoint` (OTLP/HTTP base URL); None when it is empty."""
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=Resource.create({"service.name": service, "service.instance.id": instance}))
    # A short timeout: spans are best-effort, and the SDK exports the last ones at exit, which must
    # stay inside the shutdown bound (shared/runtime.py) with the collector unreachable.
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", timeout=EXPORT_TIMEOUT_S)
    provider.add_span_processor(BatchSpanProcessor(exporter, export_timeout_millis=int(EXPORT_TIMEOUT_S * 1000)))
    trace.set_tracer_provider(provider)
    log.info("traces exported to %s", endpoint)
    return provider


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, to store with an outbox row (None: no trace)."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_of_headers(headers: Iterable[tuple[str, bytes | str]] | None) -> otel_context.Context | None:
    """The trace context a Kafka record carries in its headers, or None when it carries none."""
    carrier = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in headers or ()}
    if "traceparent" not in carrier:
        return None
    return propagate.extract(carrier)
