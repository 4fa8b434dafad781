"""One trace from a clerk's request to every service that applies its event: intake's HTTP span,
the traceparent kept with the outbox row and sent as a Kafka header, the consumers' spans in
resolution and stats under it. The services are separate processes exporting over OTLP/HTTP to a
receiver the tests run (tests/e2e/conftest.py), as they would to a collector."""

from __future__ import annotations

import secrets

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from shared.events import LIFECYCLE_TOPIC
from tests.conftest import eventually
from tests.e2e.test_lifecycle_end_to_end import receive

pytestmark = pytest.mark.e2e


async def test_one_trace_spans_intake_outbox_kafka_and_both_consumers(services, otlp, staff):
    # The caller's own trace context, as a gateway would send it: intake's span must continue it.
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    receive(services, "counter", staff.auth("clerk"), headers={"traceparent": f"00-{trace_id}-{caller_span}-01"})

    def spans_of(service: str, kind: int, name: str) -> list:
        return [s for s in otlp.trace(trace_id) if (s.service, s.kind, s.name) == (service, kind, name)]

    [request] = await eventually(
        lambda: spans_of("intake", Span.SPAN_KIND_SERVER, "POST /api/v1/dossiers"),
        timeout=30,
        what="intake's span of the request",
    )
    assert request.parent_span_id == caller_span

    def consumers() -> dict[str, list] | None:
        found = {
            name: spans_of(name, Span.SPAN_KIND_CONSUMER, f"{LIFECYCLE_TOPIC} process")
            for name in ("intake", "resolution", "stats")  # intake's own tracking consumer too
        }
        return found if all(found.values()) else None

    found = await eventually(consumers, timeout=30, what=f"the consumers' spans in trace {trace_id}")
    for name, spans in found.items():
        # Children of the request's span: the outbox row carried its context, not a new trace.
        assert {s.parent_span_id for s in spans} == {request.span_id}, (name, spans, request)
