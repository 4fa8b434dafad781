"""make lint's own rules for the deployment files: what they catch, on small made-up objects."""

from __future__ import annotations

import copy

import yaml

from deploy.lint import DEPLOY, metric_names, policy_problems, strimzi_validator, unknown_metric


def test_metric_names_ignores_labels_functions_and_strings():
    expr = 'sum by (job, le) (rate(http_request_duration_seconds_bucket{status=~"5..",route="/x"}[5m])) / on(job) up'
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "up"}
    assert metric_names("max by (job) (outbox_oldest_age_seconds) > 300") == {"outbox_oldest_age_seconds"}


def test_an_unknown_metric_is_told_apart_from_exported_ones():
    assert not unknown_metric("http_request_duration_seconds_bucket")
    assert not unknown_metric("faststream_received_messages_total")
    assert unknown_metric("outbox_age_seconds")  # a near miss of outbox_oldest_age_seconds


def base_objects() -> dict[str, dict]:
    docs = []
    for name in ("intake.yaml", "topics.yaml"):
        docs += list(yaml.safe_load_all((DEPLOY / "k8s" / "base" / name).read_text()))
    return {f"{d['kind']}/{d['metadata']['name']}": d for d in docs}


def test_the_base_passes_and_each_broken_rule_is_named():
    objects = base_objects()
    assert all(policy_problems(d) == [] for d in objects.values())

    deployment = copy.deepcopy(objects["Deployment/intake"])
    deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 30
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/health"
    assert len(policy_problems(deployment)) == 2

    topic = copy.deepcopy(objects["KafkaTopic/dossier-lifecycle-v1"])
    topic["spec"]["config"]["retention.ms"] = 604800000
    topic["spec"]["partitions"] = 12
    problems = policy_problems(topic)
    assert any("kept forever" in p for p in problems) and any("kafka_broker.py" in p for p in problems)


def test_strimzi_resources_are_checked_against_the_vendored_crd():
    topic = copy.deepcopy(base_objects()["KafkaTopic/dossier-lifecycle-v1"])
    check = strimzi_validator("KafkaTopic", topic["apiVersion"])
    assert check(topic) == []
    topic["spec"]["partitions"] = "six"
    assert any("partitions" in e for e in check(topic))
    assert strimzi_validator("KafkaTopic", "kafka.strimzi.io/v1beta1")(topic)  # not served any more
