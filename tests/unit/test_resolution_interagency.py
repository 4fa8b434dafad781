"""Between agencies through resolution's use cases on the in-memory repository: send, the other
agency's worklist and send-back, resolve refused while away, the watcher silent while the clock is
paused there, continuous seq on the topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.resolution.domain.assignment import Staffer
from services.resolution.domain.case import DecisionNotReady
from services.resolution.service import assignments, cases, interagency
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.errors import Forbidden, NotFound
from shared.events import LIFECYCLE_TOPIC
from shared.lifecycle import Action
from tests.events import accepted_item
from tests.unit.fakes import MemoryResolutionRepository, Store, memory_units

CAL = default_calendar()
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
LAND, TAX = "000.00.31.H26", "000.00.40.H26"
LEADER, AN = Account("ld.datdai", Role.LEADER, LAND), Account("cv.an", Role.OFFICER, LAND)
THUE, CONGAN = Account("cv.thue", Role.OFFICER, TAX), Account("cv.congan", Role.OFFICER, "000.00.09.H26")


def process(clock: str) -> list[dict]:
    return [
        {"name": "Tiếp nhận hồ sơ", "role": "clerk", "hours": 2},
        {"name": "Kiểm tra hồ sơ", "role": "officer", "hours": 14},
        {
            "name": "Xác định nghĩa vụ tài chính (cơ quan thuế)",
            "role": "officer",
            "hours": 8,
            "agency_id": TAX,
            "clock": clock,
        },
        {"name": "Phê duyệt", "role": "leader", "hours": 8},
    ]


@pytest.fixture
async def units():
    store = Store(staff={"ld.datdai": Staffer("ld.datdai", "leader", LAND), "cv.an": Staffer("cv.an", "officer", LAND)})
    units = memory_units(store, MemoryResolutionRepository)
    items = [
        accepted_item(
            code,
            accepted_at=AT,
            due_at=CAL.due_time(AT, 32),
            agency=LAND,
            hours=32,
            process=process(clock),
            requires_approval=True,
        )
        for code, clock in (("RUNS", "runs"), ("PAUSES", "pauses"))
    ]
    await cases.open_cases(units, items, CAL)
    for code in ("RUNS", "PAUSES"):
        await cases.perform(units, CAL, AT, code, Action.START_PROCESSING, staff=AN, reason=None, correlation_id="c")
    return store, units


async def test_a_case_goes_to_the_tax_office_and_back(units):
    store, units = units
    due = store.cases["PAUSES"].due_at
    sent = await interagency.send_case(units, CAL, AT, "PAUSES", staff=AN, step=None, reason=None, correlation_id="c")
    assert (sent.away_agency_id, sent.away_step, sent.status) == (TAX, 2, 4)
    assert [c.code for c in await interagency.with_other_agency(units, THUE, agency=None, limit=10, offset=0)] == [
        "PAUSES"
    ]
    assert await interagency.with_other_agency(units, CONGAN, agency=None, limit=10, offset=0) == []
    mine = await assignments.worklist_view(units, AN, view="mine", agency=None, limit=10, offset=0)
    assert "PAUSES" in [c.code for c in mine], "the competent agency still sees it"
    await assignments.approve_case(units, AT, "PAUSES", staff=LEADER, correlation_id="c")
    with pytest.raises(DecisionNotReady) as refused:
        await cases.perform(units, CAL, AT, "PAUSES", Action.RESOLVE, staff=LEADER, reason=None, correlation_id="c")
    assert refused.value.detail == {"missing": ["at_other_agency"]}
    later = due + timedelta(hours=1)  # past the old due time while the clock is paused there
    with pytest.raises(NotFound):  # a third agency does not see it
        await interagency.send_back_case(units, CAL, later, "PAUSES", staff=CONGAN, reason=None, correlation_id="c")
    with pytest.raises(Forbidden):  # the competent agency cannot send it back for the tax office
        await interagency.send_back_case(units, CAL, later, "PAUSES", staff=AN, reason=None, correlation_id="c")
    back = await interagency.send_back_case(
        units, CAL, later, "PAUSES", staff=THUE, reason="Đã xác định", correlation_id="c"
    )
    assert back.away_agency_id is None and back.due_at == CAL.extend_for_pause(due, AT, later)
    done = await cases.perform(
        units, CAL, later, "PAUSES", Action.RESOLVE, staff=LEADER, reason=None, correlation_id="c"
    )
    assert done.compliance in ("early", "on_time")
    events = [e for e in store.events(LIFECYCLE_TOPIC) if e.dossier_code == "PAUSES"]
    types = [e.type for e in events]
    assert "dossier.sent_to_agency" in types and "dossier.back_from_agency" in types
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events)))
    lines = await assignments.control_slip(units, "PAUSES", LEADER, later, CAL)
    trip = [(line.from_assignee, line.assignee, line.result) for line in lines[-2:]]
    assert trip == [("cv.an", f"Cơ quan {TAX}", "late"), (f"Cơ quan {TAX}", "cv.an", "late")], (
        "form 06 lines: both past their step"
    )


async def test_the_watcher_is_silent_while_the_clock_is_paused_at_the_other_agency(units):
    store, units = units
    for code in ("RUNS", "PAUSES"):
        await interagency.send_case(units, CAL, AT, code, staff=AN, step=None, reason=None, correlation_id="c")
    late = store.cases["RUNS"].due_at + timedelta(hours=1)
    async with units() as uow:
        due = await uow.repo.lock_newly_overdue(late, 10)
    assert [c.code for c in due] == ["RUNS"]
