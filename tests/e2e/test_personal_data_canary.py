"""Canary: unique personal values sent through every citizen and clerk route that takes them, the
dossiers' lifecycle run to its end, then looked for everywhere personal data must never go: every
Kafka topic (read from the beginning), every table of resolution and stats, every line the services
logged, every /metrics page. intake alone may keep them (docs/security.md).

Staff's own words naming the applicant (a request for papers at intake and in resolution, an
acceptance's note, a trip to the tax office and back, an apology, a stop) go too: intake and
resolution keep them in their databases and read them sealed on the lifecycle topic, where
nobody else can (shared/sealed_text.py); they must reach no topic readable, no stats table, no
log and no metric.

The values are ASCII so that a JSON encoder escaping non-ASCII characters cannot hide them."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.auth.signouts import SESSIONS_TOPIC
from shared.events import DEAD_LETTER_TOPIC, LIFECYCLE_TOPIC, REQUESTS_TOPIC
from shared.kafka import client_options
from tests.e2e.settle import settle
from tests.e2e.test_lifecycle_end_to_end import wait_for

pytestmark = pytest.mark.e2e
LAND = "1.013831"  # the land office's: a leader approves its results
RUN = uuid.uuid4().hex[:8].upper()
DIGITS = f"{int(RUN, 16) % 10**9:09d}"
APPLICANT = {
    "type": 0,
    "name": f"Nguyen Canary Ten{RUN}",
    "id_number": f"079{DIGITS}",
    "phone": f"08{DIGITS}",
    "email": f"canary.{RUN.lower()}@example.vn",
    "address": f"So {RUN} ngo Canary",
    "representative": f"Tran Dai Dien{RUN}",
}
WITHDRAWAL_REASON = f"khong can nua vi ly do rieng W{RUN}"
RATING_COMMENT = f"can bo nhiet tinh, goi toi C{RUN}"
FILE_NAME = f"giay-to-{RUN}-canary.pdf"
# A clerk may well name the applicant in a refusal (form 03): that text is personal too.
REFUSAL_REASON = f"Ong {APPLICANT['name']} thieu giay to R{RUN}"
CANARIES = {
    **{f"applicant.{k}": v for k, v in APPLICANT.items() if isinstance(v, str)},
    "withdrawal reason": WITHDRAWAL_REASON,
    "rating comment": RATING_COMMENT,
    "file name": FILE_NAME,
    "refusal reason": REFUSAL_REASON,
}
STAFF_TEXTS = {
    what: f"{what} cho ong Canary {RUN}{tag}"
    for what, tag in (
        ("intake supplement reason", "S1"),
        ("acceptance note", "A1"),
        ("resolution supplement reason", "S2"),
        ("send-to-agency reason", "T1"),
        ("back-from-agency reason", "T2"),
        ("apology reason", "X1"),
        ("stop reason", "P1"),
    )
}
EVERYTHING = CANARIES | STAFF_TEXTS
PDF = b"%PDF-1.4\n%%EOF\n"


def _post(url: str, body: dict, auth=None, status: int = 200) -> dict:
    r = httpx.post(url, json=body, auth=auth, timeout=15)
    assert r.status_code == status, r.text
    return r.json()


def _found(text: str, canaries: dict[str, str] = EVERYTHING) -> list[str]:
    """Which canaries `text` holds, as they were sent or hex-encoded (a bytea column read as text)."""
    return [k for k, v in canaries.items() if v in text or v.encode().hex() in text]


def _citizen(code: str, pin: str) -> dict:
    return {"id_number": APPLICANT["id_number"], "pin": pin}


def _run_every_route(services, staff) -> list[str]:
    """Each route that takes personal data, once; the codes of the dossiers made."""
    intake, resolution = services["intake"], services["resolution"]
    clerk, officer, leader = staff.auth("clerk"), staff.auth("officer_land"), staff.auth("leader")
    dossier = {"procedure_code": LAND, "applicant": APPLICANT, "documents": ["Don dang ky"]}

    def case(code: str, action: str = "") -> str:
        return f"{resolution}/api/v1/cases/{code}" + (f"/{action}" if action else "")

    # Online: upload, track, withdraw before acceptance (the reason stays at intake).
    a = _post(f"{intake}/api/v1/dossiers", {**dossier, "channel": "online"}, status=201)
    up = httpx.post(
        f"{intake}/api/v1/uploads/{a['code']}",
        data=_citizen(a["code"], a["tracking_pin"]),
        files=[("files", (FILE_NAME, PDF, "application/pdf"))],
        timeout=15,
    )
    assert up.status_code == 201, up.text
    _post(f"{intake}/api/v1/dossiers/{a['code']}/track", _citizen(a["code"], a["tracking_pin"]))
    body = {**_citizen(a["code"], a["tracking_pin"]), "reason": WITHDRAWAL_REASON}
    _post(f"{intake}/api/v1/dossiers/{a['code']}/withdraw", body, status=202)

    # Online, refused by the clerk with a reason naming the applicant; a walk-in refused at the counter.
    b = _post(f"{intake}/api/v1/dossiers", {**dossier, "channel": "online"}, status=201)
    _post(f"{intake}/api/v1/dossiers/{b['code']}/refuse", {"reason": REFUSAL_REASON}, auth=clerk)
    b2 = _post(
        f"{intake}/api/v1/counter-refusals", {**dossier, "channel": "counter", "reason": REFUSAL_REASON}, clerk, 201
    )

    # Counter, its document scanned at the desk (issue 15): accepted at once; resolution asks for papers,
    # the applicant uploads them (forwarded), the result is approved, returned and rated with a comment.
    scanned = {**dossier, "channel": "counter", "digitisation": [{"kind": "scanned"}]}
    received = httpx.post(
        f"{intake}/api/v1/uploads/counter",
        data={"dossier": json.dumps(scanned)},
        files=[("files", (FILE_NAME, PDF, "application/pdf"))],
        auth=clerk,
        timeout=15,
    )
    assert received.status_code == 201, received.text
    c = received.json()
    wait_for(lambda: httpx.get(case(c["code"]), auth=officer).status_code, lambda s: s == 200)
    _post(case(c["code"], "start-processing"), {}, auth=officer)
    asked = {"missing_documents": ["Hop dong"], "reason": STAFF_TEXTS["resolution supplement reason"]}
    _post(case(c["code"], "request-supplement"), asked, auth=officer)
    wait_for(
        lambda: (
            httpx.post(
                f"{intake}/api/v1/uploads/{c['code']}/supplement",
                data=_citizen(c["code"], c["tracking_pin"]),
                files=[("files", (FILE_NAME, PDF, "application/pdf"))],
                timeout=15,
            ).status_code
        ),
        lambda s: s == 202,
        what="supplement taken once intake tracks status 5",
    )
    wait_for(
        lambda: httpx.get(case(c["code"]), auth=officer).json()["case"]["status"],
        lambda s: s == 4,
        what="supplement recorded by resolution",
    )
    # A fee (issue 15): the applicant opens a payment order with the ID number and secret, a clerk
    # takes it in cash, and the applicant opens the e-receipt the same way.
    _post(case(c["code"], "request-fee"), {"amount": 120_000, "collection": "at_return"}, auth=officer)
    wait_for(
        lambda: (
            httpx.post(
                f"{intake}/api/v1/dossiers/{c['code']}/payment", json=_citizen(c["code"], c["tracking_pin"]), timeout=15
            ).status_code
        ),
        lambda s: s == 200,
        what="payment order once intake tracks the fee",
    )
    _post(case(c["code"], "record-payment"), {"method": "cash", "amount": 120_000}, auth=clerk)
    wait_for(
        lambda: (
            httpx.post(
                f"{intake}/portal/receipt/{c['code']}", data=_citizen(c["code"], c["tracking_pin"]), timeout=15
            ).status_code
        ),
        lambda s: s == 200,
        what="e-receipt once intake tracks the payment",
    )
    _post(case(c["code"], "approve"), {}, auth=leader)
    _post(case(c["code"], "resolve"), {}, auth=officer)
    _post(case(c["code"], "return-result"), {}, auth=officer)
    rate = {**_citizen(c["code"], c["tracking_pin"]), "score": 4, "comment": RATING_COMMENT}
    wait_for(
        lambda: httpx.post(f"{intake}/api/v1/dossiers/{c['code']}/rating", json=rate, timeout=15).status_code,
        lambda s: s == 202,
        what="rating taken once intake tracks status 10",
    )

    # Counter, then withdrawn by the applicant after acceptance: the request crosses to resolution.
    d = _post(f"{intake}/api/v1/dossiers", {**dossier, "channel": "counter"}, auth=clerk, status=201)
    wait_for(lambda: httpx.get(case(d["code"]), auth=officer).status_code, lambda s: s == 200)
    body = {**_citizen(d["code"], d["tracking_pin"]), "reason": WITHDRAWAL_REASON}
    assert _post(f"{intake}/api/v1/dossiers/{d['code']}/withdraw", body, status=202)["forwarded"] is True

    # Online: the clerk asks for papers, records them with a note (which accepts the dossier); the
    # officer sends it to the tax office, which sends it back, apologises for the delay and stops it.
    g = _post(f"{intake}/api/v1/dossiers", {**dossier, "channel": "online"}, status=201)
    asked = {"missing_documents": ["Ban sao"], "reason": STAFF_TEXTS["intake supplement reason"]}
    _post(f"{intake}/api/v1/dossiers/{g['code']}/request-supplement", asked, auth=clerk)
    _post(f"{intake}/api/v1/dossiers/{g['code']}/record-supplement", {"reason": STAFF_TEXTS["acceptance note"]}, clerk)
    wait_for(lambda: httpx.get(case(g["code"]), auth=officer).status_code, lambda s: s == 200)
    _post(case(g["code"], "start-processing"), {}, auth=officer)
    _post(case(g["code"], "send"), {"reason": STAFF_TEXTS["send-to-agency reason"]}, auth=officer)
    _post(case(g["code"], "send-back"), {"reason": STAFF_TEXTS["back-from-agency reason"]}, staff.auth("officer_tax"))
    due = datetime.fromisoformat(httpx.get(case(g["code"]), auth=officer, timeout=10).json()["case"]["due_at"])
    late = {"reason": STAFF_TEXTS["apology reason"], "new_appointment_at": (due + timedelta(days=3)).isoformat()}
    _post(case(g["code"], "apology"), late, auth=officer)
    _post(case(g["code"], "stop"), {"reason": STAFF_TEXTS["stop reason"]}, auth=officer)

    # An import line: a legacy dossier returned, refused at the end of its history by a clerk's words.
    e_code = f"E2E-CANARY-{RUN}"
    steps = [(2, "2026-01-05T01:10:00+00:00", None), (4, "2026-01-05T02:10:00+00:00", None)]
    steps += [(9, "2026-01-05T03:10:00+00:00", None), (10, "2026-01-05T04:10:00+00:00", None)]
    f_code = f"E2E-CANARY-{RUN}-F"
    refused = [(1, "2026-01-05T01:10:00+00:00", None), (3, "2026-01-05T02:10:00+00:00", REFUSAL_REASON)]
    lines = [
        {"code": code, "procedure_code": LAND, "channel": channel, "applicant": APPLICANT, "documents": ["To khai"]}
        | {"history": [{"status": s, "at": at, "actor": "canbo.cu", "reason": r} for s, at, r in history]}
        for code, channel, history in ((e_code, "counter", steps), (f_code, "online", refused))
    ]
    r = httpx.post(
        f"{intake}/api/v1/imports",
        params={"source": "e2e-canary"},
        content="\n".join(json.dumps(line) for line in lines).encode() + b"\n",
        headers={"Content-Type": "application/x-ndjson"},
        auth=leader,
        timeout=60,
    )
    assert r.status_code == 200 and r.json()["imported"] == 2, r.text
    return [a["code"], b["code"], b2["code"], c["code"], d["code"], e_code, f_code, g["code"], c["tracking_pin"]]


async def _kafka_leaks(bootstrap: str) -> dict[str, list[str]]:
    """Every record of the four topics, from the first offset to the end, key, value and headers."""
    consumer = AIOKafkaConsumer(**client_options(bootstrap), enable_auto_commit=False)
    await consumer.start()
    leaks: dict[str, list[str]] = {}
    try:
        parts = [
            TopicPartition(topic, p)
            for topic in (LIFECYCLE_TOPIC, REQUESTS_TOPIC, DEAD_LETTER_TOPIC, SESSIONS_TOPIC)
            for p in consumer.partitions_for_topic(topic) or await _partitions(consumer, topic)
        ]
        ends = await consumer.end_offsets(parts)
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        left = {tp for tp, end in ends.items() if end > 0}
        read = 0
        while left:
            batch = await consumer.getmany(*left, timeout_ms=2000, max_records=5000)
            assert batch or all(await consumer.position(tp) >= ends[tp] for tp in left), "Kafka stopped answering"
            for tp, records in batch.items():
                for m in records:
                    read += 1
                    raw = b" ".join([m.key or b"", m.value or b"", *(v for _, v in m.headers or ())])
                    if found := _found(raw.decode(errors="replace")):
                        leaks[f"{tp.topic}[{tp.partition}]@{m.offset}"] = found
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        assert read > 0
    finally:
        await consumer.stop()
    return leaks


async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
    await consumer._client.force_metadata_update()
    return consumer.partitions_for_topic(topic) or set()


async def _table_leaks(url: str, canaries: dict[str, str]) -> dict[str, list[str]]:
    """Every row of every table of the database (all schemas: stats keeps generations), as text."""
    pattern = "|".join(f"({v})|({v.encode().hex()})" for v in (_escape(v) for v in canaries.values()))
    conn = await asyncpg.connect(url)
    leaks: dict[str, list[str]] = {}
    try:
        tables = await conn.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "AND table_schema NOT IN ('pg_catalog', 'information_schema')"
        )
        assert tables
        for t in tables:
            name = f'"{t["table_schema"]}"."{t["table_name"]}"'
            rows = await conn.fetch(f"SELECT t::text AS row FROM {name} t WHERE t::text ~ $1 LIMIT 5", pattern)
            for row in rows:
                leaks.setdefault(name, []).extend(_found(row["row"], canaries))
    finally:
        await conn.close()
    return leaks


def _escape(value: str) -> str:
    return "".join(f"\\{ch}" if not ch.isalnum() and ch != " " else ch for ch in value)


async def test_personal_values_reach_no_topic_table_log_or_metric(services, staff, endpoints, tmp_path_factory):
    *codes, pin = _run_every_route(services, staff)
    clerk = staff.auth("clerk")
    for code, status in zip(codes, (7, 3, 3, 10, 7, 10, 3, 8), strict=True):
        wait_for(
            lambda code=code: httpx.get(
                f"{services['intake']}/api/v1/dossiers/{code}", auth=staff.auth("leader"), timeout=10
            ).json()["status"],
            lambda s, status=status: s == status,
            timeout=30,
            what=f"{code} tracked at {status}",
        )
    # intake itself keeps them (that is where they belong): the test sent what it meant to.
    kept = httpx.get(f"{services['intake']}/api/v1/dossiers/{codes[0]}", auth=clerk, timeout=10).json()
    assert kept["withdrawal_reason"] == WITHDRAWAL_REASON
    # ... and reads resolution's words, sealed on the topic, in clear: the apology (form 04) and the
    # papers asked for, as the citizen's tracking view shows them.
    stopped = httpx.get(f"{services['intake']}/api/v1/dossiers/{codes[7]}", auth=clerk, timeout=10).json()
    assert stopped["apology_reason"] == STAFF_TEXTS["apology reason"]
    tracked = _post(f"{services['intake']}/api/v1/dossiers/{codes[3]}/track", _citizen(codes[3], pin))
    assert STAFF_TEXTS["resolution supplement reason"] in json.dumps(tracked, ensure_ascii=False), tracked
    await settle(endpoints, timeout=60)  # every outbox sent, every consumer group caught up

    leaks = {f"kafka {k}": v for k, v in (await _kafka_leaks(endpoints["KAFKA_BOOTSTRAP_SERVERS"])).items()}
    # resolution keeps the staff's words it needs (the control slip prints them); stats holds none.
    for service, canaries in (("resolution", CANARIES), ("stats", EVERYTHING)):
        found = await _table_leaks(endpoints[f"{service.upper()}_DATABASE_URL"], canaries)
        leaks |= {f"{service} table {k}": v for k, v in found.items()}
    logs = sorted(tmp_path_factory.getbasetemp().glob("service-logs*/*.log"))
    assert {p.name for p in logs} >= {"intake.log", "resolution.log", "stats.log"}
    for path in logs:
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
            if found := _found(line):
                leaks[f"log {path.name}:{n}"] = found
    for name, url in services.items():
        page = httpx.get(f"{url}/metrics", timeout=10)
        assert page.status_code == 200
        if found := _found(page.text):
            leaks[f"{name} /metrics"] = found
    assert not leaks, f"personal data found outside intake: {leaks}"
