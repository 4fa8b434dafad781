"""Between agencies (liên thông): the pure rules of sending a case to another agency and back, and the
statistics of a case that went away and came back (counted once, stocks agreeing with its steps)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.intake.domain.catalogue import Catalogue
from services.resolution.domain import interagency
from services.resolution.domain.assignment import AssignmentRefused
from services.resolution.domain.case import Case, missing_for_decision
from services.stats.domain.projection import project
from shared.calendar import default_calendar
from shared.errors import Forbidden, InvalidRequest
from shared.events import EventType, ProcessStep, make_event
from shared.lifecycle import Status
from shared.local_time import local_day

CAL = default_calendar()
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
TAX = "000.00.40.H26"
LAND = "000.00.20.H26"
CATALOGUE = Path(__file__).parents[2] / "services/intake/data/hanoi_catalogue.json"


def process(clock: str) -> tuple[ProcessStep, ...]:
    return (
        ProcessStep(name="Tiếp nhận hồ sơ", role="clerk", hours=2),
        ProcessStep(name="Kiểm tra hồ sơ", role="officer", hours=14),
        ProcessStep(
            name="Xác định nghĩa vụ tài chính (cơ quan thuế)", role="officer", hours=8, agency_id=TAX, clock=clock
        ),
        ProcessStep(name="Chỉnh lý hồ sơ", role="officer", hours=8),
        ProcessStep(name="Phê duyệt", role="leader", hours=8),
    )


def case(clock: str = "runs") -> Case:
    return Case(
        code="LT-1",
        agency_id=LAND,
        procedure_code="1.013831",
        channel="counter",
        status=Status.PROCESSING,
        accepted_at=T0,
        due_at=CAL.due_time(T0, 40),
        processing_hours=40,
        time_type="working",
        clock_policy="pause",
        rule_version="v",
        last_seq=3,
        process=process(clock),
        requires_approval=True,
        assignee="officer_land",
        step=1,
    )


def sent(c: Case, at: datetime = T0) -> Case:
    return interagency.send(c, actor="officer_land", role="officer", actor_agency_id=LAND, step=None, now=at).case


def test_the_catalogue_names_the_tax_office_on_both_land_procedures_and_refuses_an_unknown_agency():
    raw = json.loads(CATALOGUE.read_text())
    cat = Catalogue.model_validate(raw)
    tax_steps = {p.code: s for p in cat.procedures for s in p.process if s.agency_id}
    assert tax_steps["1.013831"].agency_id == TAX and tax_steps["1.013831"].clock == "runs"
    assert tax_steps["1.013978"].agency_id == TAX and tax_steps["1.013978"].clock == "pauses"
    for p in raw["procedures"]:
        for s in p.get("process", []):
            if s.get("agency_id"):
                s["agency_id"] = "000.00.99.H99"
    with pytest.raises(ValueError, match=r"unknown agency 000\.00\.99\.H99"):
        Catalogue.model_validate(raw)


def test_send_defaults_to_the_next_step_of_another_agency_and_the_event_says_where():
    out = interagency.send(case(), actor="officer_land", role="officer", actor_agency_id=LAND, step=None, now=T0)
    assert out.event_type is EventType.SENT_TO_AGENCY
    assert (out.payload.to_agency_id, out.payload.step, out.payload.clock) == (TAX, 2, "runs")
    assert out.case.status is Status.PROCESSING and out.case.away_agency_id == TAX and out.case.last_seq == 4
    with pytest.raises(InvalidRequest):
        interagency.send(case(), actor="officer_land", role="officer", actor_agency_id=LAND, step=3, now=T0)
    with pytest.raises(AssignmentRefused):  # already away
        sent(out.case)


def test_only_the_holder_or_a_leader_sends_and_only_the_other_agency_sends_back():
    with pytest.raises(Forbidden):
        interagency.send(case(), actor="someone", role="officer", actor_agency_id=LAND, step=None, now=T0)
    interagency.send(case(), actor="leader_land", role="leader", actor_agency_id=LAND, step=None, now=T0)
    away = sent(case())
    with pytest.raises(Forbidden):
        interagency.send_back(away, actor="officer_land", role="officer", actor_agency_id=LAND, now=T0, calendar=CAL)
    interagency.send_back(away, actor="officer_tax", role="officer", actor_agency_id=TAX, now=T0, calendar=CAL)
    interagency.send_back(away, actor="clerk", role="officer", actor_agency_id=None, now=T0, calendar=CAL)
    with pytest.raises(AssignmentRefused):  # not away
        interagency.send_back(case(), actor="officer_tax", role="officer", actor_agency_id=TAX, now=T0, calendar=CAL)


def test_resolve_is_refused_while_away():
    c = replace(case(), approved_at=T0, approved_by="leader_land")
    assert missing_for_decision(c) == []
    assert missing_for_decision(sent(c)) == ["at_other_agency"]


@pytest.mark.parametrize("clock", ["runs", "pauses"])
def test_the_due_time_moves_by_the_working_time_away_only_when_the_clock_pauses(clock):
    c = case(clock)
    back_at = T0 + timedelta(days=1)  # Tuesday 09:00: eight working hours away
    away = sent(c)
    assert interagency.watcher_may_notify(away) is (clock == "runs")
    out = interagency.send_back(
        away, actor="officer_tax", role="officer", actor_agency_id=TAX, now=back_at, calendar=CAL
    )
    assert out.case.away_agency_id is None and out.payload.from_agency_id == TAX
    if clock == "runs":
        assert out.case.due_at == c.due_at == out.payload.due_at
    else:
        assert out.payload.due_at == out.case.due_at == CAL.extend_for_pause(c.due_at, T0, back_at) > c.due_at
        assert out.case.paused_hours == pytest.approx(8)
    assert interagency.back_on_time(T0, c.process[2], back_at, CAL)
    assert not interagency.back_on_time(T0, c.process[2], back_at + timedelta(days=1), CAL)


# Statistics ---------------------------------------------------------------------------------------
DIMS = {"agency_id": LAND, "procedure_code": "1.013978", "channel": "counter", "applicant_type": 0}


def ev(seq, type_, at, **payload):
    return make_event(
        type_, dossier_code="LT-S", seq=seq, occurred_at=at, producer="t", correlation_id="c", payload=payload
    )


def away_and_back(due: datetime, back_at: datetime, new_due: datetime, clock: str = "pauses") -> list:
    return [
        ev(
            1,
            EventType.ACCEPTED,
            T0,
            to_status=2,
            actor="clerk",
            dimensions=DIMS,
            accepted_at=T0,
            deadline={
                "due_at": due,
                "processing_hours": 8,
                "time_type": "working",
                "clock_policy": "pause",
                "rule_version": "v",
            },
        ),
        ev(2, EventType.PROCESSING_STARTED, T0, from_status=2, to_status=4, actor="officer_land", due_at=due),
        ev(
            3,
            EventType.SENT_TO_AGENCY,
            T0 + timedelta(hours=1),
            actor="officer_land",
            to_agency_id=TAX,
            step=2,
            step_name="Thuế",
            clock=clock,
        ),
        ev(4, EventType.BACK_FROM_AGENCY, back_at, actor="officer_tax", from_agency_id=TAX, step=2, due_at=new_due),
    ]


def run(events):
    fact, board, stock, steps = None, {}, {}, []
    for e in events:
        change = project(fact, e)
        fact = change.fact
        for dims, bucket, n in change.buckets:
            board[(dims[0], bucket)] = board.get((dims[0], bucket), 0) + n
        for day, _dims, metric, n in change.daily:
            if metric.startswith("stock_"):
                stock.setdefault(day, {}).setdefault(metric, 0)
                stock[day][metric] += n
        if change.step:
            steps.append(change.step)
    return fact, {k: v for k, v in board.items() if v}, stock, steps


def stock_on(stock: dict, day: date) -> dict:
    out: dict = {}
    for d, metrics in stock.items():
        if d <= day:
            for m, n in metrics.items():
                out[m] = out.get(m, 0) + n
    return {m: n for m, n in out.items() if n}


def recount_on(steps: list, day: date) -> dict:
    """What recompute reads from fact_steps: the last step before the end of `day`, its due time."""
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC) - timedelta(hours=7)
    last = [s for s in steps if s[2] < end][-1]
    _seq, status, at, due, away = last
    assert status in (2, 4)
    if away:  # counted as paused: judged by its due time as it left
        return {"stock_paused_within" if due > at else "stock_paused_overdue": 1}
    return {"stock_processing_within" if due >= end else "stock_processing_overdue": 1}


def test_a_case_back_with_a_moved_due_time_is_counted_once_in_its_agency_and_the_stocks_agree_with_its_steps():
    due = T0 + timedelta(days=2)
    back_at = T0 + timedelta(days=3)  # back after the old due time, before the new one
    new_due = T0 + timedelta(days=6)
    events = away_and_back(due, back_at, new_due)
    fact, board, stock, steps = run(events)
    assert fact.last_seq == 4 and fact.status == 4 and fact.due_at == new_due and not fact.overdue
    assert not fact.away and board == {(LAND, "processing_within"): 1}  # counted once, in the competent agency
    assert [s[0] for s in steps] == [1, 2, 3, 4] and steps[-1][3] == new_due and steps[2][4]
    for offset in range(8):  # every day, away or not, the counters and the recount agree
        day = local_day(T0) + timedelta(days=offset)
        assert stock_on(stock, day) == recount_on(steps, day), day
    # Away past the old due day: paused and within its time, on the board and in the day's stock.
    away_fact, away_board, away_stock, _ = run(events[:3])
    assert away_fact.away and away_board == {(LAND, "paused_within"): 1}
    assert stock_on(away_stock, local_day(due) + timedelta(days=1)) == {"stock_paused_within": 1}


def test_a_case_back_with_the_clock_running_changes_nothing_but_its_sequence():
    due = T0 + timedelta(days=2)
    fact, board, _stock, steps = run(away_and_back(due, T0 + timedelta(days=1), due, clock="runs"))
    assert fact.last_seq == 4 and fact.due_at == due
    assert board == {(LAND, "processing_within"): 1}
    assert [s[0] for s in steps] == [1, 2]
