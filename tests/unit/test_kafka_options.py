"""The one factory of Kafka connection settings, and the local principals handed to each service."""

from __future__ import annotations

import os
import ssl

from faststream.security import SASLScram512

from deploy.local import kafka_access
from shared.kafka import broker_security, client_options
from shared.settings import KafkaSettings


def test_plaintext_by_default_has_no_credentials(monkeypatch):
    # Settings read the environment, and `make test` gives the tests the local broker's principal.
    for name in [k for k in os.environ if k.startswith(("KAFKA_SASL_", "KAFKA_SECURITY_", "KAFKA_SSL_"))]:
        monkeypatch.delenv(name)
    options = client_options("k:9092", KafkaSettings.model_validate({}))
    assert options == {"bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}
    assert broker_security(KafkaSettings.model_validate({})) is None


def test_sasl_ssl_carries_tls_and_scram_to_aiokafka_and_faststream():
    settings = KafkaSettings.model_validate(
        {
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_USERNAME": "stats",
            "KAFKA_SASL_PASSWORD": "pw",
        }
    )
    options = client_options("k:9093", settings)
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("stats", "pw")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    security = broker_security(settings)
    assert isinstance(security, SASLScram512) and security.use_ssl and security.username == "stats"


def test_each_service_gets_its_own_principal_only_from_the_local_super_user():
    local = kafka_access.client_env()
    stats = kafka_access.service_env("stats", local)
    assert stats["KAFKA_SASL_USERNAME"] == "stats"
    assert stats["KAFKA_SASL_PASSWORD"] not in (local["KAFKA_SASL_PASSWORD"], kafka_access.credentials()["intake"])
    # Another Kafka (an operator's own principal) keeps the settings it was given.
    assert kafka_access.service_env("stats", {**local, "KAFKA_SASL_PASSWORD": "someone-else"}) == {}
    assert kafka_access.service_env("stats", {}) == {}


def test_local_acls_are_those_of_the_kubernetes_kafka_users():
    """The local brokers rehearse production: each principal is allowed exactly what its KafkaUser is."""
    import yaml

    users = yaml.safe_load_all((kafka_access.REPO_ROOT / "deploy" / "k8s" / "base" / "kafka-users.yaml").read_text())
    declared = {
        user["metadata"]["name"]: {
            (acl["resource"]["type"], acl["resource"]["name"], op)
            for acl in user["spec"]["authorization"]["acls"]
            for op in acl["operations"]
        }
        for user in users
    }
    local = {
        user: {(kind, name, op) for kind, name, ops in grants for op in ops}
        for user, grants in kafka_access.ACLS.items()
    }
    assert local == declared


def test_kubernetes_clients_speak_tls_to_the_only_listener_and_trust_strimzis_ca():
    """Every client listener of the Strimzi cluster takes TLS and SCRAM; the services connect to it
    with SASL_SSL, trusting the cluster CA Secret mounted where KAFKA_SSL_CAFILE points; each service
    migrates as its database's owner role."""
    from pathlib import PurePosixPath

    import yaml

    base = kafka_access.REPO_ROOT / "deploy" / "k8s" / "base"
    [kafka] = [d for d in yaml.safe_load_all((base / "kafka.yaml").read_text()) if d["kind"] == "Kafka"]
    listeners = kafka["spec"]["kafka"]["listeners"]
    assert listeners and all(x["tls"] and x["authentication"]["type"] == "scram-sha-512" for x in listeners)
    config = yaml.safe_load((base / "configmap.yaml").read_text())["data"]
    assert config["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert int(config["KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)[1]) in {x["port"] for x in listeners}
    cafile = PurePosixPath(config["KAFKA_SSL_CAFILE"])
    for service in ("intake", "resolution", "stats", "notifier", "portal-sync"):
        [deployment] = [
            d for d in yaml.safe_load_all((base / f"{service}.yaml").read_text()) if d["kind"] == "Deployment"
        ]
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        [mount] = [m for m in container["volumeMounts"] if PurePosixPath(m["mountPath"]) == cafile.parent]
        [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        assert volume["secret"]["secretName"] == f"{kafka['metadata']['name']}-cluster-ca-cert"
        assert {"key": "ca.crt", "path": cafile.name} in volume["secret"]["items"]
        env = {e["name"]: e.get("valueFrom", {}).get("secretKeyRef") for e in container["env"]}
        assert env[f"{service.replace('-', '_').upper()}_MIGRATION_DATABASE_URL"] == {
            "name": f"dvc-{service}-database",
            "key": "migration-url",
        }
