"""A single-node Apache Kafka broker (KRaft, broker+controller) assembled from Maven Central jars.

Used through deploy/local/servers.py. Layout of one broker home (e.g. .local/test/kafka/):
server.properties (rewritten on every start), cluster.id, data/ (log.dirs), kafka.log
(stdout+stderr of the JVM, previous run in kafka.log.1) and kafka.pid.
The jars live in ~/.cache/dvc-kafka/<version>/libs, copied once by Maven; the marker file
libs/.complete holds the pom's hash, so later starts never run Maven (nor touch the network).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

from ._common import (
    apt_install,
    file_lock,
    log_tail,
    pid_alive,
    pid_cmdline,
    port_open,
    run_coro,
    say,
)

KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
POM = KAFKA_DIR / "pom.xml"
LOG4J_CONFIG = KAFKA_DIR / "log4j2.properties"
READY_TIMEOUT = 60.0

DAY_MS = 24 * 60 * 60 * 1000
# name -> (partitions, topic configs)
TOPICS: dict[str, tuple[int, dict[str, str]]] = {
    "dossier.lifecycle.v1": (6, {"retention.ms": "-1", "retention.bytes": "-1"}),
    "dossier.requests.v1": (6, {"retention.ms": str(30 * DAY_MS)}),
    "dossier.lifecycle.v1.dlt": (1, {"retention.ms": "-1", "retention.bytes": "-1"}),
}
TOPIC_ALREADY_EXISTS = 36

_children: dict[int, subprocess.Popen] = {}  # brokers started by this process


# --- jars -------------------------------------------------------------------------------


def kafka_version() -> str:
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise RuntimeError(f"no <kafka.version> property in {POM}")
    return match.group(1).strip()


def ensure_jars() -> Path:
    """The folder with every jar of the broker; Maven copies them the first time only."""
    cache = Path.home() / ".cache" / "dvc-kafka" / kafka_version()
    libs, marker = cache / "libs", cache / "libs" / ".complete"
    stamp = hashlib.sha256(POM.read_bytes()).hexdigest()
    if marker.is_file() and marker.read_text().strip() == stamp:
        return libs
    with file_lock(cache / ".lock"):
        if marker.is_file() and marker.read_text().strip() == stamp:
            return libs  # another process finished the copy meanwhile
        if not (shutil.which("mvn") and shutil.which("java")):
            say("Kafka: Java/Maven missing, installing them with apt…")
            apt_install("default-jre-headless", "maven")
        say("Kafka: downloading jars from Maven Central (first time only)…")
        started = time.monotonic()
        tmp = cache / f"libs.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        result = subprocess.run(
            # Maven retries a dropped download itself (three tries, each), so a flaky link is not a failed set-up.
            [
                "mvn",
                "-q",
                "-B",
                "-Dmaven.wagon.http.retryHandler.count=3",
                "-f",
                str(POM),
                "dependency:copy-dependencies",
                f"-DoutputDirectory={tmp}",
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        if result.returncode != 0 or not list(tmp.glob("kafka_2.13-*.jar")):
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"Kafka: copying the jars with Maven failed:\n{(result.stdout + result.stderr)[-3000:]}")
        shutil.rmtree(libs, ignore_errors=True)  # stale or partial copy of an older pom
        tmp.rename(libs)
        marker.write_text(stamp + "\n")
        say(f"Kafka: {len(list(libs.glob('*.jar')))} jars in {libs} ({time.monotonic() - started:.1f} s)")
    return libs


def _java(libs: Path, *args: str, heap: str = "256m") -> list[str]:
    return [
        "java",
        f"-Xmx{heap}",
        f"-Xms{heap}",
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
        "-cp",
        f"{libs}/*",
        *args,
    ]


# --- configuration and storage ---------------------------------------------------------------


def write_properties(home: Path, port: int, controller_port: int) -> Path:
    props = home / "server.properties"
    props.write_text(f"""\
# Written by deploy/local/servers.py on every start: edits here are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:{controller_port}
listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}
advertised.listeners=PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs={home / "data"}
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# After a SIGKILL the new incarnation cannot register until the old one's session expires
# (DUPLICATE_BROKER_REGISTRATION): 9 s by default, shorter here for restart tests.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
""")
    return props


def format_storage(home: Path, libs: Path, props: Path) -> None:
    """Format log.dirs once; the cluster id is kept in home/cluster.id and reused."""
    if (home / "data" / "meta.properties").is_file():
        return
    id_file = home / "cluster.id"
    if not id_file.is_file():
        out = subprocess.run(
            _java(libs, "kafka.tools.StorageTool", "random-uuid"), capture_output=True, text=True, check=True
        ).stdout
        id_file.write_text(out.strip().splitlines()[-1] + "\n")
    cluster_id = id_file.read_text().strip()
    say(f"Kafka: formatting {home / 'data'} (cluster id {cluster_id})…")
    result = subprocess.run(
        _java(
            libs,
            "kafka.tools.StorageTool",
            "format",
            "--standalone",
            "-t",
            cluster_id,
            "-c",
            str(props),
            "--ignore-formatted",
        ),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Kafka: formatting the storage failed:\n{result.stdout}{result.stderr}")


# --- process ---------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    return child.poll() is None if child else pid_alive(pid)


def running_pid(home: Path) -> int | None:
    """Pid of this home's broker if it runs (checks the command line against pid reuse)."""
    try:
        pid = int((home / "kafka.pid").read_text())
    except (FileNotFoundError, ValueError):
        return None
    cmdline = pid_cmdline(pid)  # empty once the process is exiting: see _signal_and_wait
    if _alive(pid) and "kafka.Kafka" in cmdline and str(home / "server.properties") in cmdline:
        return pid
    return None


async def _probe(bootstrap: str) -> bool:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers")) and cluster.get("controller_id", -1) >= 0
    finally:
        await admin.close()


def wait_ready(bootstrap: str, port: int, pid: int, log: Path, timeout: float = READY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise RuntimeError(f"Kafka: the broker exited during start-up; end of {log}:\n{log_tail(log)}")
        if port_open(port):  # probe only then: aiokafka logs every refused connection
            try:
                if run_coro(_probe(bootstrap)):
                    return
            except Exception:
                pass
        time.sleep(0.25)
    raise RuntimeError(f"Kafka: not ready on {bootstrap} after {timeout:.0f} s; end of {log}:\n{log_tail(log)}")


def _wait_ports_free(home: Path, *ports: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout  # a broker killed a moment ago may still hold them
    while busy := [p for p in ports if port_open(p)]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kafka: port {busy[0]} is used by another process (not the broker of {home})")
        time.sleep(0.2)


def start(home: Path, port: int, controller_port: int) -> str:
    """Start the broker of this home unless it runs; return the bootstrap address once ready."""
    bootstrap = f"127.0.0.1:{port}"
    home.mkdir(parents=True, exist_ok=True)
    log = home / "kafka.log"
    with file_lock(home / ".lock"):
        pid = running_pid(home)
        if pid is not None:
            wait_ready(bootstrap, port, pid, log)  # immediate unless it is still starting
            return bootstrap
        _wait_ports_free(home, port, controller_port)
        libs = ensure_jars()
        props = write_properties(home, port, controller_port)
        format_storage(home, libs, props)
        started = time.monotonic()
        if log.exists():
            log.replace(home / "kafka.log.1")
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                _java(libs, "kafka.Kafka", str(props), heap="512m"),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=home,
                start_new_session=True,  # own process group: Ctrl-C in a shell does not reach it
            )
        _children[proc.pid] = proc
        (home / "kafka.pid").write_text(f"{proc.pid}\n")
        try:
            wait_ready(bootstrap, port, proc.pid, log)
        except Exception:
            stop(home, timeout=10)
            raise
        say(f"Kafka: ready on {bootstrap} in {time.monotonic() - started:.1f} s")
        return bootstrap


def _signal_and_wait(pid: int, sig: int, timeout: float) -> bool:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    # Wait for the pid itself, not running_pid(): the command line is gone early in the exit,
    # while the listening sockets are only closed at its end.
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def stop(home: Path, timeout: float = 30, hard: bool = False) -> None:
    """SIGTERM (or SIGKILL if hard) and wait; SIGKILL if still running after timeout."""
    pid = running_pid(home)
    if pid is not None:
        say(f"Kafka: stopping (pid {pid}){' with SIGKILL' if hard else ''}…")
        started = time.monotonic()
        if not _signal_and_wait(pid, signal.SIGKILL if hard else signal.SIGTERM, timeout):
            say(f"Kafka: still running after {timeout:.0f} s, sending SIGKILL")
            if not _signal_and_wait(pid, signal.SIGKILL, 10):
                raise RuntimeError(f"Kafka: pid {pid} survived SIGKILL")
        say(f"Kafka: stopped in {time.monotonic() - started:.1f} s")
        _children.pop(pid, None)
    (home / "kafka.pid").unlink(missing_ok=True)


# --- topics ----------------------------------------------------------------------------


async def _create_topics(bootstrap: str, replication_factor: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        await admin.close()
        raise RuntimeError(f"Kafka: cannot reach {bootstrap} to create the topics: {exc}") from exc
    try:
        created: list[str] = []
        while True:
            existing = set(await admin.list_topics())
            missing = [
                NewTopic(name, partitions, replication_factor, topic_configs=configs)
                for name, (partitions, configs) in TOPICS.items()
                if name not in existing
            ]
            if not missing:
                return created
            response = await admin.create_topics(missing, timeout_ms=15000)
            errors = []
            for topic, code, *rest in response.topic_errors:
                if code in (0, TOPIC_ALREADY_EXISTS):
                    created += [topic] if code == 0 else []
                    continue
                error = for_code(code)
                if not getattr(error, "retriable", False) or time.monotonic() > deadline:
                    errors.append(f"{topic}: {error.__name__} {rest[0] if rest else ''}".strip())
            if errors:
                raise RuntimeError(f"Kafka: creating topics on {bootstrap} failed: {'; '.join(errors)}")
            await asyncio.sleep(0.5)  # retriable errors (e.g. controller not ready yet)
    finally:
        await admin.close()


def create_topics(bootstrap: str, replication_factor: int = 1, timeout: float = 30) -> None:
    """Create the application's topics that are missing; existing topics are left as they are."""
    created = run_coro(_create_topics(bootstrap, replication_factor, timeout))
    if created:
        say(f"Kafka: created topics {', '.join(sorted(created))}")
