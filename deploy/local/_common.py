"""Small helpers shared by the local server launcher (servers.py, kafka_broker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[2]


def say(message: str) -> None:
    """A progress line on stderr (stdout is kept for `export` lines)."""
    print(message, file=sys.stderr, flush=True)


def run_coro(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine from sync code, even when called inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(max_workers=1) as pool:  # private loop in a worker thread
        return pool.submit(asyncio.run, coro).result()


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock between processes (e.g. two test runs starting the same profile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def log_tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text[-lines:])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def pid_alive(pid: int) -> bool:
    """True if the process exists and is not a zombie (reaps it if it is our child)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our child, and it just got reaped
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def pid_cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def apt_install(*packages: str) -> None:
    """Install Debian packages non-interactively (fresh CI machines run as root)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise RuntimeError(f"missing {', '.join(packages)}: install it (Debian: apt-get install {' '.join(packages)})")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    retries = ["-o", "Acquire::Retries=5"]  # a mirror that drops one request must not fail a fresh machine's set-up
    # Output to stderr: stdout of the CLI carries the `export` lines.
    for cmd in (
        ["apt-get", *retries, "update"],
        ["apt-get", *retries, "install", "-y", "--no-install-recommends", *packages],
    ):
        subprocess.run(cmd, check=True, env=env, stdout=sys.stderr, stdin=subprocess.DEVNULL)
