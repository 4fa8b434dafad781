"""Poison on the lifecycle topic, put there by hand, against the three running services.

Every partition gets messages that can never be applied; each must reach the dead-letter
topic with its reason and origin in the headers, be counted on /metrics, and not stop the
good events behind it. Then an operator fixes two of them and replays them with the
`deploy.dlt` command. Fake dossiers belong to agency TEST.POISON, so no real figure moves.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy import dlt
from shared.events import LIFECYCLE_TOPIC, EventType, encode
from shared.kafka import client_options
from tests.conftest import eventually
from tests.e2e.conftest import REPO
from tests.e2e.settle import settle
from tests.e2e.signin import staff_credentials
from tests.events import owned_event

pytestmark = pytest.mark.e2e
AGENCY = "TEST.POISON"
RUN = uuid.uuid4().hex[:8]
SERVICES = ("intake", "resolution", "stats")
UNDECODABLE = ("notjson", "ctype", "deep", "schema", "type", "forged")  # every consumer dead-letters these
NOW = datetime.now(UTC).replace(microsecond=0)
DUE = NOW + timedelta(days=60)


def code(kind: str, partition: int) -> str:
    return f"POISON-{RUN}-{kind}-{partition}"


def event(type_: EventType, dossier: str, seq: int, **payload):
    return owned_event(type_, dossier, seq, NOW, "poison", **payload)


def submitted(dossier: str):
    """An online dossier's first event. Not accepted, so resolution opens no case for it and
    reconciliation (stats against resolution) has nothing to compare."""
    return event(
        EventType.SUBMITTED,
        dossier,
        1,
        to_status=1,
        actor="test",
        dimensions={"agency_id": AGENCY, "procedure_code": "P.POISON", "channel": "online", "applicant_type": 0},
    )


def poison(kind: str, dossier: str) -> list[bytes]:
    """The messages of one poison kind, in order (some kinds need a good first event)."""
    valid = json.loads(encode(submitted(dossier)))
    if kind == "notjson":
        return [b"\xff\xfe{not json"]
    if kind == "ctype":  # sent with content-type: application/json (see LYING_HEADERS)
        return [b"{oops"]
    if kind == "deep":
        return [b"[" * 100_000]  # json.loads raises RecursionError, not ValueError
    if kind == "schema":
        return [json.dumps({**valid, "seq": "first", "payload": {"to_status": 42}}).encode()]
    if kind == "type":
        return [json.dumps({**valid, "type": "dossier.teleported"}).encode()]
    if kind == "forged":  # well formed, but stats does not write dossiers' events
        return [json.dumps({**valid, "producer": "stats"}).encode()]
    if kind == "move":  # resolved from 4, but the dossier is in 1
        return [
            encode(submitted(dossier)),
            encode(
                event(
                    EventType.RESOLVED,
                    dossier,
                    2,
                    from_status=4,
                    to_status=9,
                    actor="test",
                    due_at=DUE,
                    compliance="early",
                    working_hours_used=1.0,
                )
            ),
        ]
    if kind == "gap":  # seq 3 after 1
        return [encode(submitted(dossier)), encode(withdrawn_after_supplement(dossier))]
    raise ValueError(kind)


def supplement_requested(dossier: str):
    return event(EventType.SUPPLEMENT_REQUESTED, dossier, 2, from_status=1, to_status=5, actor="test", due_at=None)


def withdrawn_after_supplement(dossier: str):
    return event(EventType.WITHDRAWN, dossier, 3, from_status=5, to_status=7, actor="citizen")


LYING_HEADERS = [("content-type", b"application/json")]


async def send(bootstrap: str, messages: list[tuple[str, int, bytes]]) -> dict[str, list[int]]:
    """(key, partition, value) in order -> the offsets each key's messages got."""
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    offsets: dict[str, list[int]] = {}
    try:
        for key, partition, value in messages:
            headers = LYING_HEADERS if "-ctype-" in key else None
            meta = await producer.send_and_wait(
                LIFECYCLE_TOPIC, value, key=key.encode(), partition=partition, headers=headers
            )
            offsets.setdefault(key, []).append(meta.offset)
    finally:
        await producer.stop()
    return offsets


async def partitions(bootstrap: str) -> list[int]:
    producer = AIOKafkaProducer(**client_options(bootstrap))
    await producer.start()
    try:
        return sorted(await producer.partitions_for(LIFECYCLE_TOPIC))
    finally:
        await producer.stop()


def dead_letter_counts(services) -> dict[tuple[str, str], float]:
    """(service, kind) -> dead_letters_total on the service's /metrics."""
    out: dict[tuple[str, str], float] = {}
    for name in SERVICES:
        text = httpx.get(f"{services[name]}/metrics", timeout=5).text
        for labels, value in re.findall(r"^dead_letters_total\{([^}]*)\} (\S+)$", text, re.M):
            if f'topic="{LIFECYCLE_TOPIC}"' in labels:
                kind = re.search(r'kind="([^"]+)"', labels).group(1)
                out[(name, kind)] = out.get((name, kind), 0) + float(value)
    return out


async def ours(bootstrap: str, from_offset: int):
    return [
        (lt, v)
        for lt, v in await dlt.read(bootstrap, from_offset=from_offset)
        if lt.key and lt.key.startswith(f"POISON-{RUN}-")
    ]


@pytest.fixture(scope="module")
async def poisoned(services, bootstrap):
    """Poison on every partition, then a good dossier behind it on each; returns what was sent."""
    parts = await partitions(bootstrap)
    dlt_start = max([lt.offset + 1 for lt, _ in await dlt.read(bootstrap)], default=0)
    metrics_before = dead_letter_counts(services)
    messages = [
        (code(kind, p), p, value)
        for p in parts
        for kind in (*UNDECODABLE, "move", "gap")
        for value in poison(kind, code(kind, p))
    ]
    messages += [(code("good", p), p, encode(submitted(code("good", p)))) for p in parts]
    started = time.monotonic()
    offsets = await send(bootstrap, messages)
    return {
        "parts": parts,
        "dlt_start": dlt_start,
        "metrics_before": metrics_before,
        "offsets": offsets,
        "started": started,
    }


async def test_poison_is_dead_lettered_with_its_origin_and_counted(services, bootstrap, poisoned):
    parts = poisoned["parts"]
    expected = Counter({(svc, "bad_event", code(k, p)): 1 for svc in SERVICES for k in UNDECODABLE for p in parts})
    expected.update({("stats", "rejected", code(k, p)): 1 for k in ("move", "gap") for p in parts})

    async def arrived():
        got = await ours(bootstrap, poisoned["dlt_start"])
        return got if Counter((lt.service, lt.kind, lt.key) for lt, _ in got) == expected else None

    letters = await eventually(arrived, timeout=30, what=f"{sum(expected.values())} dead letters")
    for lt, _ in letters:
        kind, partition = lt.key.split("-")[2], int(lt.key.split("-")[3])
        assert lt.original_topic == LIFECYCLE_TOPIC and lt.original_partition == partition
        assert lt.original_offset == poisoned["offsets"][lt.key][-1], lt  # the poisoned message, not its good first
        assert lt.reason, lt
        words = {
            "notjson": "not JSON",
            "ctype": "not JSON",
            "deep": "nested too deeply",
            "schema": "seq",
            "type": "teleported",
            "forged": "does not own",
            "move": "from status 4",
            "gap": "expected 2",
        }
        assert words[kind] in lt.reason, (kind, lt.reason)
    took = time.monotonic() - poisoned["started"]

    # The good dossier behind the poison on every partition reached every consumer.
    async with _db("STATS_DATABASE_URL") as stats, _db("INTAKE_DATABASE_URL") as intake:
        goods = [code("good", p) for p in parts]
        await eventually(
            lambda: _count(stats, "SELECT count(*) FROM facts WHERE code = ANY($1)", goods, len(parts)),
            what="good dossiers counted by stats",
        )
        await eventually(
            lambda: _count(
                intake, "SELECT count(DISTINCT code) FROM dossier_history WHERE code = ANY($1)", goods, len(parts)
            ),
            what="good dossiers tracked by intake",
        )
        # The first, valid events of the `move` and `gap` dossiers were applied; their poison was not.
        rows = await stats.fetch(
            "SELECT code, status, last_seq FROM facts WHERE code = ANY($1)",
            [code(k, p) for k in ("move", "gap") for p in parts],
        )
        assert {(r["status"], r["last_seq"]) for r in rows} == {(1, 1)} and len(rows) == 2 * len(parts)
    for name in SERVICES:
        assert httpx.get(f"{services[name]}/readyz", timeout=5).status_code == 200, f"{name} unhealthy"

    after = dead_letter_counts(services)
    grew = {k: after.get(k, 0) - poisoned["metrics_before"].get(k, 0) for k in after}
    assert {k: v for k, v in grew.items() if v} == {
        ("intake", "bad_event"): len(UNDECODABLE) * len(parts),
        ("resolution", "bad_event"): len(UNDECODABLE) * len(parts),
        ("stats", "bad_event"): len(UNDECODABLE) * len(parts),
        ("stats", "rejected"): 2 * len(parts),
    }
    print(
        f"\npoison: {len(poisoned['offsets'])} keys on {len(parts)} partitions -> {len(letters)} dead letters "
        f"(metric deltas {dict(sorted(grew.items()))}); all consumers past the poison in {took:.1f} s"
    )


async def test_operator_fixes_and_replays_dead_letters(services, bootstrap, poisoned):
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "deploy.dlt", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def letter(key: str) -> dict:
        lines = [
            json.loads(x)
            for x in cli(
                "list", "--service", "stats", "--key", key, "--json", "--from-offset", str(poisoned["dlt_start"])
            ).splitlines()
        ]
        assert len(lines) == 1, lines
        return lines[0]

    p = poisoned["parts"][0]
    gap, move = code("gap", p), code("move", p)
    await eventually(lambda: _has_letters(bootstrap, poisoned["dlt_start"], gap, move), what="dead letters listed")
    assert gap in cli("list", "--from-offset", str(poisoned["dlt_start"]))

    # gap: the missing seq 2 was late; once it is on the topic, the dead seq 3 is replayed as it was.
    await send(bootstrap, [(gap, p, encode(supplement_requested(gap)))])
    gap_letter = letter(gap)
    out = cli("replay", "--offset", str(gap_letter["offset"]), "--partition", str(gap_letter["partition"]))
    assert f"to {LIFECYCLE_TOPIC}[{p}]@" in out
    # move: the event itself was wrong; the operator replays a corrected body in its place.
    move_letter = letter(move)
    fixed = encode(
        event(
            EventType.REFUSED,
            move,
            2,
            from_status=1,
            to_status=3,
            actor="test",
            reason="fixed",
            dimensions={"agency_id": AGENCY, "procedure_code": "P.POISON", "channel": "online", "applicant_type": 0},
        )
    )
    body = REPO / ".local" / f"fixed-{RUN}.json"
    body.parent.mkdir(exist_ok=True)
    body.write_bytes(fixed)
    try:
        cli(
            "replay",
            "--offset",
            str(move_letter["offset"]),
            "--partition",
            str(move_letter["partition"]),
            "--body",
            str(body),
        )
    finally:
        body.unlink()

    async with _db("STATS_DATABASE_URL") as stats:

        async def state():
            rows = await stats.fetch("SELECT code, status, last_seq FROM facts WHERE code = ANY($1)", [gap, move])
            return {r["code"]: (r["status"], r["last_seq"]) for r in rows}

        await eventually(lambda: _equals(state, {gap: (7, 3), move: (3, 2)}), what="replayed events applied")
    shown = json.loads(cli("show", "--offset", str(gap_letter["offset"]), "--partition", str(gap_letter["partition"])))
    assert shown["key"] == gap and '"seq":3' in shown["value"]


async def _has_letters(bootstrap, start, *keys) -> bool:
    got = {lt.key for lt, _ in await ours(bootstrap, start) if lt.service == "stats"}
    return set(keys) <= got


async def _equals(fetch, expected) -> bool:
    return await fetch() == expected


async def _count(conn, sql, arg, n) -> bool:
    return await conn.fetchval(sql, arg) == n


class _db:
    """A connection to one service's database, for checking what its consumer applied."""

    def __init__(self, env_key: str):
        self.url = os.environ[env_key]

    async def __aenter__(self) -> asyncpg.Connection:
        self.conn = await asyncpg.connect(self.url)
        if await self.conn.fetchval("SELECT to_regclass('projection_generations') IS NOT NULL"):
            # stats keeps its projection in the active generation's schema
            await self.conn.execute(
                "SELECT set_config('search_path', schema_name || ', public', false) "
                "FROM projection_generations WHERE state = 'active'"
            )
        return self.conn

    async def __aexit__(self, *exc) -> None:
        await self.conn.close()


async def test_forged_events_do_not_corrupt_a_real_dossier(services, bootstrap, request):
    """A gap and an impossible move sent by hand for a dossier intake received: intake's tracking
    view and stats refuse both (dead letters), and the dossier's real next step still lands."""
    intake, resolution = services["intake"], services["resolution"]
    auth = staff_credentials(request)
    procedure = "1.013831"  # the land office's: the only agency that performs it, so no agency to choose
    start = max([lt.offset + 1 for lt, _ in await dlt.read(bootstrap)], default=0)
    real = httpx.post(
        f"{intake}/api/v1/dossiers",
        timeout=10,
        auth=auth,
        json={
            "procedure_code": procedure,
            "channel": "counter",
            "received_by": "canbo.motcua",
            "applicant": {"name": "Vũ Thị Giang", "id_number": "001177005544"},
            "documents": ["Tờ khai"],
        },
    ).json()
    c = real["code"]
    await eventually(
        lambda: httpx.get(auth=auth, url=f"{intake}/api/v1/dossiers/{c}").json()["tracked_status"] == 2,
        what="seq 1 tracked by intake",
    )
    await eventually(
        lambda: httpx.get(auth=auth, url=f"{resolution}/api/v1/cases/{c}").status_code == 200, what="case opened"
    )
    forged = [
        event(
            EventType.RESOLVED,
            c,
            2,
            from_status=4,
            to_status=9,
            actor="forger",
            due_at=DUE,
            compliance="early",
            working_hours_used=1.0,
        ),
        event(EventType.RETURNED, c, 3, from_status=9, to_status=10, actor="forger"),
    ]
    producer = AIOKafkaProducer(**client_options(bootstrap), enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for e in forged:  # by key, as the services publish, so they land in the dossier's partition
            await producer.send_and_wait(LIFECYCLE_TOPIC, encode(e), key=c.encode())
    finally:
        await producer.stop()

    async def refused_by_both():
        got = {
            (lt.service, lt.reason.split(" ")[0])
            for lt, _ in await dlt.read(bootstrap, from_offset=start)
            if lt.key == c and lt.kind == "rejected"
        }
        return got == {
            ("intake", "dossier.resolved"),
            ("intake", "seq"),
            ("stats", "dossier.resolved"),
            ("stats", "seq"),
        }

    await eventually(refused_by_both, what="forged events dead-lettered by intake and stats")
    assert httpx.get(auth=auth, url=f"{intake}/api/v1/dossiers/{c}").json()["status"] == 2

    moved = httpx.post(f"{resolution}/api/v1/cases/{c}/start-processing", json={"by": "cb.xuly"}, timeout=10, auth=auth)
    assert moved.status_code == 200, moved.text
    await eventually(
        lambda: httpx.get(auth=auth, url=f"{intake}/api/v1/dossiers/{c}").json()["status"] == 4,
        what="the real seq 2 tracked",
    )
    history = httpx.get(auth=auth, url=f"{intake}/api/v1/dossiers/{c}/history").json()
    assert [(h["seq"], h["status"]) for h in history] == [(1, 2), (2, 4)]
    assert "forger" not in str(history)
    await settle(os.environ)
