"""The local stand-ins of the notifier's outside systems (deploy/local/mail.py, sms_gateway.py) as
processes a test may stop and start again, and what they received."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import REPO


class StandIn:
    def __init__(self, module: str, args: list[str], probe: str, logs: Path):
        self.module, self.args, self.probe, self.logs = module, args, probe, logs
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        with open(self.logs / f"{self.module.rsplit('.', 1)[-1]}.log", "a") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", self.module, *self.args], cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, f"{self.module} exited with {self.proc.returncode}"
            try:
                if httpx.get(self.probe, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{self.module} not up in {timeout} s"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Mail(StandIn):
    def __init__(self, smtp_port: int, http_port: int, folder: Path, logs: Path):
        self.smtp_port, self.url = smtp_port, f"http://127.0.0.1:{http_port}"
        args = ["--smtp-port", str(smtp_port), "--http-port", str(http_port), "--dir", str(folder)]
        super().__init__("deploy.local.mail", args, f"{self.url}/api/messages", logs)

    def messages(self, to: str | None = None) -> list[dict]:
        found = httpx.get(f"{self.url}/api/messages", timeout=5).json()
        return [m for m in found if to is None or m["to"] == to]

    def repeats(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/api/repeats", timeout=5).json()


class Sms(StandIn):
    def __init__(self, port: int, folder: Path, logs: Path):
        self.url = f"http://127.0.0.1:{port}"
        super().__init__(
            "deploy.local.sms_gateway", ["--port", str(port), "--dir", str(folder)], f"{self.url}/api/messages", logs
        )

    def messages(self, phone: str | None = None) -> list[dict]:
        found = httpx.get(f"{self.url}/api/messages", timeout=5).json()
        return [m for m in found if phone is None or m["Phone"] == phone]

    def repeats(self) -> dict[str, int]:
        return httpx.get(f"{self.url}/api/repeats", timeout=5).json()


class PaymentGateway(StandIn):
    """deploy/local/payment_gateway.py on `port`, calling intake's IPN at `ipn_url`."""

    def __init__(self, port: int, tmn_code: str, secret: str, ipn_url: str, logs: Path):
        self.url = f"http://127.0.0.1:{port}"
        args = ["--port", str(port), "--tmn-code", tmn_code, "--hash-secret", secret, "--ipn-url", ipn_url]
        super().__init__("deploy.local.payment_gateway", args, f"{self.url}/health", logs)

    def ipn_calls(self) -> list[dict]:
        return httpx.get(f"{self.url}/api/ipn-calls", timeout=5).json()
