"""`make run` and `make test`: the servers of `servers.py`, then the services or the tests.

python -m deploy.local.stack run              start everything, print where, Ctrl-C stops all
python -m deploy.local.stack test [ARGS...]   test profile up, pytest ARGS, servers down
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

from deploy import users
from deploy.local import kafka_access, servers
from deploy.local._common import REPO_ROOT
from deploy.settings import ToolSettings
from shared.settings import PORTS

SERVICES = PORTS  # where make run serves each service


# --- notifier's stand-ins (make run): a local SMTP server with a mailbox page, an SMS gateway --------
MAILBOX_URL = "http://127.0.0.1:8027"
STANDINS = {
    "mail": (["-m", "deploy.local.mail", "--dir", str(REPO_ROOT / ".local" / "run" / "mail")], MAILBOX_URL),
    "sms gateway": (
        ["-m", "deploy.local.sms_gateway", "--dir", str(REPO_ROOT / ".local" / "run" / "sms")],
        "http://127.0.0.1:8026",
    ),
}


def start_standins() -> dict[str, subprocess.Popen]:
    """The notifier's outside systems, played locally (deploy/local/mail.py, sms_gateway.py)."""
    procs = {
        name: subprocess.Popen([sys.executable, *args], start_new_session=True) for name, (args, _) in STANDINS.items()
    }
    deadline = time.monotonic() + 30
    for name, (_, url) in STANDINS.items():
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/messages", timeout=2):
                    servers.say(f"{name}: ready on {url}")
                    break
            except OSError:
                if procs[name].poll() is not None or time.monotonic() > deadline:
                    stop_services(procs, 10)
                    servers.down("run")
                    raise SystemExit(f"{name} stand-in did not start (is its port taken?)") from None
                time.sleep(0.2)
    return procs


def start_services(env: dict[str, str], ports: dict[str, int]) -> dict[str, subprocess.Popen]:
    procs = {}
    for name, port in ports.items():
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            # Each service as its own Kafka principal, allowed only what it does.
            env={**env, **kafka_access.service_env(name, env), f"{name.upper()}_PORT": str(port)},
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
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        servers.say(f"{name}: ready on :{port}")
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


# --- the national portal's stand-in (issue 15): portal_sync calls it, its calls are printed ---
PORTAL_STANDIN_PORT = 8090


def start_portal_standin(env: dict[str, str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """The stand-in (deploy/local/portal_standin.py) and the settings that point portal_sync at it,
    unless the environment names a real portal already (PORTAL_SYNC_PORTAL_URL)."""
    from deploy.local import portal_standin
    from shared.auth.sessions import load_secret

    token = load_secret(None, portal_standin.TOKEN_FILE).decode()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.local.portal_standin", "--port", str(PORTAL_STANDIN_PORT)],
        env=env,
        start_new_session=True,
    )
    return proc, {
        "PORTAL_SYNC_PORTAL_URL": f"http://127.0.0.1:{PORTAL_STANDIN_PORT}",
        "PORTAL_SYNC_PORTAL_TOKEN": token,
    }


# --- the payment gateway's stand-in (issue 15): intake sends citizens to it, it calls intake's IPN ---
PAYMENT_GATEWAY_PORT = 8091


def start_payment_gateway(env: dict[str, str]) -> tuple[subprocess.Popen, dict[str, str]]:
    """The stand-in (deploy/local/payment_gateway.py) and the settings that point intake at it, with
    the merchant code and hash secret both sides sign with."""
    tmn, secret = "DVCLOCAL", "local-payment-secret"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "deploy.local.payment_gateway", "--port", str(PAYMENT_GATEWAY_PORT)),
            *("--tmn-code", tmn, "--hash-secret", secret),
            *("--ipn-url", f"http://127.0.0.1:{SERVICES['intake']}/api/v1/payment/ipn"),
        ],
        env=env,
        start_new_session=True,
    )
    return proc, {
        "INTAKE_PAYMENT_GATEWAY_URL": f"http://127.0.0.1:{PAYMENT_GATEWAY_PORT}/paymentv2/vpcpay.html",
        "INTAKE_PAYMENT_TMN_CODE": tmn,
        "INTAKE_PAYMENT_HASH_SECRET": secret,
    }


BANNER = """
  Hồ sơ TTHC — the services are running
  ─────────────────────────────────────────────
  intake      http://127.0.0.1:8001   (API docs: /docs, catalogue: /api/v1/procedures)
  resolution  http://127.0.0.1:8002   (API docs: /docs, worklist: /api/v1/cases)
  stats       http://127.0.0.1:8003   (API docs: /docs, live board: /api/v1/stats/live)
  notifier    http://127.0.0.1:8004   (e-mail and SMS to citizens; dead letters: make notify-dlt)
  Mailbox     http://127.0.0.1:8027   (what the local SMTP server received: make mail)
  portal_sync http://127.0.0.1:8005   (national-portal connector: /api/v1/portal/backlog; the
              stand-in portal on :8090 prints every call it receives)
  Payments    http://127.0.0.1:8091   (stand-in gateway, VNPAY 2.1-style: the portal's "Thanh toán
              trực tuyến" goes there; it calls intake's IPN, signed with the local hash secret)

  Screens     counter desk  http://127.0.0.1:8001/counter   (clerk)
              citizen portal http://127.0.0.1:8001/portal   (public)
              officer desk  http://127.0.0.1:8002/desk      (officer, leader)
              dashboard     http://127.0.0.1:8003/dashboard (public, aggregates only)
  Kafka       {kafka}  (SASL/SCRAM-SHA-512: a principal per service, tools as `admin`;
              passwords in .local/kafka-secret, `servers up` exports the tools' settings)
  PostgreSQL  {pg}

  Demo staff accounts (make user ROLE=... USERNAME=... AGENCY=... adds more):
{accounts}

  Try:  curl -s http://127.0.0.1:8001/api/v1/procedures | head -c 600
        curl -s -u {clerk} -XPOST http://127.0.0.1:8001/api/v1/dossiers -H 'content-type: application/json' \\
          -d '{{"procedure_code":"{proc}","agency_id":"{agency}","channel":"counter",
               "applicant":{{"name":"Nguyễn Văn An","id_number":"001203004567",
                             "email":"an@example.vn","notify":["email"]}}}}'
        curl -s -u {officer} 'http://127.0.0.1:8002/api/v1/cases?status=2'
        curl -s http://127.0.0.1:8003/api/v1/stats/live
        make mail      # the acceptance e-mail, a second later
  Ctrl-C stops everything.
"""


def _database_place(url: str) -> str:
    """Where the databases are, without the password: locally each service has its role
    (<svc>_app, its tables' owner <svc>_owner), whose passwords are in .local/postgres-passwords/."""
    place = url.rsplit("@", 1)[-1].rsplit("/", 1)[0]
    if place.startswith("127.0.0.1") and servers.PASSWORDS.is_dir():
        return f"{place}  (roles <service>_app, owners <service>_owner; passwords in {servers.PASSWORDS})"
    return place


def _want_demo_accounts() -> bool:
    """Demo accounts (printed passwords) only on the local databases, unless DEMO_ACCOUNTS=1."""
    tools = ToolSettings()
    if tools.demo_accounts is not None:
        return tools.demo_accounts
    return not all(tools.database_urls().values())


def _accounts_table(demo) -> str:
    if not demo:
        return "    (none created: the databases are not local; DEMO_ACCOUNTS=1 creates them)"
    return "\n".join(
        f"    {a.role.value:<8} {a.username:<24} {password:<14} {a.agency_id or '(all agencies)'}"
        for a, password in demo
    )


def run() -> int:
    endpoints = servers.up("run")
    env = {**os.environ, **endpoints.env()}
    demo = []
    if _want_demo_accounts():
        demo = asyncio.run(
            users.ensure_demo(
                endpoints.database_urls | endpoints.migration_urls,  # the owners: staff tables may not exist yet
                servers.PROFILES["run"].home / "demo-accounts.json",
            )
        )
    standins = start_standins()
    standin = None
    if "PORTAL_SYNC_PORTAL_URL" not in env:
        standin, portal_env = start_portal_standin(env)
        env.update(portal_env)
    gateway = None
    if "INTAKE_PAYMENT_GATEWAY_URL" not in env:
        gateway, payment_env = start_payment_gateway(env)
        env.update(payment_env)
    procs = start_services(env, SERVICES)
    if standin is not None:
        procs["portal stand-in"] = standin  # watched and stopped with the services
    if gateway is not None:
        procs["payment gateway"] = gateway
    stopping = False

    def on_signal(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        wait_healthy(SERVICES, {name: procs[name] for name in SERVICES})
        proc = _first_procedure()
        clerk = next((f"{a.username}:{p}" for a, p in demo if a.role == "clerk"), "USER:PASSWORD")
        officer = next(
            (f"{a.username}:{p}" for a, p in demo if a.role == "officer" and a.agency_id == proc[1]), "USER:PASSWORD"
        )
        print(
            BANNER.format(
                kafka=endpoints.kafka_bootstrap,
                pg=_database_place(endpoints.database_urls["intake"]),
                proc=proc[0],
                agency=proc[1],
                accounts=_accounts_table(demo),
                clerk=clerk,
                officer=officer,
            ),
            flush=True,
        )
        while not stopping:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    servers.say(f"{name} exited with code {proc.returncode}; stopping everything")
                    stopping = True
            time.sleep(0.5)
    finally:
        servers.say("stopping the services…")
        stop_services(procs)
        stop_services(standins, 10)
        servers.down("run")
        servers.say("stopped.")
    return 0


def _first_procedure() -> tuple[str, str]:
    """(code, agency id) of the catalogue's first procedure, for the banner's examples."""
    import json

    with urllib.request.urlopen(f"http://127.0.0.1:{SERVICES['intake']}/api/v1/procedures", timeout=5) as r:
        first = json.load(r)["procedures"][0]
        # The catalogue names the agencies that perform a procedure (levels expanded into them).
        return first["code"], (first["agencies"] or [""])[0]


BROWSER = ("/usr/bin/chromium", "/usr/bin/chromedriver")


def ensure_browser() -> None:
    """The browser tests drive Debian's Chromium through its chromedriver; install both when
    missing (as root on a fresh machine: about a minute). Test tools' own browser downloads do
    not work offline, so none is used. Fonts with Vietnamese glyphs come with them."""
    if all(os.path.exists(p) for p in BROWSER):
        return
    from deploy.local._common import apt_install

    servers.say("Chromium for the browser tests: installing chromium, chromium-driver (apt-get)…")
    started = time.monotonic()
    apt_install("chromium", "chromium-driver", "fonts-liberation", "fonts-dejavu-core")
    servers.say(f"Chromium: installed in {time.monotonic() - started:.0f} s")


def test(pytest_args: list[str]) -> int:
    ensure_browser()
    keep = ToolSettings().keep_servers
    if not keep:
        # Every run starts from empty databases and topics, whatever an earlier run left.
        servers.down("test")
        shutil.rmtree(servers.PROFILES["test"].home, ignore_errors=True)
    endpoints = servers.up("test")
    env = {**os.environ, **endpoints.env(), "DVC_TEST_PROFILE": "test"}
    try:
        # pytest exits 5 when no test ran: that is a failure, and it is passed on as such.
        return _pytest_kept(pytest_args, env)
    finally:
        if not keep:
            servers.down("test")


ARTIFACTS = REPO_ROOT / "test-artifacts"


def _pytest_kept(pytest_args: list[str], env: dict[str, str]) -> int:
    """pytest, its whole output shown and kept in test-artifacts/run-<time>/pytest.log, with the
    services' logs of that run (pytest's temporary folders) and a JUnit report beside it, so a
    failure can be diagnosed without running it again. The summary of failures comes last."""
    run_dir = ARTIFACTS / time.strftime("run-%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "pytest.log"
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-rfE",
        f"--basetemp={run_dir / 'tmp'}",
        f"--junitxml={run_dir / 'junit.xml'}",
        *pytest_args,
    ]
    with (
        open(log_path, "wb") as log,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as proc,
    ):
        output = proc.stdout
        assert output is not None
        while chunk := output.read1(65536):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            log.write(chunk)
        code = proc.wait()
    servers.say(
        f"pytest exited with {code}; its whole output: {log_path.relative_to(REPO_ROOT)}, "
        f"the services' logs: {(run_dir / 'tmp').relative_to(REPO_ROOT)}/"
    )
    return code


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    return run() if argv[0] == "run" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
