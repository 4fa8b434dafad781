"""Which routes answer without credentials is an explicit list, checked against the OpenAPI of
all three running services: every other operation answers an anonymous caller 401, and every
listed one really is open (so the list stays exact when routes come and go)."""

from __future__ import annotations

import re

import httpx
import pytest

pytestmark = pytest.mark.e2e
SIGN_IN = {"POST /api/v1/session", "DELETE /api/v1/session"}
# Open unless OPS_ALLOWED_NETWORKS limits them to the operators (tests/unit/test_http_telemetry.py).
PROBES = {"GET /health", "GET /livez", "GET /readyz", "GET /metrics"}
PUBLIC = {
    "intake": PROBES
    | SIGN_IN
    | {
        "GET /api/v1/procedures",
        "POST /api/v1/dossiers",  # online submission; counter and post need a clerk (checked in the handler)
        # the citizen's own dossier: the code, the ID number and the slip's secret (citizen_guard)
        "POST /api/v1/dossiers/{code}/track",
        "POST /api/v1/dossiers/{code}/withdraw",
        "POST /api/v1/dossiers/{code}/rating",
        "POST /api/v1/dossiers/{code}/result",  # the electronic result (issue 15), behind the same door
        "POST /api/v1/uploads/{code}",
        "POST /api/v1/uploads/{code}/supplement",
        "POST /api/v1/dossiers/{code}/payment",  # the fee, online (issue 15): same three checks
        # the payment gateway's server-to-server callback: its HMAC signature is the check
        "GET /api/v1/payment/ipn",
    },
    "resolution": PROBES | SIGN_IN,
    # The published figures: counts per agency, procedure and channel, no personal data.
    "stats": PROBES
    | SIGN_IN
    | {
        f"GET /api/v1/stats/{name}"
        for name in (
            "live",
            "live/groups",
            "live/stream",
            "daily",
            "overdue",
            "report",
            "quality",
            "staffing",
            "online",
        )
    },
}


def _operations(base: str) -> set[str]:
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    return {f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method in ops}


def _anonymous(base: str, operation: str) -> int:
    method, path = operation.split(" ", 1)
    url = base + re.sub(r"\{[^}]+\}", "1", path)
    if path.endswith("/stream"):
        with httpx.stream(method, url, timeout=10) as r:
            return r.status_code
    return httpx.request(method, url, json={} if method in ("POST", "PUT") else None, timeout=30).status_code


@pytest.mark.parametrize("service", sorted(PUBLIC))
def test_only_the_listed_routes_answer_without_credentials(services, service):
    base = services[service]
    operations = _operations(base)
    assert operations, "the OpenAPI lists the routes"
    listed = {op for op in PUBLIC[service] if op in operations}
    assert listed >= PUBLIC[service] - PROBES, f"listed but gone: {PUBLIC[service] - PROBES - operations}"
    answers = {op: _anonymous(base, op) for op in sorted(operations)}
    closed_but_open = {op: code for op, code in answers.items() if op not in listed and code != 401}
    assert not closed_but_open, f"{service}: not on the public list, yet answered anonymously: {closed_but_open}"
    open_but_closed = {op: code for op, code in answers.items() if op in listed and code == 401}
    assert not open_but_closed, f"{service}: on the public list but asks for credentials: {open_but_closed}"
