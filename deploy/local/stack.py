"""`make run` and `make test`: the servers of `servers.py`, then the services or the tests.

    python -m deploy.local.stack run              start everything, print where, Ctrl-C stops all
    python -m deploy.local.stack test [ARGS...]   test profile up, pytest ARGS, servers down
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from deploy.local import servers

SERVICES = {"intake": 8001, "resolution": 8002, "stats": 8003}


def start_services(env: dict[str, str], ports: dict[str, int]) -> dict[str, subprocess.Popen]:
    procs = {}
    for name, port in ports.items():
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            env={**env, f"{name.upper()}_PORT": str(port)},
            start_new_session=True,  # Ctrl-C reaches only us; we stop the services in order
        )
    return procs


def wait_healthy(ports: dict[str, int], procs: dict[str, subprocess.Popen], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    pending = dict(ports)
    while pending:
        for name, port in list(pending.items()):
            if procs[name].poll() is not None:
                raise SystemExit(f"{name} exited with code {procs[name].returncode} during start-up")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        servers.say(f"{name}: healthy on :{port}")
                        del pending[name]
            except OSError:
                pass
        if pending and time.monotonic() > deadline:
            raise SystemExit(f"not healthy after {timeout:.0f} s: {', '.join(pending)}")
        time.sleep(0.5)


def stop_services(procs: dict[str, subprocess.Popen], timeout: float = 30) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for name, proc in procs.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            servers.say(f"{name} did not stop in {timeout:.0f} s; killing it")
            proc.kill()
            proc.wait()


BANNER = """
  Hồ sơ TTHC — the three services are running
  ─────────────────────────────────────────────
  intake      http://127.0.0.1:8001   (API docs: /docs, catalogue: /api/v1/procedures)
  resolution  http://127.0.0.1:8002   (API docs: /docs, worklist: /api/v1/cases)
  stats       http://127.0.0.1:8003   (API docs: /docs, live board: /api/v1/stats/live)
  Kafka       {kafka}
  PostgreSQL  {pg}

  Try:  curl -s :8001/api/v1/procedures | head -c 600
        curl -s -XPOST :8001/api/v1/dossiers -H 'content-type: application/json' \\
          -d '{{"procedure_code":"{proc}","channel":"counter","received_by":"canbo1",
               "applicant":{{"name":"Nguyễn Văn An","id_number":"001203004567"}}}}'
        curl -s :8003/api/v1/stats/live
  Ctrl-C stops everything.
"""


def run() -> int:
    endpoints = servers.up("run")
    env = {**os.environ, **endpoints.env()}
    procs = start_services(env, SERVICES)
    stopping = False

    def on_signal(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_healthy(SERVICES, procs)
        print(BANNER.format(kafka=endpoints.kafka_bootstrap, pg=endpoints.database_urls["intake"].rsplit("/", 1)[0],
                            proc=_first_procedure()), flush=True)
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    servers.say(f"{name} exited with code {proc.returncode}; stopping everything")
                    stopping = True
            time.sleep(0.5)
    finally:
        servers.say("stopping the services…")
        stop_services(procs)
        servers.down("run")
        servers.say("stopped.")
    return 0


def _first_procedure() -> str:
    import json
    with urllib.request.urlopen("http://127.0.0.1:8001/api/v1/procedures", timeout=5) as r:
        return json.load(r)["procedures"][0]["code"]


def test(pytest_args: list[str]) -> int:
    if os.environ.get("KEEP_SERVERS") != "1":
        # Every run starts from empty databases and topics, whatever an earlier run left.
        servers.down("test")
        shutil.rmtree(servers.PROFILES["test"].home, ignore_errors=True)
    endpoints = servers.up("test")
    env = {**os.environ, **endpoints.env(), "DVC_TEST_PROFILE": "test"}
    try:
        # pytest exits 5 when no test ran: that is a failure, and it is passed on as such.
        return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], env=env)
    finally:
        if os.environ.get("KEEP_SERVERS") != "1":
            servers.down("test")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
