"""The image's recipe, without a container engine: the project's wheel, installed with the locked
dependencies into a fresh virtualenv outside the checkout, starts each service by the command the
Dockerfile runs, against the test profile's PostgreSQL and Kafka, until it answers HTTP.

Each one joins its service's consumer groups as a second instance of that service, on the same
database, as a rolling update would.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from deploy.local import kafka_access

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "resolution", "stats")


def dockerfile_command() -> list[str]:
    """The final stage's CMD (exec form)."""
    commands = re.findall(r"^CMD\s+(\[.*\])\s*$", (REPO / "Dockerfile").read_text(), re.MULTILINE)
    assert commands, "the Dockerfile has no CMD in exec form"
    return json.loads(commands[-1])


def command_for(service: str) -> list[str]:
    command = dockerfile_command()
    assert "services.intake" in command, f"the image's default command should run intake: {command}"
    return [service if part == "services.intake" else part for part in command]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(cmd: list, **kwargs) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{' '.join(map(str, cmd))}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> tuple[Path, Path]:
    """(the wheel, the virtualenv's bin folder)."""
    root = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(root / "dist"), str(REPO)])
    [wheel] = (root / "dist").glob("dvc_dossiers-*.whl")
    run([sys.executable, "-m", "venv", str(root / "venv")])
    python = root / "venv" / "bin" / "python"
    uv = Path(sys.executable).parent / "uv"  # the dev lock has it; pip does the same, slower
    if uv.exists():
        install = [str(uv), "pip", "install", "--quiet", "--python", str(python)]
    else:
        install = [str(python), "-m", "pip", "install", "--quiet"]
    run([*install, "--require-hashes", "-r", str(REPO / "requirements.lock")])
    run([*install, "--no-deps", str(wheel)])
    return wheel, python.parent


def test_wheel_carries_every_file_the_services_read(wheel_venv):
    wheel, _ = wheel_venv
    tracked = subprocess.run(
        ["git", "ls-files", "services", "shared"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    data = {f for f in tracked if not f.endswith(".py")}
    assert data, "no data files found: git ls-files changed?"
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert sorted(data - inside) == []
    assert not any(n.startswith(("tests/", "bench/")) for n in inside)


def test_each_service_starts_from_the_installed_wheel(wheel_venv, endpoints, tmp_path):
    _, bin_dir = wheel_venv
    ports = {name: free_port() for name in SERVICES}
    env = {
        # Nothing of the checkout's environment: only what the image would set, and the servers.
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "HTTP_HOST": "127.0.0.1",
        "SESSION_SECRET": "wheel-test-session-secret-0123456789",
        "RESOLUTION_URL": f"http://127.0.0.1:{ports['resolution']}",
        **endpoints,
        **{f"{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    procs: dict[str, subprocess.Popen] = {}
    logs = {name: tmp_path / f"{name}.log" for name in SERVICES}
    try:
        for name in SERVICES:
            with open(logs[name], "wb") as log:
                procs[name] = subprocess.Popen(
                    command_for(f"services.{name}"),
                    cwd=tmp_path,
                    env={**env, **kafka_access.service_env(name, env)},  # its own Kafka principal
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        started = time.monotonic()
        answered: dict[str, float] = {}
        while len(answered) < len(SERVICES):
            for name in set(SERVICES) - set(answered):
                assert procs[name].poll() is None, f"{name} exited:\n{logs[name].read_text()[-3000:]}"
                try:
                    if httpx.get(f"http://127.0.0.1:{ports[name]}/livez", timeout=2).status_code == 200:
                        answered[name] = time.monotonic() - started
                except httpx.HTTPError:
                    pass
            assert time.monotonic() - started < 120, f"not answering after 120 s: {set(SERVICES) - set(answered)}"
            time.sleep(0.3)
        for name in SERVICES:
            metrics = httpx.get(f"http://127.0.0.1:{ports[name]}/metrics", timeout=5, follow_redirects=True)
            assert metrics.status_code == 200 and "# TYPE " in metrics.text
        # Imported from the virtualenv, not from the checkout.
        where = subprocess.run(
            [str(bin_dir / "python"), "-c", "import services; print(services.__file__)"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert where.startswith(str(bin_dir.parent)) and "/site-packages/services/" in where, where
        print("answered after " + ", ".join(f"{n} {s:.1f} s" for n, s in sorted(answered.items())))
    finally:
        stopping = time.monotonic()
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                pytest.fail(f"{name} did not stop within 30 s of SIGTERM")
        print(f"all three stopped {time.monotonic() - stopping:.1f} s after SIGTERM")
