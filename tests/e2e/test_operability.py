"""What an operator's probes, scraper and log collector see of the running services: /livez and
/readyz, /metrics at that very path with the agreed metrics and sensible values, the request id
echoed, and JSON log lines that say who wrote them."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest

from shared.events import LIFECYCLE_TOPIC
from tests.conftest import eventually
from tests.e2e.signin import staff_credentials
from tests.e2e.test_lifecycle_end_to_end import receive
from tests.metrics import scrape

pytestmark = pytest.mark.e2e


def test_probes_answer_and_metrics_is_served_at_its_path(services):
    for name, url in services.items():
        assert httpx.get(f"{url}/livez", timeout=5).json() == {"ok": True, "detail": "alive"}
        ready = httpx.get(f"{url}/readyz", timeout=5)
        # Only the database decides: a consumer between partitions or Kafka away is no reason to leave service.
        assert ready.status_code == 200 and set(ready.json()["checks"]) == {"database"}, (name, ready.text)
        assert httpx.get(f"{url}/health", timeout=5).json() == ready.json()
        metrics = httpx.get(f"{url}/metrics", timeout=5, follow_redirects=False)
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain"), name


async def test_agreed_metrics_appear_with_sensible_values(services, request):
    tag = uuid.uuid4().hex[:8]
    auth = staff_credentials(request)
    code = (await asyncio.to_thread(receive, services, "counter", auth))["code"]
    async with httpx.AsyncClient(timeout=10, auth=auth) as client:
        assert (await client.get(f"{services['intake']}/api/v1/dossiers/{code}")).status_code == 200
        assert (await client.get(f"{services['intake']}/api/v1/dossiers/NO-SUCH-{tag}")).status_code == 404

    intake = scrape(services["intake"])
    assert (
        intake.value("http_requests_total", service="intake", route="/api/v1/dossiers", method="POST", status="201")
        >= 1
    )
    by_code = intake.values("http_requests_total", service="intake", route="/api/v1/dossiers/{code}", method="GET")
    assert sum(by_code) >= 2
    assert not any(code in route or tag in route for route in intake.labels("http_requests_total", "route"))
    assert (
        intake.value("http_request_duration_seconds_count", service="intake", route="/api/v1/dossiers", method="POST")
        >= 1
    )

    for name in services:
        s = scrape(services[name])
        assert s.value("db_pool_max_connections", service=name) == 10
        in_use, idle = (
            s.value("db_pool_connections", service=name, state="in_use"),
            s.value("db_pool_connections", service=name, state="idle"),
        )
        assert 0 <= in_use <= 10 and 0 <= idle <= 10 and 1 <= in_use + idle <= 10, (name, in_use, idle)
        assert s.value("kafka_consumer_assigned_partitions", service=name) >= 1, name
        assert s.values("faststream_received_messages_total") or s.values("faststream_received_messages_created")
        assert s.values("process_resident_memory_bytes"), name

    # The dossier's event reaches every consumer: its partition's lag is there, then back to 0.
    def caught_up(name: str) -> bool:
        lags = scrape(services[name]).values("kafka_consumer_lag", service=name, topic=LIFECYCLE_TOPIC)
        return bool(lags) and sum(lags) == 0

    for name in ("stats", "resolution"):
        await eventually(lambda name=name: caught_up(name), timeout=30, what=f"{name} lag at 0")

    for name in services:  # each publishes through an outbox (stats: its sign-outs only)

        def drained(name: str = name) -> bool:
            s = scrape(services[name])
            return (
                s.value("outbox_backlog_rows", service=name) == 0
                and s.value("outbox_oldest_age_seconds", service=name) == 0
            )

        await eventually(drained, timeout=30, what=f"{name} outbox empty")


def test_the_request_id_is_echoed_or_made(services):
    given = f"test-{uuid.uuid4().hex}"
    r = httpx.get(f"{services['intake']}/api/v1/procedures", headers={"X-Request-ID": given}, timeout=10)
    assert r.headers["x-request-id"] == given
    made = httpx.get(f"{services['intake']}/livez", headers={"X-Request-ID": "bad id; forged=1"}, timeout=5)
    assert made.headers["x-request-id"] != "bad id; forged=1" and len(made.headers["x-request-id"]) == 32


def test_service_logs_are_json_lines_saying_who_wrote_them(services, tmp_path_factory):
    logs = sorted(tmp_path_factory.getbasetemp().glob("service-logs*/*.log"))
    assert {p.stem for p in logs} >= set(services), logs
    for path in logs:
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert lines, f"{path} has no JSON line"
        assert all(
            {"time", "level", "logger", "message", "service", "instance", "correlation_id"} <= set(x) for x in lines
        )
        assert {x["service"] for x in lines} == {path.stem}
        assert any(x["message"] == f"{path.stem} started" for x in lines)
