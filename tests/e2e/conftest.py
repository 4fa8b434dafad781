"""The three services as separate processes, on the test profile's Kafka and PostgreSQL."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SHIFT = int(os.environ.get("DVC_TEST_PORT_SHIFT", "0"))  # see deploy/local/servers.py
PORTS = {"intake": 18101 + SHIFT, "resolution": 18102 + SHIFT, "stats": 18103 + SHIFT}


@pytest.fixture(scope="session")
def services(endpoints, tmp_path_factory):
    logs = tmp_path_factory.mktemp("service-logs")
    procs = {}
    for name, port in PORTS.items():
        log = open(logs / f"{name}.log", "w")
        procs[name] = (subprocess.Popen([sys.executable, "-m", f"services.{name}"], cwd=REPO,
                                        env={**os.environ, **endpoints, f"{name.upper()}_PORT": str(port),
                                             "RESOLUTION_URL": f"http://127.0.0.1:{PORTS['resolution']}"},
                                        stdout=log, stderr=subprocess.STDOUT), log)
    try:
        deadline = time.monotonic() + 90
        for name, port in PORTS.items():
            while True:
                proc = procs[name][0]
                assert proc.poll() is None, f"{name} exited: {(logs / f'{name}.log').read_text()[-3000:]}"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{name} not healthy: {(logs / f'{name}.log').read_text()[-3000:]}"
                time.sleep(0.2)
        yield {name: f"http://127.0.0.1:{port}" for name, port in PORTS.items()}
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, (proc, log) in procs.items():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"{name} did not stop within 30 s of SIGTERM")
            finally:
                log.close()
