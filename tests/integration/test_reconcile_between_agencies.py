"""Reconciliation of cases that went to another agency and came back (liên thông): the projection's
counters and board agree with the recount from facts and fact_steps. One case's clock paused away,
its due time moved past the old due day and it was resolved; another's clock ran; a third is still
away at NOW. While a paused case is away its old due time passing makes it neither overdue in a
period report nor on the board: it is counted as paused. Real Kafka and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from services.stats.service import reconcile, reports
from shared.events import EventType
from tests.integration.conftest import apply_events
from tests.integration.test_stats_reports import CAL, NOW, Dossier, at

TAX = "000.00.40.H26"


def away(d: Dossier, when, clock: str) -> Dossier:
    d.away_at, d.clock = when, clock
    return d._add(
        EventType.SENT_TO_AGENCY,
        when,
        {"actor": "staff", "to_agency_id": TAX, "step": 2, "step_name": "Thuế", "clock": clock},
    )


def back(d: Dossier, when) -> Dossier:
    if d.clock == "pauses":
        d.paused_h += CAL.working_hours_between(d.away_at, when)
        d.due = CAL.extend_for_pause(d.due, d.away_at, when)
    return d._add(EventType.BACK_FROM_AGENCY, when, {"actor": "tax", "from_agency_id": TAX, "step": 2, "due_at": d.due})


def trips() -> list[Dossier]:
    tag = uuid.uuid4().hex[:6]
    paused = Dossier(f"LT-P-{tag}", "counter", 24).accepted(at("03-02", "09:00")).processing(at("03-02", "09:30"))
    away(paused, at("03-02", "10:00"), "pauses")
    back(paused, at("03-09", "10:00")).resolved(at("03-10", "10:00"))  # after the old due, before the new
    ran = Dossier(f"LT-R-{tag}", "counter", 24).accepted(at("03-03", "09:00")).processing(at("03-03", "09:30"))
    away(ran, at("03-03", "10:00"), "runs")
    back(ran, at("03-09", "10:00")).resolved(at("03-10", "11:00"))  # late: the clock ran
    still = Dossier(f"LT-S-{tag}", "counter", 8).accepted(at("04-01", "09:00")).processing(at("04-01", "09:30"))
    away(still, at("04-01", "10:00"), "pauses")
    # Away across April's end: the old due day (March) is before it, the moved one after it, so April's
    # closing stock counts it within its time only if the return re-entered the stocks.
    across = Dossier(f"LT-A-{tag}", "counter", 24).accepted(at("03-25", "09:00")).processing(at("03-25", "09:30"))
    away(across, at("03-25", "10:00"), "pauses")
    back(across, at("04-29", "10:00"))
    return [paused, ran, still, across]


@pytest.fixture
async def applied(bootstrap, fresh_topic, stats_db) -> list[Dossier]:
    dossiers = trips()
    await apply_events(bootstrap, fresh_topic, stats_db, [e for d in dossiers for e in d.events])
    return dossiers


async def test_cases_away_and_back_reconcile_with_no_mismatch(applied, bootstrap, stats_db):
    dossiers = applied
    paused = dossiers[0]
    fact = await stats_db.fetchrow("SELECT due_at, compliance, agency_id FROM facts WHERE code = $1", paused.code)
    assert fact["due_at"] == paused.due and fact["compliance"] != "late", "the due time moved by the time away"
    assert dossiers[3].due > at("04-30", "23:59"), "the test's premise: moved past April's end"
    assert await stats_db.fetchval("SELECT count(DISTINCT agency_id) FROM facts") == 1, "nothing for the tax office"
    found = await reconcile.reconcile(stats_db, NOW, None, bootstrap, settle_s=0, scope="full")
    assert found["mismatches"] == 0, found


def unfinished(report: dict) -> tuple[int, int, int, int]:
    """Form 06's in processing within and overdue, and beside it paused and paused overdue."""
    keys = ("in_processing_within", "in_processing_overdue", "paused_total", "paused_overdue")
    return tuple(report["total"][k] for k in keys)  # type: ignore[return-value]


async def test_a_case_away_with_its_clock_paused_is_not_overdue_when_its_old_due_time_passes(
    applied, bootstrap, stats_db
):
    paused, ran, still, across = applied
    # The week of 2 March: the paused case's old due time (Thu 5 March) passed while it was away, the
    # running one's (Fri 6 March 09:00) passed too; only the running one is overdue at the week's end.
    assert paused.events[2].occurred_at < at("03-05", "09:30") < paused.events[3].occurred_at
    assert ran.accepted_at is not None and CAL.due_time(ran.accepted_at, 24) < at("03-06", "23:59")
    week = await reports.period_report(stats_db, NOW, date(2026, 3, 2), date(2026, 3, 6), "agency")
    assert unfinished(week) == (1, 1, 1, 0), week["total"]
    # March's end: the case away since 25 March (old due 30 March) is paused within, not overdue.
    march = await reports.period_report(stats_db, NOW, date(2026, 3, 1), date(2026, 3, 31), "agency")
    assert unfinished(march) == (1, 0, 1, 0), march["total"]
    # April's end: that one is back, within its moved time; the one away since 1 April (old due 2 April)
    # is still away, paused within.
    april = await reports.period_report(stats_db, NOW, date(2026, 4, 1), date(2026, 4, 30), "agency")
    assert unfinished(april) == (2, 0, 1, 0), april["total"]
    board = {r["code"]: r["bucket"] for r in await stats_db.fetch("SELECT code, bucket FROM facts")}
    assert board[still.code] == "paused_within" and board[across.code] == "processing_within"
    found = await reconcile.reconcile(stats_db, NOW, None, bootstrap, settle_s=0, scope="full")
    assert found["mismatches"] == 0, found
