"""resolution's use cases, in memory: no server, milliseconds each. The same use cases run against
PostgreSQL in tests/integration and behind the API in tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.resolution.domain.case import ApologyRefused
from services.resolution.service import cases
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.errors import Forbidden, NotFound
from shared.events import LIFECYCLE_TOPIC, CitizenRequest, RequestType
from shared.lifecycle import Action, Status, TransitionRefused
from tests.events import accepted_item
from tests.unit.fakes import MemoryResolutionRepository, Store, memory_units

CAL = default_calendar()
ACCEPTED_AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 08:00 in Hà Nội
DUE_AT = CAL.due_time(ACCEPTED_AT, 24)
LAND = "000.00.31.H26"
OFFICER = Account("cv.datdai", Role.OFFICER, LAND)
POLICE_OFFICER = Account("cv.congan", Role.OFFICER, "000.00.09.H26")


def accepted(code: str) -> Item:
    return accepted_item(code, accepted_at=ACCEPTED_AT, due_at=DUE_AT, agency=LAND, procedure="1.013831", hours=24)


def request(code: str, kind: RequestType, **extra) -> Item:
    return Item(
        None,
        CitizenRequest(
            type=kind, dossier_code=code, occurred_at=ACCEPTED_AT, producer="intake", correlation_id="c", **extra
        ),
    )


@pytest.fixture
async def resolution():
    store = Store()
    units = memory_units(store, MemoryResolutionRepository)
    await cases.open_cases(units, [accepted("A"), accepted("A"), accepted("B")], CAL)  # A redelivered: one case
    return store, units


async def act(units, code, action, at, staff=OFFICER):
    return await cases.perform(units, CAL, at, code, action, staff=staff, reason=None, correlation_id="c")


async def test_a_case_through_a_supplement_pause_to_its_result(resolution):
    store, units = resolution
    assert sorted(store.cases) == ["A", "B"] and store.cases["A"].status is Status.ACCEPTED
    t = ACCEPTED_AT + timedelta(hours=1)
    await act(units, "A", Action.START_PROCESSING, t)
    await act(units, "A", Action.REQUEST_SUPPLEMENT, t)
    resumed = t + timedelta(days=2)
    case = await act(units, "A", Action.RECORD_SUPPLEMENT, resumed)
    assert case.due_at == CAL.extend_for_pause(DUE_AT, t, resumed) > DUE_AT, "the pause moved the due time"
    done = await act(units, "A", Action.RESOLVE, resumed)
    assert (done.status, done.compliance, done.last_seq) == (Status.RESOLVED, "early", 5)
    assert [(e.seq, e.type) for e in store.events(LIFECYCLE_TOPIC)] == [
        (2, "dossier.processing_started"),
        (3, "dossier.supplement_requested"),
        (4, "dossier.processing_started"),
        (5, "dossier.resolved"),
    ]
    assert [e.to_status for e in await MemoryResolutionRepository(store).slip("A")] == [2, 4, 5, 4, 9]


async def test_refused_moves_and_other_agencies_change_nothing(resolution):
    store, units = resolution
    with pytest.raises(TransitionRefused) as refused:
        await act(units, "A", Action.RESOLVE, ACCEPTED_AT)
    assert refused.value.detail == {"current_status": 2, "allowed_actions": ["start-processing", "withdraw"]}
    with pytest.raises(Forbidden):
        await act(units, "A", Action.START_PROCESSING, ACCEPTED_AT, staff=POLICE_OFFICER)
    with pytest.raises(NotFound):
        await act(units, "NO-SUCH", Action.START_PROCESSING, ACCEPTED_AT)
    assert store.outbox == [] and store.cases["A"].last_seq == 1


async def test_apology_keeps_the_due_time(resolution):
    store, units = resolution
    later = DUE_AT + timedelta(days=3)
    case = await cases.apologise_for(
        units, ACCEPTED_AT, "A", staff=OFFICER, reason="Chờ đo đạc", new_appointment_at=later, correlation_id="c"
    )
    assert (case.new_appointment_at, case.due_at, case.status) == (later, DUE_AT, Status.ACCEPTED)
    with pytest.raises(ApologyRefused):
        await cases.apologise_for(
            units, ACCEPTED_AT, "A", staff=OFFICER, reason="x", new_appointment_at=DUE_AT, correlation_id="c"
        )
    assert [e.type for e in store.events(LIFECYCLE_TOPIC)] == ["dossier.apology_issued"]


async def test_citizen_requests_applied_once_refused_ones_recorded(resolution):
    store, units = resolution
    withdrawal = request("A", RequestType.WITHDRAWAL)
    too_late = request("A", RequestType.WITHDRAWAL)  # another withdrawal, after the first took effect
    unknown = request("ZZZ", RequestType.WITHDRAWAL)
    rejected = await cases.apply_requests(units, CAL, lambda: ACCEPTED_AT, [withdrawal, withdrawal, too_late, unknown])
    assert [(item.message.dossier_code, reason) for item, reason in rejected] == [("ZZZ", "no case ZZZ in resolution")]
    assert store.cases["A"].status is Status.WITHDRAWN
    assert [e.type for e in store.events(LIFECYCLE_TOPIC)] == ["dossier.withdrawn"], "applied once"
    assert store.requests[too_late.message.request_id][1].startswith("refused: ")


async def test_overdue_noticed_once_per_due_time(resolution):
    store, units = resolution
    assert await cases.notice_overdue(units, DUE_AT - timedelta(seconds=1)) == 0
    assert await cases.notice_overdue(units, DUE_AT) == 2
    assert await cases.notice_overdue(units, DUE_AT + timedelta(hours=1)) == 0
    assert {(e.dossier_code, e.seq, e.type) for e in store.events(LIFECYCLE_TOPIC)} == {
        ("A", 2, "dossier.overdue"),
        ("B", 2, "dossier.overdue"),
    }
