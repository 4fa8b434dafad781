"""Two clerks acting on one case at the same moment: one succeeds, the other gets a clear 409,
and the control slip and the events stay one unbroken sequence."""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter

import asyncpg
import httpx
import pytest

from tests.conftest import eventually
from tests.e2e.settle import settle
from tests.e2e.signin import staff_credentials

pytestmark = pytest.mark.e2e
CASES = 12
# (first clerk's action, second clerk's action, status the case must be in before)
RACES = [("start-processing", "start-processing"), ("resolve", "resolve"), ("return-result", "return-result")]
MIXED = [("start-processing", "start-processing"), ("resolve", "stop")]


async def race(client, url: str, code: str, actions: tuple[str, str]) -> list[httpx.Response]:
    return await asyncio.gather(
        *[
            client.post(f"{url}/api/v1/cases/{code}/{a}", json={"by": f"cb.{i}", "reason": "race"})
            for i, a in enumerate(actions)
        ]
    )


def check_one_winner(answers: list[httpx.Response], outcomes: Counter) -> None:
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409).json()["error"]
    assert "trạng thái" in loser["message_vi"] and "not allowed in status" in loser["message_en"], loser
    assert "allowed_actions" in loser and "current_status" in loser
    outcomes[next(a for a in answers if a.status_code == 200).json()["status"]] += 1


async def test_two_clerks_at_once_one_wins_the_other_gets_a_conflict(services, request):
    intake, resolution = services["intake"], services["resolution"]
    procedure = "1.013831"  # the land office's: one agency performs it, a leader signs its results
    outcomes: Counter = Counter()
    async with httpx.AsyncClient(timeout=20, auth=staff_credentials(request)) as client:
        codes = []
        for _i in range(CASES):
            r = await client.post(
                f"{intake}/api/v1/dossiers",
                json={
                    "procedure_code": procedure,
                    "channel": "counter",
                    "received_by": "canbo.race",
                    "applicant": {"name": "Đỗ Văn Em", "id_number": "001188007766"},
                    "documents": ["Tờ khai"],
                },
            )
            assert r.status_code == 201, r.text
            codes.append(r.json()["code"])
        for code in codes:
            await eventually(lambda code=code: _case_exists(client, resolution, code), what=f"case {code} opened")
        # Half the cases run the same action twice at every step, half race resolve against stop.
        for n, code in enumerate(codes):
            for actions in RACES if n % 2 == 0 else MIXED:
                if actions[0] == "resolve":  # handed to an officer and approved before the decision
                    for step, body in (("assign", {"auto": True}), ("approve", {})):
                        r = await client.post(f"{resolution}/api/v1/cases/{code}/{step}", json=body)
                        assert r.status_code == 200, r.text
                check_one_winner(await race(client, resolution, code, actions), outcomes)
        histories = {code: (await client.get(f"{resolution}/api/v1/cases/{code}")).json() for code in codes}

    conn = await asyncpg.connect(os.environ["RESOLUTION_DATABASE_URL"])
    try:
        for code, answer in histories.items():
            seqs = [h["seq"] for h in answer["history"]]
            assert seqs == list(range(1, len(seqs) + 1)), (code, seqs)  # no gap, no seq written twice
            steps = [(h["from_status"], h["to_status"]) for h in answer["history"] if h["to_status"]]
            assert all(a[1] == b[0] for a, b in itertools.pairwise(steps)), (code, steps)  # each move from the last
            events = [
                r["seq"]
                for r in await conn.fetch(
                    "SELECT (convert_from(payload, 'UTF8')::jsonb->>'seq')::int AS seq FROM outbox WHERE key = $1 ORDER BY id",
                    code,
                )
            ]
            assert events == seqs[1:], (code, events)  # seq 1 is intake's; then one event per slip row
            assert answer["case"]["status"] in (8, 9, 10)  # returned, or the winner of resolve vs stop
    finally:
        await conn.close()
    races = sum(len(RACES if n % 2 == 0 else MIXED) for n in range(CASES))
    print(
        f"\ntwo clerks: {races} races on {CASES} cases -> {races} successes, {races} conflicts; "
        f"winning statuses {dict(sorted(outcomes.items()))}"
    )
    await settle(os.environ)


async def _case_exists(client, url, code) -> bool:
    return (await client.get(f"{url}/api/v1/cases/{code}")).status_code == 200
