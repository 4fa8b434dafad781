"""The HTTP edge's telemetry in-process: the request id reaches the JSON log lines written while
the request is handled and the response; requests are counted by route template; the operators'
paths can be kept to their networks. (The running services are checked in tests/e2e.)"""

from __future__ import annotations

import io
import json
import logging

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from shared.http import install_probes_and_metrics
from shared.http_telemetry import HttpTelemetry
from shared.logs import configure_logging
from shared.ops_access import OpsNetworksOnly, parse_networks
from tests.metrics import Scrape


def app_with(registry: CollectorRegistry, networks: str = "") -> FastAPI:
    app = FastAPI()
    install_probes_and_metrics(app, registry, {})

    @app.get("/api/things/{code}")
    async def thing(code: str) -> dict:
        logging.getLogger("test.thing").warning("looked up a thing")
        return {"code": code}

    if networks:
        app.add_middleware(OpsNetworksOnly, networks=parse_networks(networks))
    app.add_middleware(HttpTelemetry, service="intake", registry=registry)
    return app


@pytest.fixture
def log_lines():
    stream = io.StringIO()
    configure_logging("intake", "pod-7", "json")
    root = logging.getLogger()
    handler = root.handlers[0]
    handler.setStream(stream)  # type: ignore[attr-defined]
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


async def test_the_request_id_is_in_the_log_lines_of_its_request_and_in_the_answer(log_lines):
    app = app_with(CollectorRegistry())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        r = await client.get("/api/things/A-1", headers={"X-Request-ID": "req-42"})
    assert r.headers["x-request-id"] == "req-42"
    [line] = [x for x in log_lines() if x["logger"] == "test.thing"]
    assert line["correlation_id"] == "req-42" and line["level"] == "WARNING"
    assert line["service"] == "intake" and line["instance"] == "pod-7" and line["message"] == "looked up a thing"


async def test_requests_are_counted_by_route_template_not_by_path():
    registry = CollectorRegistry()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app_with(registry)), base_url="http://t") as c:
        for code in ("A-1", "B-2"):
            assert (await c.get(f"/api/things/{code}")).status_code == 200
        assert (await c.get("/nowhere")).status_code == 404
        text = (await c.get("/metrics")).text
    s = Scrape(text)
    assert s.value("http_requests_total", route="/api/things/{code}", method="GET", status="200") == 2
    assert s.value("http_requests_total", route="unmatched", status="404") == 1
    assert s.labels("http_requests_total", "route") == {"/api/things/{code}", "unmatched"}


async def test_metrics_and_docs_only_for_the_operators_networks():
    outside = app_with(CollectorRegistry(), networks="10.0.0.0/8")  # the test client is 127.0.0.1
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=outside), base_url="http://t") as c:
        refused = await c.get("/metrics")
        assert refused.status_code == 403 and " / " in refused.json()["error"]["message"]
        assert (await c.get("/openapi.json")).status_code == 403
        assert (await c.get("/api/things/A-1")).status_code == 200
        assert (await c.get("/readyz")).status_code == 200  # the probes are not the operators' to hide
    inside = app_with(CollectorRegistry(), networks="10.0.0.0/8, 127.0.0.0/8")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=inside), base_url="http://t") as c:
        assert (await c.get("/metrics")).status_code == 200


def test_a_malformed_network_is_refused_at_start_up(monkeypatch):
    from services.stats.settings import StatsSettings

    monkeypatch.setenv("OPS_ALLOWED_NETWORKS", "10.0.0.0/8,not-a-network")
    with pytest.raises(ValueError, match="not-a-network"):
        StatsSettings()
