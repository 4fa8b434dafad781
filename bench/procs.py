"""Processes and databases the benchmarks start: the services, workers, fresh databases."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import asyncpg

from bench.measure import say
from deploy.local import kafka_access
from deploy.local.servers import admin_url
from shared import db as shared_db

REPO = Path(__file__).resolve().parents[1]
LOGS = REPO / ".local" / "bench" / "logs"


def peak_rss_mb(pid: int) -> float | None:
    """The kernel's high-water mark of the process's resident memory (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """The processes `pid` started (e.g. the rebuild's workers)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Service:
    """One service as `python -m services.<name>` on its own port, logging to a file."""

    def __init__(self, name: str, port: int, env: dict[str, str]):
        self.name, self.port = name, port
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log_path = LOGS / f"{name}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 - the process writes it as long as it runs
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=REPO,
            env={
                **os.environ,
                **env,
                **kafka_access.service_env(name, {**os.environ, **env}),  # its own Kafka principal
                f"{name.upper()}_PORT": str(port),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.peak_mb: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited during start-up; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy after {timeout:.0f} s; see {self.log_path}")
            time.sleep(0.3)

    def sample_memory(self) -> float | None:
        peak = peak_rss_mb(self.proc.pid)
        if peak is not None:
            self.peak_mb = max(self.peak_mb or 0.0, peak)
        return self.peak_mb

    def stop(self, timeout: float = 30) -> None:
        self.sample_memory()  # the high-water mark is gone once the process exits
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                say(f"{self.name} did not stop in {timeout:.0f} s; killing it")
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def start_services(names_ports: dict[str, int], env: dict[str, str]) -> dict[str, Service]:
    services = {name: Service(name, port, env) for name, port in names_ports.items()}
    try:
        for s in services.values():
            s.wait_healthy()
    except BaseException:
        for s in services.values():
            s.stop()
        raise
    return services


def run_worker(module: str, args: list[str], env: dict[str, str], timeout: float) -> dict:
    """`python -m bench.workers.<module>`: its last stdout line is its JSON result; its peak
    memory is read by the worker itself just before it exits."""
    proc = subprocess.run(
        [sys.executable, "-m", f"bench.workers.{module}", *args],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker {module} failed with code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def start_workers(module: str, args: list[list[str]], env: dict[str, str]) -> list[subprocess.Popen]:
    """Several `python -m bench.workers.<module>` running at once, one per argument list."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", f"bench.workers.{module}", *a],
            cwd=REPO,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]


def stop_workers(workers: list[subprocess.Popen], timeout: float = 60) -> list[dict]:
    """SIGTERM each, then their JSON results (the last stdout line)."""
    for w in workers:
        w.send_signal(signal.SIGTERM)
    try:
        outs = [w.communicate(timeout=timeout)[0] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    if failed := [w.returncode for w in workers if w.returncode != 0]:
        raise RuntimeError(f"workers failed with codes {failed}")
    return [json.loads(out.strip().splitlines()[-1]) for out in outs]


async def create_database(any_url: str, prefix: str) -> str:
    """A new empty database beside the one of `any_url`, made and used by the local server's role
    that may create databases (the services' roles may not); returns its URL."""
    base = admin_url(any_url).rsplit("/", 1)[0]
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{base}/{name}"


async def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(admin_url(url))
    try:
        await shared_db.drop_database(admin, name)
    finally:
        await admin.close()


async def drop_stale_databases(any_url: str) -> list[str]:
    """Databases an interrupted earlier run left on the bench server (all named bench_*)."""
    admin = await asyncpg.connect(admin_url(any_url))
    try:
        names = [
            r["datname"] for r in await admin.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'")
        ]
        for name in names:
            await shared_db.drop_database(admin, name)
    finally:
        await admin.close()
    return names
