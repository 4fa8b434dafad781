"""The same dossier sent again with the same Idempotency-Key is received once, on real PostgreSQL,
also when the copies arrive at the same moment."""

from __future__ import annotations

import asyncio
import os
import uuid

import asyncpg
import httpx
import pytest

from tests.e2e.settle import settle
from tests.e2e.signin import staff_credentials

pytestmark = pytest.mark.e2e


def body(services, tag: str, **changes) -> dict:
    """A counter dossier whose applicant's name carries `tag`, so the test can count its dossiers."""
    procedure = "1.013831"  # the land office's: the only agency that performs it, so no agency to choose
    return {
        "procedure_code": procedure,
        "channel": "counter",
        "received_by": "canbo.motcua",
        "applicant": {"name": f"Phạm Thị Dung {tag}", "id_number": "001299004321"},
        "documents": ["Tờ khai"],
        **changes,
    }


async def counts(tag: str) -> tuple[int, int]:
    """Dossiers of the applicant named with `tag`, and the outbox events about them."""
    conn = await asyncpg.connect(os.environ["INTAKE_DATABASE_URL"])
    try:
        name = f"Phạm Thị Dung {tag}"
        dossiers = await conn.fetchval("SELECT count(*) FROM dossiers WHERE applicant->>'name' = $1", name)
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox o JOIN dossiers d ON d.code = o.key WHERE d.applicant->>'name' = $1", name
        )
        return dossiers, events
    finally:
        await conn.close()


async def test_a_retry_returns_the_first_answer_and_another_body_is_refused(services, request):
    clerk = uuid.uuid4().hex[:8]
    key = str(uuid.uuid4())
    url = f"{services['intake']}/api/v1/dossiers"
    async with httpx.AsyncClient(timeout=10, auth=staff_credentials(request)) as client:
        first = await client.post(url, json=body(services, clerk), headers={"Idempotency-Key": key})
        again = await client.post(url, json=body(services, clerk), headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 201, (first.text, again.text)
        assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers

        other = await client.post(
            url, json=body(services, clerk, documents=["Tờ khai", "Bản sao"]), headers={"Idempotency-Key": key}
        )
        assert other.status_code == 422
        error = other.json()["error"]
        assert "Idempotency-Key" in error["message_vi"] and "different request" in error["message_en"]

        bad = await client.post(url, json=body(services, clerk), headers={"Idempotency-Key": "short"})
        assert bad.status_code == 422 and "Idempotency-Key" in bad.json()["error"]["message_en"]
        plain = await client.post(url, json=body(services, clerk))  # no key: a new dossier each time
        assert plain.status_code == 201 and plain.json()["code"] != first.json()["code"]
    assert await counts(clerk) == (2, 2)
    await settle(os.environ)


async def test_identical_requests_at_the_same_moment_receive_one_dossier(services, request):
    clerk = uuid.uuid4().hex[:8]
    url = f"{services['intake']}/api/v1/dossiers"
    rounds, copies = 5, 8
    async with httpx.AsyncClient(
        timeout=20, limits=httpx.Limits(max_connections=copies), auth=staff_credentials(request)
    ) as client:
        for _ in range(rounds):
            key = str(uuid.uuid4())
            answers = await asyncio.gather(
                *[client.post(url, json=body(services, clerk), headers={"Idempotency-Key": key}) for _ in range(copies)]
            )
            assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
            assert len({a.json()["code"] for a in answers}) == 1
            assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == copies - 1
    assert await counts(clerk) == (rounds, rounds)
    print(
        f"\nidempotency: {rounds} rounds of {copies} identical concurrent requests -> {rounds} dossiers, "
        f"{rounds} events"
    )
    await settle(os.environ)
