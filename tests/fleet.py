"""The three services as processes that a test may kill and start again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.local import kafka_access

REPO = Path(__file__).resolve().parents[1]
CONSUMING = re.compile(r"^kafka_consumer_assigned_partitions\{[^}]*\} (\S+)$", re.MULTILINE)


class Fleet:
    def __init__(self, ports: dict[str, int], env: dict[str, str], logs: Path):
        self.ports, self.env, self.logs = ports, env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.kills, self.starts = 0, 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def start(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - handed to the process, closed below
        env = {
            **os.environ,
            **self.env,
            **kafka_access.service_env(name, {**os.environ, **self.env}),  # its own Kafka principal
            f"{name.upper()}_PORT": str(self.ports[name]),
            **({"RESOLUTION_URL": self.url("resolution")} if "resolution" in self.ports else {}),
        }
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.starts += 1

    def wait_healthy(self, name: str, timeout: float = 120.0) -> None:
        """Until the service is ready (/readyz) and each of its consumers holds partitions, so a
        test's events are applied without waiting for a group to form."""
        deadline = time.monotonic() + timeout
        while True:
            proc = self.procs[name]
            assert proc.poll() is None, f"{name} exited: {self.tail(name)}"
            try:
                if httpx.get(f"{self.url(name)}/readyz", timeout=2).status_code == 200 and self.consuming(name):
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{name} not healthy in {timeout} s: {self.tail(name)}"
            time.sleep(0.2)

    def consuming(self, name: str) -> bool:
        """Whether the service's consumers hold a partition (true of a service that has none)."""
        text = httpx.get(f"{self.url(name)}/metrics", timeout=2).text
        found = CONSUMING.search(text)
        return found is None or float(found.group(1)) > 0

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown hook runs, whatever was in flight is cut."""
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)
        self.kills += 1

    def stop_all(self, timeout: float = 30.0) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.procs.items():
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError(f"{name} did not stop within {timeout} s of SIGTERM") from None

    def tail(self, name: str, lines: int = 60) -> str:
        try:
            return "\n".join((self.logs / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"
