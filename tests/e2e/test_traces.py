"""One trace from a clerk's request to every service that applies its event: intake's HTTP span,
the traceparent kept with the outbox row and sent as a Kafka header, the consumers' spans in
resolution and stats under it. The services are separate processes exporting over OTLP/HTTP to a
receiver the test runs, as they would to a collector."""

from __future__ import annotations

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from shared.events import LIFECYCLE_TOPIC
from tests.conftest import eventually
from tests.e2e.conftest import SHIFT
from tests.e2e.otlp_receiver import OtlpReceiver
from tests.e2e.test_lifecycle_end_to_end import receive
from tests.fleet import Fleet

pytestmark = pytest.mark.e2e
PORTS = {"intake": 18191 + SHIFT, "resolution": 18192 + SHIFT, "stats": 18193 + SHIFT}


async def test_one_trace_spans_intake_outbox_kafka_and_both_consumers(endpoints, staff, tmp_path):
    with OtlpReceiver() as receiver:
        fleet = Fleet(
            PORTS,
            {**endpoints, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "200"},
            tmp_path,
        )
        try:
            for name in PORTS:
                fleet.start(name)
            for name in PORTS:
                fleet.wait_healthy(name, timeout=90)
            receive({"intake": fleet.url("intake")}, "counter", staff.auth("clerk"))

            def request_span():
                return next(
                    (
                        s
                        for s in receiver.spans
                        if s.service == "intake"
                        and s.name == "POST /api/v1/dossiers"
                        and s.kind == Span.SPAN_KIND_SERVER
                    ),
                    None,
                )

            root = await eventually(request_span, timeout=30, what="intake's span of the request")

            def consumers() -> dict[str, list] | None:
                spans = receiver.trace(root.trace_id)
                found = {
                    name: [
                        s
                        for s in spans
                        if s.service == name
                        and s.kind == Span.SPAN_KIND_CONSUMER
                        and s.name == f"{LIFECYCLE_TOPIC} process"
                    ]
                    for name in ("resolution", "stats")
                }
                return found if all(found.values()) else None

            try:
                found = await eventually(consumers, timeout=30, what="resolution's and stats' spans in the trace")
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc}; root {root}; received: {[x for x in receiver.spans if x.kind != 2]}"
                ) from None
            for name, spans in found.items():
                # Children of the request's span: the outbox row carried its context, not a new trace.
                assert {s.parent_span_id for s in spans} == {root.span_id}, (name, spans, root)
            assert {s.service for s in receiver.trace(root.trace_id)} >= {"intake", "resolution", "stats"}
        finally:
            fleet.stop_all(30)
