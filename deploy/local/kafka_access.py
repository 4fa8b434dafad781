"""Who may do what on the local brokers: SCRAM-SHA-512 principals (over TLS, kafka_tls.py), one per service plus the
tooling's super user, and the ACLs of each (the same as deploy/k8s/base/kafka-users.yaml).

The passwords derive from a secret generated once per checkout and kept in .local/kafka-secret
(mode 0600), like the session secret; every profile's brokers are formatted with them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
from pathlib import Path

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest

from deploy.settings import ToolSettings
from shared.auth.sessions import load_secret
from shared.auth.signouts import SESSIONS_GROUPS, SESSIONS_TOPIC
from shared.events import (
    DEAD_LETTER_TOPIC,
    INTAKE_TRACKING_GROUP,
    LIFECYCLE_TOPIC,
    NOTIFIER_GROUP,
    PORTAL_SYNC_GROUP,
    REQUESTS_TOPIC,
    RESOLUTION_CASES_GROUP,
    RESOLUTION_REQUESTS_GROUP,
    STATS_GROUP,
)
from shared.kafka import client_options
from shared.settings import KafkaSettings

from . import kafka_tls
from ._common import REPO_ROOT

SECRET_FILE = REPO_ROOT / ".local" / "kafka-secret"
ADMIN = "admin"  # super user: the launcher, topic creation, tests' and tools' own clients
MECHANISM = "SCRAM-SHA-512"


def _sign_outs(service: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """Every service announces its sign-outs and reads the others' in its own group."""
    return [("topic", SESSIONS_TOPIC, ("Write", "Read", "Describe")), ("group", SESSIONS_GROUPS[service], ("Read",))]


# principal -> [(resource type, name, operations)]. Every consumer dead-letters what it can never
# apply (shared/consumer.py), so every service may write the dead-letter topic.
ACLS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "intake": [
        ("topic", LIFECYCLE_TOPIC, ("Write", "Read", "Describe")),
        ("topic", REQUESTS_TOPIC, ("Write", "Describe")),
        ("topic", DEAD_LETTER_TOPIC, ("Write", "Describe")),
        ("group", INTAKE_TRACKING_GROUP, ("Read",)),
        *_sign_outs("intake"),
    ],
    "resolution": [
        ("topic", LIFECYCLE_TOPIC, ("Write", "Read", "Describe")),
        ("topic", REQUESTS_TOPIC, ("Read", "Describe")),
        ("topic", DEAD_LETTER_TOPIC, ("Write", "Describe")),
        ("group", RESOLUTION_CASES_GROUP, ("Read",)),
        ("group", RESOLUTION_REQUESTS_GROUP, ("Read",)),
        *_sign_outs("resolution"),
    ],
    "stats": [
        ("topic", LIFECYCLE_TOPIC, ("Read", "Describe")),
        ("topic", DEAD_LETTER_TOPIC, ("Write", "Describe")),
        ("group", STATS_GROUP, ("Read",)),
        ("group", RESOLUTION_CASES_GROUP, ("Describe",)),  # reconciliation reads its committed offsets
        *_sign_outs("stats"),
    ],
    # notifier: reads the lifecycle into its sent-log (e-mail and SMS go out from there); sign-outs.
    "notifier": [
        ("topic", LIFECYCLE_TOPIC, ("Read", "Describe")),
        ("topic", DEAD_LETTER_TOPIC, ("Write", "Describe")),
        ("group", NOTIFIER_GROUP, ("Read",)),
        *_sign_outs("notifier"),
    ],
}
# The national-portal connector (issue 15): reads the lifecycle, writes only dead letters and sign-outs.
ACLS["portal-sync"] = [
    ("topic", LIFECYCLE_TOPIC, ("Read", "Describe")),
    ("topic", DEAD_LETTER_TOPIC, ("Write", "Describe")),
    ("group", PORTAL_SYNC_GROUP, ("Read",)),
    *_sign_outs("portal_sync"),
]
# Principals are Kubernetes names (KafkaUser), which take no underscore; a service named otherwise.
PRINCIPALS = {"portal_sync": "portal-sync"}
SERVICES = tuple(ACLS)

# Kafka's protocol codes (org.apache.kafka.common.resource / acl).
_RESOURCE = {"topic": 2, "group": 3}
_OPERATION = {"Read": 3, "Write": 4, "Describe": 8}
_LITERAL, _ALLOW = 3, 3


def credentials(path: Path = SECRET_FILE) -> dict[str, str]:
    """{principal: password}: each derived from one random secret made once per checkout (by the
    session secret's code, so two launchers racing agree). Hex: nothing the JAAS line or the
    storage tool's [name=…,password=…] syntax would need quoted."""
    secret = load_secret(None, path)
    return {user: hmac.new(secret, user.encode(), hashlib.sha256).hexdigest() for user in (ADMIN, *SERVICES)}


def client_env(user: str = ADMIN) -> dict[str, str]:
    """The KAFKA_* variables that connect as `user` to a local broker: TLS that trusts the
    checkout's private CA (and checks the broker's name), then SCRAM."""
    return {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SSL_CAFILE": kafka_tls.ca_file(),
        "KAFKA_SASL_MECHANISM": MECHANISM,
        "KAFKA_SASL_USERNAME": user,
        "KAFKA_SASL_PASSWORD": credentials()[user],
    }


def service_env(service: str, env: dict[str, str]) -> dict[str, str]:
    """`service`'s own principal in place of the tooling's, when `env` connects to a local broker
    as the local super user (on another Kafka the operator's settings stand as given)."""
    service = PRINCIPALS.get(service, service)
    if service not in ACLS or not SECRET_FILE.is_file() or env.get("KAFKA_SASL_USERNAME") != ADMIN:
        return {}
    if env.get("KAFKA_SASL_PASSWORD") != credentials()[ADMIN]:
        return {}
    return client_env(service)


def settings_for(user: str = ADMIN) -> KafkaSettings:
    return KafkaSettings.model_validate(client_env(user))


async def apply_acls(bootstrap: str) -> None:
    """Grant every principal its ACLs (adding one that exists changes nothing)."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap, settings_for(ADMIN)), request_timeout_ms=15000)
    await admin.start()
    try:
        for user, grants in ACLS.items():
            for kind, name, operations in grants:
                for operation in operations:
                    request = CreateAclsRequest(
                        _RESOURCE[kind], name, _LITERAL, f"User:{user}", "*", _OPERATION[operation], _ALLOW
                    )
                    response = await admin._send_request(request)  # aiokafka has no public ACL call
                    for code, message in response.creation_responses:
                        if code:
                            raise RuntimeError(
                                f"Kafka: ACL {user} {operation} {kind} {name}: {for_code(code).__name__} {message}"
                            )
    finally:
        await admin.close()


def local_defaults(user: str) -> dict[str, str]:
    """`user`'s settings for a command run against `make run`'s broker: only when neither
    KAFKA_BOOTSTRAP_SERVERS nor KAFKA_SECURITY_PROTOCOL is set (another Kafka keeps its own)."""
    if ToolSettings().kafka_bootstrap or "kafka_security_protocol" in KafkaSettings().model_fields_set:
        return {}
    return client_env(user) if SECRET_FILE.is_file() else {}


def main(argv: list[str]) -> None:
    """python -m deploy.local.kafka_access USER COMMAND…: run COMMAND as USER on the local broker
    (the Makefile's rebuild-stats, reconcile, dlt and rewind)."""
    if len(argv) < 2 or argv[0] not in (ADMIN, *SERVICES):
        raise SystemExit(f"usage: python -m deploy.local.kafka_access {{{'|'.join((ADMIN, *SERVICES))}}} COMMAND…")
    os.execvpe(argv[1], argv[1:], {**os.environ, **local_defaults(argv[0])})


if __name__ == "__main__":
    main(sys.argv[1:])
