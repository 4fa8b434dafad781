"""With the broker gone: intake stays ready and takes dossiers into its outbox, the outbox's
backlog and age (read from the table) keep rising for the alert, and a SIGTERM ends every service
well inside Kubernetes' grace period. The figures are printed at the end."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from deploy.local import kafka_broker, servers
from tests.conftest import eventually
from tests.e2e.test_lifecycle_end_to_end import receive
from tests.fleet import Fleet
from tests.metrics import scrape

pytestmark = pytest.mark.chaos
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))
PORTS = {"intake": 18181 + SHIFT, "resolution": 18182 + SHIFT, "stats": 18183 + SHIFT}
# What docs/observability.md promises: under the 25 s that leave room in a 30 s grace period.
SHUTDOWN_BOUND_S = 25.0
DOSSIERS = 3


def sigterm_all(fleet: Fleet) -> dict[str, float]:
    """SIGTERM to every service at once, as a node drain would; seconds until each exited."""
    started, exited = time.monotonic(), {}
    for proc in fleet.procs.values():
        proc.send_signal(signal.SIGTERM)
    while len(exited) < len(fleet.procs):
        for name, proc in fleet.procs.items():
            if name not in exited and proc.poll() is not None:
                exited[name] = round(time.monotonic() - started, 1)
        running = [n for n, p in fleet.procs.items() if p.poll() is None]
        assert time.monotonic() - started < SHUTDOWN_BOUND_S, (
            f"{running} still running {SHUTDOWN_BOUND_S:.0f} s after SIGTERM: {fleet.tail(running[0])}"
        )
        time.sleep(0.05)
    return {f"{name}_sigterm_to_exit_s": seconds for name, seconds in exited.items()}


@asynccontextmanager
async def running(endpoints: dict[str, str], logs: Path) -> AsyncIterator[Fleet]:
    """The three services, ready; stopped (or killed past the bound) on the way out."""
    fleet = Fleet(PORTS, dict(endpoints), logs)
    for name in PORTS:
        fleet.start(name)
    try:
        for name in PORTS:
            await asyncio.to_thread(fleet.wait_healthy, name)
        yield fleet
    finally:
        fleet.stop_all(SHUTDOWN_BOUND_S)


def outbox(fleet: Fleet) -> tuple[float, float]:
    s = scrape(fleet.url("intake"))
    return s.value("outbox_backlog_rows", service="intake"), s.value("outbox_oldest_age_seconds", service="intake")


async def test_outage_keeps_intake_ready_ages_its_outbox_and_shutdown_stays_bounded(endpoints, staff, tmp_path, capsys):
    figures: dict[str, float] = {}
    async with running(endpoints, tmp_path) as fleet:
        await asyncio.to_thread(servers.stop_kafka, "test")
        try:
            for _ in range(DOSSIERS):  # into the outbox: 201 with the broker gone
                await asyncio.to_thread(receive, {"intake": fleet.url("intake")}, "counter", staff.auth("leader"))

            def queued() -> tuple[float, float] | None:
                backlog, age = outbox(fleet)
                return (backlog, age) if backlog >= DOSSIERS and age > 0 else None

            backlog, age = await eventually(queued, timeout=30, what="the outbox backlog read from the table")
            later = await eventually(
                lambda: a if (a := outbox(fleet)[1]) >= age + 3 else None, timeout=30, what="outbox age rising"
            )
            figures.update(outbox_backlog_rows=backlog, outbox_oldest_age_seconds=round(later, 1))
            for name in PORTS:  # Kafka is no part of readiness: nobody is taken out of service
                ready = httpx.get(f"{fleet.url(name)}/readyz", timeout=5)
                assert ready.status_code == 200, (name, ready.text)

            # All three at once, as a node drain would: each must be gone within the bound.
            figures.update(await asyncio.to_thread(sigterm_all, fleet))
        finally:
            await asyncio.to_thread(servers.start_kafka, "test")
    with capsys.disabled():
        print("\nkafka outage figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))


async def test_with_kafka_and_postgresql_both_gone_readiness_fails_liveness_holds_and_shutdown_is_bounded(
    endpoints, tmp_path, capsys
):
    """The worst case for shutdown: every close has nobody to talk to. Readiness now fails (the
    database is what it checks), liveness does not (a restart would not bring the database back)."""
    figures: dict[str, float] = {}
    async with running(endpoints, tmp_path) as fleet:
        await asyncio.to_thread(servers.stop_kafka, "test")
        await asyncio.to_thread(servers.stop_postgres, "test", True)  # as a crash: no goodbye to clients
        try:
            for name in PORTS:
                await eventually(
                    lambda name=name: httpx.get(f"{fleet.url(name)}/readyz", timeout=10).status_code == 503,
                    timeout=30,
                    what=f"{name} not ready without its database",
                )
                assert httpx.get(f"{fleet.url(name)}/livez", timeout=5).status_code == 200, name
            figures.update(await asyncio.to_thread(sigterm_all, fleet))
        finally:
            await asyncio.to_thread(servers.start_postgres, "test")
            await asyncio.to_thread(servers.start_kafka, "test")
    with capsys.disabled():
        print("\nkafka and postgresql outage figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))


async def test_with_a_hung_broker_shutdown_is_still_bounded(endpoints, staff, tmp_path, capsys):
    """Harder than a broker that is gone: one that keeps its connections open and answers nothing
    (SIGSTOP), so every request to it waits for its timeout. Work is in flight: a dossier waits in
    the outbox while the relay's send hangs."""
    figures: dict[str, float] = {}
    async with running(endpoints, tmp_path) as fleet:
        pid = kafka_broker.running_pid(servers.PROFILES["test"].kafka_home)
        assert pid, "the test profile's broker is not running"
        os.kill(pid, signal.SIGSTOP)
        try:
            await asyncio.to_thread(receive, {"intake": fleet.url("intake")}, "counter", staff.auth("leader"))
            await eventually(lambda: outbox(fleet)[0] >= 1, timeout=30, what="the dossier waiting in the outbox")
            figures.update(await asyncio.to_thread(sigterm_all, fleet))
        finally:
            os.kill(pid, signal.SIGCONT)
    with capsys.disabled():
        print("\nhung broker figures: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.items())))
