"""A generated half-year of a district (21,004 dossiers, the seed meeting's figure) imported
through intake's import endpoint and carried by the same events to resolution and stats: the
report for the half-year (form 06: received when accepted) grows by exactly the generator's own
tally cell for cell, per agency and per month (other tests may have left dossiers in that period before),
reconciliation finds nothing, and a rebuild from the topic gives the same report byte for byte."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta

import asyncpg
import httpx
import pytest

from deploy.demo.halfyear import generate, tally
from services.intake.service.catalogue import SHIPPED_CATALOGUE, read_catalogue
from tests.e2e.conftest import REPO
from tests.e2e.reconciliation import reconcile_over_http

pytestmark = pytest.mark.e2e
AGENCIES = {a.id: a for a in read_catalogue(SHIPPED_CATALOGUE).agencies}


def unit_of(agency: str) -> str:
    """The row of the form by level a dossier of `agency` counts in: a branch's is its department's."""
    a = AGENCIES[agency]
    return a.parent_id if a.level == "branch" and a.parent_id else agency


def section_of(agency: str) -> str:
    return "commune" if AGENCIES[agency].level == "commune" else "province"


H1 = (date(2026, 1, 1), date(2026, 6, 30))
# the half-year, then each of its months
PERIODS = [H1] + [(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1)) for m in range(1, 7)]
CHUNK = 1000


async def applied_seq(stats_url: str, codes: list[str]) -> int:
    conn = await asyncpg.connect(stats_url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        return await conn.fetchval(f"SELECT coalesce(sum(last_seq), 0) FROM {schema}.facts WHERE code = ANY($1)", codes)
    finally:
        await conn.close()


async def test_a_half_year_imported_reported_reconciled_and_rebuilt(services, endpoints, staff):
    dossiers = generate()
    lines = [json.dumps(d.line, ensure_ascii=False) for d in dossiers]
    expected = tally(dossiers, *H1)
    # every dossier is received for resolution, or refused, withdrawn or still waiting before it
    outside = sum(expected.get(k, 0) for k in ("refused", "withdrawn_before", "awaiting"))
    assert expected["received_total"] + outside == 21_004 and expected.get("carried_over", 0) == 0
    assert 20_000 < expected["resolved_total"] < expected["received_total"]

    imported = 0
    async with httpx.AsyncClient(timeout=300, auth=staff.auth("leader")) as client:

        async def agency_rows() -> dict[tuple[date, date, str | None], dict]:
            """The half-year and each of its months, per agency and in total (key None)."""
            out = {}
            for start, end in PERIODS:
                r = await client.get(
                    f"{services['stats']}/api/v1/stats/report",
                    params={"from": start.isoformat(), "to": end.isoformat(), "group_by": "agency"},
                )
                report = r.json()
                assert report["unaccounted"] == 0
                for row in [*report["rows"], report["total"]]:
                    out[(start, end, row["key"])] = row
            return out

        async def level_rows() -> dict[tuple[str, str | None], dict]:
            """The half-year by level: each row, each section's subtotal, and the total."""
            r = await client.get(
                f"{services['stats']}/api/v1/stats/report",
                params={"from": H1[0].isoformat(), "to": H1[1].isoformat(), "group_by": "level"},
            )
            report = r.json()
            assert report["unaccounted"] == 0
            out: dict[tuple[str, str | None], dict] = {("total", None): report["total"]}
            for part in report["sections"]:
                out[("section", part["key"])] = part["subtotal"]
                out |= {("row", row["key"]): row for row in part["rows"]}
            return out

        before = await agency_rows()
        before_level = await level_rows()
        for first in range(0, len(lines), CHUNK):
            r = await client.post(
                f"{services['intake']}/api/v1/imports",
                params={"source": "halfyear-test", "first_line": first + 1},
                content="\n".join(lines[first : first + CHUNK]).encode(),
                headers={"content-type": "application/x-ndjson"},
            )
            assert r.status_code == 200, r.text
            answer = r.json()
            assert answer["errors"] == [], answer["errors"][:3]
            imported += answer["imported"]
        assert imported == len(lines)

        # every event of every dossier applied by stats: its seq is its history plus the rating
        codes = [d.line["code"] for d in dossiers]
        events = sum(len(d.line["history"]) + ("rating" in d.line) for d in dossiers)
        deadline = time.monotonic() + 600
        while (done := await applied_seq(endpoints["STATS_DATABASE_URL"], codes)) < events:
            assert time.monotonic() < deadline, f"stats applied {done} of {events} events"
            await asyncio.sleep(0.5)
        assert done == events

        # cell for cell: the half-year and every month, every agency and the total
        after = await agency_rows()
        counts = [k for k in next(iter(after.values())) if k not in ("key", "name", "on_time_rate", "parts")]
        agencies = {d.agency_id for d in dossiers}
        assert len(agencies) > 1
        for start, end in PERIODS:
            for agency in [*sorted(agencies), None]:
                mine = [d for d in dossiers if agency in (None, d.agency_id)]
                tallied = tally(mine, start, end)
                was = before.get((start, end, agency), {})
                now = after.get((start, end, agency), {})
                got = {k: now.get(k, 0) - was.get(k, 0) for k in counts}
                assert got == {k: tallied.get(k, 0) for k in counts}, (start, agency)

        # by level, as the province lays the form out: each department's row holds its branches,
        # each section's subtotal its rows; each grows by the tally of the dossiers it rolls up
        after_level = await level_rows()
        rolled: dict[tuple[str, str | None], list] = {}
        for d in dossiers:
            for key in (("row", unit_of(d.agency_id)), ("section", section_of(d.agency_id)), ("total", None)):
                rolled.setdefault(key, []).append(d)
        assert {k[1] for k in rolled if k[0] == "section"} == {"province", "commune"}
        for key, mine in rolled.items():
            was, now = before_level.get(key, {}), after_level.get(key, {})
            got = {k: now.get(k, 0) - was.get(k, 0) for k in counts}
            assert got == {k: tally(mine, *H1).get(k, 0) for k in counts}, key

        rec = await reconcile_over_http(services["stats"], staff.auth("monitor"))
        assert rec["mismatches"] == 0, rec
        assert rec["dossiers_compared_with_resolution"] >= 20_000

        # importing the same lines again changes nothing
        again = await client.post(
            f"{services['intake']}/api/v1/imports",
            params={"source": "halfyear-test", "first_line": 1},
            content="\n".join(lines[:CHUNK]).encode(),
            headers={"content-type": "application/x-ndjson"},
        )
        assert again.status_code == 200, again.text
        assert again.json()["imported"] == 0 and again.json()["already_present"] == CHUNK

        files = {}
        for fmt in ("json", "csv"):
            files[fmt] = (
                await client.get(
                    f"{services['stats']}/api/v1/stats/report",
                    params={"from": H1[0].isoformat(), "to": H1[1].isoformat(), "group_by": "procedure", "format": fmt},
                )
            ).content
        rebuilt = subprocess.run(
            [sys.executable, "-m", "services.stats.entrypoints.commands", "rebuild"],
            cwd=REPO,
            env={**os.environ, **endpoints},
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
        summary = json.loads(rebuilt.stdout)
        assert summary["events"] >= events
        for fmt, before in files.items():
            after = (
                await client.get(
                    f"{services['stats']}/api/v1/stats/report",
                    params={"from": H1[0].isoformat(), "to": H1[1].isoformat(), "group_by": "procedure", "format": fmt},
                )
            ).content
            assert after == before, f"the {fmt} report changed after the rebuild"
        assert (await reconcile_over_http(services["stats"], staff.auth("monitor")))["mismatches"] == 0
