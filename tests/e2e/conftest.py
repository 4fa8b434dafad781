"""The three services as separate processes, on the test profile's Kafka and PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.otlp_receiver import OtlpReceiver
from tests.fleet import Fleet

REPO = Path(__file__).resolve().parents[2]
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))  # see deploy/local/servers.py
PORTS = {"intake": 18101 + SHIFT, "resolution": 18102 + SHIFT, "stats": 18103 + SHIFT}
# The local payment gateway (deploy/local/payment_gateway.py), started by the tests that pay.
GATEWAY_PORT = 18191 + SHIFT
GATEWAY = {"tmn_code": "DVCE2E", "secret": "e2e-payment-hash-secret"}
LIVE_STREAM_CAP = 12  # low, so a test can reach it cheaply (the default is 500)


@pytest.fixture(scope="session")
def otlp():
    """Where the services export their spans, as they would to a collector (tests/e2e/test_traces.py)."""
    with OtlpReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def services(endpoints, otlp, tmp_path_factory):
    # The services share their consumer groups with any other instance on the test profile, so the
    # traced ones must be these: a second traced fleet could see its events applied by this one.
    env = {
        **endpoints,
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "STATS_LIVE_STREAM_MAX_LISTENERS": str(LIVE_STREAM_CAP),
        # Every test calls from 127.0.0.1 and many try wrong credentials on purpose: the per-address
        # limits would lock the whole suite out (tests/integration/test_auth_http.py and
        # test_staff_access.py prove them).
        "SIGN_IN_ADDRESS_FAILURES": "100000",
        "INTAKE_CITIZEN_ADDRESS_FAILURES": "100000",
        "INTAKE_PAYMENT_GATEWAY_URL": f"http://127.0.0.1:{GATEWAY_PORT}/paymentv2/vpcpay.html",
        "INTAKE_PAYMENT_TMN_CODE": GATEWAY["tmn_code"],
        "INTAKE_PAYMENT_HASH_SECRET": GATEWAY["secret"],
    }
    fleet = Fleet(PORTS, env, tmp_path_factory.mktemp("service-logs"))
    try:
        for name in PORTS:
            fleet.start(name)
        for name in PORTS:
            fleet.wait_healthy(name, timeout=90)
        yield {name: fleet.url(name) for name in PORTS}
    finally:
        fleet.stop_all(30)


@pytest.fixture
def browser():
    """A fresh headless Chromium per test (its own cookies), closed afterwards."""
    from tests.e2e.browser import start_browser

    driver = start_browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed page test leaves its screen and the browser's console in test-artifacts/."""
    outcome = yield
    report = outcome.get_result()
    from selenium.webdriver.remote.webdriver import WebDriver

    driver = next((v for v in getattr(item, "funcargs", {}).values() if isinstance(v, WebDriver)), None)
    if report.when == "call" and report.failed and driver is not None:
        from tests.e2e.browser import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        try:
            driver.save_screenshot(str(ARTIFACTS / f"FAILED-{item.name}.png"))
            logs = "\n".join(str(e) for e in driver.get_log("browser"))
            (ARTIFACTS / f"FAILED-{item.name}.txt").write_text(f"{driver.current_url}\n{logs}\n\n{driver.page_source}")
        except Exception as exc:  # the report matters more than the extras
            report.sections.append(("browser", f"could not save the screen: {exc}"))
