"""The local servers' profiles: every port of every profile apart, and a cluster node's settings."""

from __future__ import annotations

from collections import Counter

from deploy.local import kafka_broker, servers


def _ports(p: servers.Profile) -> list[int]:
    kafka = [port for n in p.nodes for port in (n.port, n.controller_port)] or (
        [p.kafka_port, p.controller_port] if p.brokers else []
    )
    return [p.pg_port, *kafka]


def test_no_two_profiles_share_a_port():
    ports = Counter(port for p in servers.PROFILES.values() for port in _ports(p))
    assert [port for port, n in ports.items() if n > 1] == []


def test_the_cluster_has_three_nodes_in_its_own_folders():
    nodes = servers.PROFILES["cluster"].nodes
    assert [n.node_id for n in nodes] == [1, 2, 3]
    assert len({n.home for n in nodes}) == 3
    assert servers.PROFILES["test"].nodes == ()


def _properties(path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_a_cluster_node_votes_with_all_and_replicates_three_times(tmp_path):
    nodes = tuple(kafka_broker.Node(i, tmp_path / f"node-{i}", 9000 + 2 * i, 9001 + 2 * i) for i in (1, 2, 3))
    nodes[1].home.mkdir()
    props = _properties(kafka_broker.write_properties(nodes[1], nodes))
    assert props["node.id"] == "2"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9003,2@127.0.0.1:9005,3@127.0.0.1:9007"
    assert props["listeners"] == "BROKER://127.0.0.1:9004,CONTROLLER://127.0.0.1:9005"
    # No listener without authentication, and nothing allowed that no ACL grants.
    assert props["listener.security.protocol.map"] == "CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_SSL"
    assert props["ssl.keystore.type"] == props["ssl.truststore.type"] == "PEM"
    assert props["ssl.endpoint.identification.algorithm"] == "https"
    assert props["listener.name.broker.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin"
    assert props["default.replication.factor"] == props["offsets.topic.replication.factor"] == "3"
    assert props["min.insync.replicas"] == props["transaction.state.log.min.isr"] == "2"
    assert props["unclean.leader.election.enable"] == "false"


def test_a_single_broker_is_its_own_quorum(tmp_path):
    props = _properties(kafka_broker.write_properties(kafka_broker.Node(1, tmp_path, 9192, 9193)))
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:9193"
    assert "controller.quorum.voters" not in props
    assert props["default.replication.factor"] == props["min.insync.replicas"] == "1"
