"""Inside an agency, in memory: assignment by a leader and by rule, self-assignment on start,
transfers between people and steps with each step's allowance, the approval gate, form 06's lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.legacy import LineError, parse_line, plan
from services.resolution.domain.assignment import Staffer, control_lines, steps
from services.resolution.domain.case import DecisionNotReady
from services.resolution.domain.replay import replay
from services.resolution.service import assignments, cases
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.errors import Conflict, Forbidden, InvalidRequest
from shared.events import LIFECYCLE_TOPIC, ImportedHistory
from shared.lifecycle import Action, Status
from tests.events import accepted_item
from tests.unit.fakes import MemoryResolutionRepository, Store, memory_units

CAL = default_calendar()
ACCEPTED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
LAND = "000.00.31.H26"
PROCESS = [
    {"name": "Tiếp nhận hồ sơ", "role": "clerk", "hours": 4},
    {"name": "Thẩm định hồ sơ", "role": "officer", "hours": 16},
    {"name": "Phê duyệt kết quả", "role": "leader", "hours": 8},
]
LEADER = Account("ld.datdai", Role.LEADER, LAND)
CENTRE_LEADER = Account("ld.trungtam", Role.LEADER, None)
AN = Account("cv.an", Role.OFFICER, LAND)
BINH = Account("cv.binh", Role.OFFICER, LAND)
STAFF = {
    "ld.datdai": Staffer("ld.datdai", "leader", LAND),
    "cv.an": Staffer("cv.an", "officer", LAND),
    "cv.binh": Staffer("cv.binh", "officer", LAND),
    "cv.nghi": Staffer("cv.nghi", "officer", LAND, active=False),
    "cv.congan": Staffer("cv.congan", "officer", "000.00.09.H26"),
}


def with_process(code: str) -> Item:
    due = CAL.due_time(ACCEPTED_AT, 32)
    return accepted_item(
        code, accepted_at=ACCEPTED_AT, due_at=due, agency=LAND, hours=32, process=PROCESS, requires_approval=True
    )


@pytest.fixture
async def agency():
    store = Store(staff=dict(STAFF))
    units = memory_units(store, MemoryResolutionRepository)
    old = accepted_item("OLD", accepted_at=ACCEPTED_AT, due_at=CAL.due_time(ACCEPTED_AT, 24), agency=LAND, hours=24)
    await cases.open_cases(units, [with_process("NEW"), old], CAL)
    return store, units


async def _assign(units, code, at, staff=LEADER, **kw):
    args = {"assignee": None, "step": None} | kw
    return await assignments.hand_over_case(
        units, CAL, at, code, staff=staff, correlation_id="c", by_leader=True, **args
    )


async def _act(units, code, action, at, staff):
    return await cases.perform(units, CAL, at, code, action, staff=staff, reason=None, correlation_id="c")


async def test_a_new_case_starts_at_its_first_step_after_reception(agency):
    store, _ = agency
    new, old = store.cases["NEW"], store.cases["OLD"]
    assert (new.step, new.step_due_at) == (1, CAL.due_time(ACCEPTED_AT, 16)), "the clerk's step was the counter's"
    assert [s.name for s in steps(old)] == ["Xử lý"] and old.step_due_at == old.due_at, "old events: one step"


async def test_leader_assigns_transfers_and_approval_gates_the_decision(agency):
    store, units = agency
    t = ACCEPTED_AT + timedelta(hours=1)
    case = await _assign(units, "NEW", t, assignee="cv.an")
    assert (case.assignee, case.step, case.last_seq) == ("cv.an", 1, 2)
    await _act(units, "NEW", Action.START_PROCESSING, t, AN)  # already held: no second assignment
    with pytest.raises(Forbidden):  # not the holder, not a leader
        await assignments.hand_over_case(
            units, CAL, t, "NEW", staff=BINH, assignee="cv.binh", step=None, correlation_id="c"
        )
    case = await assignments.hand_over_case(
        units, CAL, t, "NEW", staff=AN, assignee="cv.binh", step=None, correlation_id="c"
    )
    assert (case.assignee, case.step_due_at) == ("cv.binh", CAL.due_time(ACCEPTED_AT, 16)), "same step, same due"
    with pytest.raises(InvalidRequest):  # the leader's step goes to a leader
        await assignments.hand_over_case(units, CAL, t, "NEW", staff=BINH, assignee="cv.an", step=2, correlation_id="c")
    late = CAL.due_time(ACCEPTED_AT, 16) + timedelta(hours=1)
    case = await assignments.hand_over_case(
        units, CAL, late, "NEW", staff=BINH, assignee="ld.datdai", step=2, correlation_id="c"
    )
    assert (case.step, case.step_due_at) == (2, CAL.due_time(late, 8)), "the next step's allowance runs from now"
    with pytest.raises(DecisionNotReady) as refused:
        await _act(units, "NEW", Action.RESOLVE, late, LEADER)
    assert refused.value.detail == {"missing": ["approval"]} and "phê duyệt" in refused.value.vi
    await assignments.approve_case(units, late, "NEW", staff=LEADER, correlation_id="c")
    with pytest.raises(Conflict):
        await assignments.approve_case(units, late, "NEW", staff=LEADER, correlation_id="c")
    done = await _act(units, "NEW", Action.RESOLVE, late, LEADER)
    assert done.status is Status.RESOLVED
    events = [e for e in store.events(LIFECYCLE_TOPIC) if e.dossier_code == "NEW"]
    assert [e.seq for e in events] == list(range(2, 2 + len(events))), "one writer, continuous seq"
    assert [e.type for e in events] == [
        "dossier.assigned",
        "dossier.processing_started",
        "dossier.assigned",
        "dossier.assigned",
        "dossier.approved",
        "dossier.resolved",
    ]
    handed = [e.payload for e in events if e.type == "dossier.assigned"]
    assert [(p.from_assignee, p.assignee, p.step, p.previous_step_on_time) for p in handed] == [
        (None, "cv.an", 1, None),
        ("cv.an", "cv.binh", 1, True),
        ("cv.binh", "ld.datdai", 2, False),
    ]
    lines = control_lines(done, await MemoryResolutionRepository(store).handovers("NEW"), late, CAL)
    assert [(ln.step_name, ln.assignee, ln.result) for ln in lines] == [
        ("Thẩm định hồ sơ", "cv.an", "early"),
        ("Thẩm định hồ sơ", "cv.binh", "late"),
        ("Phê duyệt kết quả", "ld.datdai", "early"),  # decided the day before its step was due
    ]


async def test_assignment_rule_and_refusals(agency):
    _, units = agency
    t = ACCEPTED_AT + timedelta(hours=1)
    with pytest.raises(Forbidden):
        await _assign(units, "NEW", t, staff=AN, assignee="cv.an")
    for who in ("cv.nghi", "cv.congan", "nobody"):  # inactive, another agency's, unknown
        with pytest.raises(InvalidRequest):
            await _assign(units, "NEW", t, assignee=who)
    await _assign(units, "OLD", t, assignee="cv.an")  # cv.an now holds one open case
    case = await _assign(units, "NEW", t, staff=CENTRE_LEADER, auto=True)
    assert case.assignee == "cv.binh", "least loaded officer; the inactive one is never chosen"
    assert await assignments.worklist_view(units, BINH, view="mine", agency=None, limit=10, offset=0) == [case]
    assert [
        c.code
        for c in await assignments.worklist_view(units, LEADER, view="unassigned", agency=None, limit=10, offset=0)
    ] == []


async def test_officer_who_starts_an_unassigned_case_takes_it_old_cases_unchanged(agency):
    store, units = agency
    t = ACCEPTED_AT + timedelta(hours=1)
    await _act(units, "NEW", Action.START_PROCESSING, t, AN)
    with pytest.raises(DecisionNotReady):
        await _act(units, "NEW", Action.RESOLVE, t, AN)
    assert store.cases["NEW"].assignee == "cv.an"
    assert [e.type for e in store.events(LIFECYCLE_TOPIC) if e.dossier_code == "NEW"][:2] == [
        "dossier.assigned",
        "dossier.processing_started",
    ]
    await _act(units, "OLD", Action.START_PROCESSING, t, AN)
    old = await _act(units, "OLD", Action.RESOLVE, t, AN)  # no process, no approval rule: as before
    assert (old.status, old.assignee, old.last_seq) == (Status.RESOLVED, None, 3)
    with pytest.raises(Conflict):  # a decided case is handed to nobody
        await _assign(units, "OLD", t, assignee="cv.binh")


# --- imported histories with hand-overs and approvals -----------------------------------------


def _legacy(history: list[dict]) -> bytes:
    body = {
        "code": "LEGACY-0002",
        "procedure_code": "1.013831",
        "channel": "counter",
        "applicant": {"name": "Nguyễn Văn An", "id_number": "001203004567"},
        "history": history,
    }
    return json.dumps(body, ensure_ascii=False, default=str).encode()


def test_a_legacy_history_with_assignment_and_approval_replays_through_the_same_rules():
    at = [(ACCEPTED_AT + timedelta(hours=h)).isoformat() for h in range(6)]
    planned = plan(
        parse_line(
            _legacy(
                [
                    {"status": 2, "at": at[0], "actor": "canbo.tn"},
                    {"action": "assign", "assignee": "cv.an", "at": at[1], "actor": "ld.datdai"},
                    {"status": 4, "at": at[2], "actor": "cv.an"},
                    {"action": "assign", "assignee": "ld.datdai", "step": 2, "at": at[3], "actor": "cv.an"},
                    {"action": "approve", "at": at[4], "actor": "ld.datdai"},
                    {"status": 9, "at": at[5], "actor": "ld.datdai"},
                ]
            )
        ),
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    later = planned.later_steps
    assert [(s.action, s.to_status) for s in later] == [
        ("assign", None),
        (None, 4),
        ("assign", None),
        ("approve", None),
        (None, 9),
    ]
    base = cases.new_case(with_process("LEGACY-0002").message, CAL)
    done = replay(base, ImportedHistory(source="s", steps=later), CAL)
    assert done.refused is None
    assert [o.event_type.value for o, _ in done.outcomes] == [
        "dossier.assigned",
        "dossier.processing_started",
        "dossier.assigned",
        "dossier.approved",
        "dossier.resolved",
    ]
    assert (done.case.assignee, done.case.step, done.case.approved_by) == ("ld.datdai", 2, "ld.datdai")
    # Without the recorded approval the decision is kept all the same: it was taken (the old
    # system did not record who approved), and the slip shows no approval.
    kept = replay(base, ImportedHistory(source="s", steps=later[:3] + later[4:]), CAL)
    assert kept.refused is None and kept.case.status is Status.RESOLVED and kept.case.approved_by is None


def test_old_legacy_files_still_import_and_a_step_is_a_status_or_an_action():
    old = plan(parse_line(_legacy([{"status": 2, "at": ACCEPTED_AT, "actor": "a"}])), datetime(2026, 6, 1, tzinfo=UTC))
    assert old.later_steps == []
    for bad in (
        {"at": ACCEPTED_AT},
        {"status": 4, "action": "approve", "at": ACCEPTED_AT},
        {"action": "assign", "at": ACCEPTED_AT},
    ):
        with pytest.raises(LineError):
            parse_line(_legacy([{"status": 2, "at": ACCEPTED_AT}, bad]))
    with pytest.raises(LineError) as early:
        plan(
            parse_line(_legacy([{"status": 1, "at": ACCEPTED_AT}, {"action": "approve", "at": ACCEPTED_AT}])),
            datetime(2026, 6, 1, tzinfo=UTC),
        )
    assert early.value.code == "action_before_acceptance"


async def test_a_step_held_past_its_due_time_reads_late_on_the_slip(agency):
    store, units = agency
    t = ACCEPTED_AT + timedelta(hours=1)
    case = await _assign(units, "NEW", t, auto=True)
    due = case.step_due_at
    assert due is not None
    repo = MemoryResolutionRepository(store)
    [held] = control_lines(case, await repo.handovers("NEW"), due, CAL)
    assert (held.ended_at, held.result) == (None, None), "within its time: still being processed"
    [late] = control_lines(case, await repo.handovers("NEW"), due + timedelta(minutes=1), CAL)
    assert late.result == "late"
