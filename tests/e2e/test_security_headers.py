"""Every page and answer of the three services carries the browser protections: a
Content-Security-Policy without inline script, no framing, no type sniffing, HSTS over TLS; and
each page runs in a real Chromium under that policy without a single violation."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.e2e
PAGES = {"intake": ["/portal", "/counter"], "resolution": ["/desk"], "stats": ["/dashboard", "/leaders"]}


def _script_src(policy: str) -> str:
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("script-src"))


@pytest.mark.parametrize("service", sorted(PAGES))
def test_pages_and_answers_carry_the_policy(services, service):
    base = services[service]
    for path in [*PAGES[service], "/api/v1/session"]:
        r = httpx.get(base + path, timeout=10)
        policy = r.headers["content-security-policy"]
        assert _script_src(policy) == "script-src 'self'", (path, policy)
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in r.headers, "plain HTTP: no HSTS"
    # Behind a TLS-terminating proxy (uvicorn trusts the forwarded scheme from the loopback):
    tls = httpx.get(base + PAGES[service][0], headers={"X-Forwarded-Proto": "https"}, timeout=10)
    assert tls.headers["strict-transport-security"].startswith("max-age=31536000")


def test_every_page_runs_in_chromium_without_a_policy_violation(services, browser):
    for service, paths in PAGES.items():
        for path in paths:
            browser.get(services[service] + path)
            browser.execute_script("return document.readyState")  # the page's scripts have run
            violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
            assert not violations, (service, path, violations)
