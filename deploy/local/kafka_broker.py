"""Apache Kafka brokers (KRaft, each node broker+controller) assembled from Maven Central jars:
one alone (profiles run, test, bench) or three as a cluster (profile cluster).

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
from dataclasses import dataclass
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, for_code

from shared.kafka import client_options

from . import kafka_access, kafka_tls
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
# A broker restarted after a SIGKILL recovers its logs first: on a small, busy machine (several JVMs,
# PostgreSQL and the services sharing two cores) that alone has taken over a minute.
READY_TIMEOUT = 120.0

DAY_MS = 24 * 60 * 60 * 1000
# name -> (partitions, topic configs)
TOPICS: dict[str, tuple[int, dict[str, str]]] = {
    "dossier.lifecycle.v1": (6, {"retention.ms": "-1", "retention.bytes": "-1"}),
    "dossier.requests.v1": (6, {"retention.ms": str(30 * DAY_MS)}),
    "dossier.lifecycle.v1.dlt": (1, {"retention.ms": "-1", "retention.bytes": "-1"}),
    # Sign-outs (shared/auth/signouts.py): one record per session, none needed past a day.
    "staff.sessions.v1": (3, {"cleanup.policy": "compact,delete", "retention.ms": str(DAY_MS)}),
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


@dataclass(frozen=True)
class Node:
    """One broker of a cluster: its id, folder and ports."""

    node_id: int
    home: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


def _replication(nodes: int) -> tuple[int, int]:
    """(replication factor, min.insync.replicas): 3 and 2 on a cluster, so one broker may be
    down while acks=all writes go on; 1 and 1 alone."""
    return (3, 2) if nodes >= 3 else (1, 1)


def _security(node: Node) -> str:
    """Listeners that take SASL only: SCRAM-SHA-512 over TLS for clients and between brokers (the
    credentials live in the metadata log, written at format time), PLAIN for the controllers (they
    must authenticate before that log is read); ACLs enforced, the tooling's principal a super user.
    The controller listener stays without TLS: it is bound to the loopback, never advertised to
    clients, and only the brokers of this machine, authenticated, talk to it."""
    password = kafka_access.credentials()[kafka_access.ADMIN]
    admin = kafka_access.ADMIN
    plain = "org.apache.kafka.common.security.plain.PlainLoginModule required"
    scram = "org.apache.kafka.common.security.scram.ScramLoginModule required"
    return f"""\
listeners=BROKER://127.0.0.1:{node.port},CONTROLLER://127.0.0.1:{node.controller_port}
advertised.listeners=BROKER://127.0.0.1:{node.port}
controller.listener.names=CONTROLLER
inter.broker.listener.name=BROKER
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_SSL
sasl.mechanism.controller.protocol=PLAIN
sasl.mechanism.inter.broker.protocol={kafka_access.MECHANISM}
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config={plain} username="{admin}" password="{password}" user_{admin}="{password}";
listener.name.broker.sasl.enabled.mechanisms={kafka_access.MECHANISM}
listener.name.broker.{kafka_access.MECHANISM.lower()}.sasl.jaas.config={scram} username="{admin}" password="{password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:{admin}
allow.everyone.if.no.acl.found=false
{kafka_tls.broker_properties()}"""


def write_properties(node: Node, cluster: tuple[Node, ...] = ()) -> Path:
    """server.properties of `node`; `cluster` lists every node of a cluster (empty: alone)."""
    props = node.home / "server.properties"
    props.write_text(_properties(node, cluster))
    props.chmod(0o600)  # it holds the super user's password
    return props


def _properties(node: Node, cluster: tuple[Node, ...]) -> str:
    if cluster:  # a static quorum of every node: it is formatted once and never changes
        voters = ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in cluster)
        quorum = f"controller.quorum.voters={voters}"
    else:
        quorum = f"controller.quorum.bootstrap.servers=127.0.0.1:{node.controller_port}"
    factor, min_isr = _replication(len(cluster))
    return f"""\
# Written by deploy/local/servers.py on every start: edits here are overwritten.
process.roles=broker,controller
node.id={node.node_id}
{quorum}
{_security(node)}
log.dirs={node.home / "data"}
num.partitions=1
default.replication.factor={factor}
min.insync.replicas={min_isr}
# A replica that was out of sync never becomes leader: acknowledged writes are never dropped.
unclean.leader.election.enable=false
offsets.topic.replication.factor={factor}
transaction.state.log.replication.factor={factor}
transaction.state.log.min.isr={min_isr}
share.coordinator.state.topic.replication.factor={factor}
share.coordinator.state.topic.min.isr={min_isr}
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# After a SIGKILL the new incarnation cannot register until the old one's session expires
# (DUPLICATE_BROKER_REGISTRATION): 9 s by default, shorter here for restart tests.
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
"""


def _running_as_configured(node: Node, cluster: tuple[Node, ...] = ()) -> int | None:
    """running_pid(), after stopping a broker formatted with other SCRAM users (its storage is
    formatted again when it starts) or started with other settings (e.g. before its listener took
    TLS: it starts again with the current ones, on the same storage)."""
    pid = running_pid(node.home)
    stamp_file = node.home / "scram.stamp"
    props = node.home / "server.properties"
    if pid is not None and not (
        stamp_file.is_file()
        and stamp_file.read_text().strip() == _scram_stamp()
        and props.is_file()
        and props.read_text() == _properties(node, cluster)
    ):
        stop(node.home)
        return None
    return pid


def _scram_stamp() -> str:
    return hashlib.sha256(repr(sorted(kafka_access.credentials().items())).encode()).hexdigest()


def format_storage(home: Path, libs: Path, props: Path, id_file: Path | None = None, standalone: bool = True) -> None:
    """Format log.dirs once; the cluster id is kept in `id_file` (default home/cluster.id, one file
    for all nodes of a cluster) and reused. `standalone`: a single node that is its own quorum."""
    stamp_file = home / "scram.stamp"  # which credentials the storage was formatted with
    if (home / "data" / "meta.properties").is_file():
        if stamp_file.is_file() and stamp_file.read_text().strip() == _scram_stamp():
            return
        # Formatted before the brokers took SASL (or with other passwords): its principals cannot
        # be added to a formatted log without a broker to connect to, so it starts again empty.
        say(
            f"Kafka: {home / 'data'} lacks the SCRAM users of {kafka_access.SECRET_FILE.name}; formatting it "
            "again (its events are gone while the profile's databases keep theirs: `make clean` starts both afresh)"
        )
        shutil.rmtree(home / "data")
    id_file = id_file or home / "cluster.id"
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
            *(["--standalone"] if standalone else []),
            "-t",
            cluster_id,
            "-c",
            str(props),
            "--ignore-formatted",
            *(
                arg
                for user, password in kafka_access.credentials().items()
                for arg in ("--add-scram", f"{kafka_access.MECHANISM}=[name={user},password={password}]")
            ),
        ),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Kafka: formatting the storage failed:\n{result.stdout}{result.stderr}")
    stamp_file.write_text(_scram_stamp() + "\n")


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


async def _probe(bootstrap: str, node_id: int | None, brokers: int) -> bool:
    admin = AIOKafkaAdminClient(**client_options(bootstrap, kafka_access.settings_for()), request_timeout_ms=5000)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        registered = {b["node_id"] for b in cluster.get("brokers", [])}
        return (
            len(registered) >= brokers
            and (node_id is None or node_id in registered)
            and cluster.get("controller_id", -1) >= 0
        )
    finally:
        await admin.close()


def wait_ready(
    bootstrap: str,
    port: int,
    pid: int,
    log: Path,
    timeout: float = READY_TIMEOUT,
    node_id: int | None = None,
    brokers: int = 1,
) -> None:
    """Until the broker answers metadata with a controller and at least `brokers` brokers
    registered (`node_id` among them when given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise RuntimeError(f"Kafka: the broker exited during start-up; end of {log}:\n{log_tail(log)}")
        if port_open(port):  # probe only then: aiokafka logs every refused connection
            try:
                if run_coro(_probe(bootstrap, node_id, brokers)):
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


def _launch(node: Node, cluster: tuple[Node, ...], heap: str) -> int:
    """Write the configuration, format the storage the first time, start the JVM; its pid."""
    _wait_ports_free(node.home, node.port, node.controller_port)
    libs = ensure_jars()
    props = write_properties(node, cluster)
    id_file = node.home.parent / "cluster.id" if cluster else None
    format_storage(node.home, libs, props, id_file=id_file, standalone=not cluster)
    log = node.home / "kafka.log"
    if log.exists():
        log.replace(node.home / "kafka.log.1")
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            _java(libs, "kafka.Kafka", str(props), heap=heap),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=node.home,
            start_new_session=True,  # own process group: Ctrl-C in a shell does not reach it
        )
    _children[proc.pid] = proc
    (node.home / "kafka.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def start(home: Path, port: int, controller_port: int) -> str:
    """Start the broker of this home unless it runs; return the bootstrap address once ready."""
    node = Node(1, home, port, controller_port)
    home.mkdir(parents=True, exist_ok=True)
    log = home / "kafka.log"
    with file_lock(home / ".lock"):
        pid = _running_as_configured(node)
        if pid is not None:
            wait_ready(node.bootstrap, port, pid, log)  # immediate unless it is still starting
            return node.bootstrap
        started = time.monotonic()
        pid = _launch(node, (), heap="512m")
        try:
            wait_ready(node.bootstrap, port, pid, log)
        except Exception:
            stop(home, timeout=10)
            raise
        say(f"Kafka: ready on {node.bootstrap} in {time.monotonic() - started:.1f} s")
        return node.bootstrap


# Three JVMs beside the test broker, PostgreSQL and six services on a small machine: a broker
# with a few topics of small events runs well in this much.
CLUSTER_HEAP = "384m"


def start_cluster(cluster: tuple[Node, ...], only: tuple[int, ...] | None = None) -> str:
    """Start the nodes of `cluster` (those of `only`, by node id, if given) that do not run,
    all at once since a quorum needs a majority to elect a controller; wait until each one
    is registered with the others. Returns the bootstrap list of the whole cluster."""
    started, waits = time.monotonic(), []
    lock = cluster[0].home.parent / ".lock"
    with file_lock(lock):
        for node in cluster:
            if only is not None and node.node_id not in only:
                continue
            node.home.mkdir(parents=True, exist_ok=True)
            pid = _running_as_configured(node, cluster)
            waits.append((node, pid if pid is not None else _launch(node, cluster, heap=CLUSTER_HEAP)))
        try:
            for node, pid in waits:
                wait_ready(
                    node.bootstrap, node.port, pid, node.home / "kafka.log", node_id=node.node_id, brokers=len(cluster)
                )
        except Exception:
            for node, _ in waits:
                stop(node.home, timeout=10)
            raise
    bootstrap = ",".join(n.bootstrap for n in cluster)
    say(f"Kafka: nodes {', '.join(str(n.node_id) for n, _ in waits)} ready in {time.monotonic() - started:.1f} s")
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


async def _create_topics(bootstrap: str, replication_factor: int | None, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    admin = AIOKafkaAdminClient(**client_options(bootstrap, kafka_access.settings_for()), request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        await admin.close()
        raise RuntimeError(f"Kafka: cannot reach {bootstrap} to create the topics: {exc}") from exc
    try:
        if replication_factor is None:  # a cluster of three or more: 3, else 1
            replication_factor = _replication(len((await admin.describe_cluster())["brokers"]))[0]
        created: list[str] = []
        while True:
            existing = set(await admin.list_topics())
            _, min_isr = _replication(replication_factor)
            missing = [
                NewTopic(
                    name, partitions, replication_factor, topic_configs={**configs, "min.insync.replicas": str(min_isr)}
                )
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


def create_topics(bootstrap: str, replication_factor: int | None = None, timeout: float = 30) -> None:
    """Create the application's topics that are missing; existing topics are left as they are.
    Replicated 3 times (min.insync.replicas 2) on a cluster of three brokers or more, unless told."""
    created = run_coro(_create_topics(bootstrap, replication_factor, timeout))
    if created:
        say(f"Kafka: created topics {', '.join(sorted(created))}")


def grant(bootstrap: str) -> None:
    """Each service's ACLs on a local broker (kept in its metadata log; granting again is a no-op)."""
    run_coro(kafka_access.apply_acls(bootstrap))
