"""intake's use cases, in memory: no server, milliseconds each. The same use cases run against
PostgreSQL in tests/integration and behind the API in tests/e2e."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.domain.dossier import Applicant, HandedIn
from services.intake.service import catalogue, citizen, rating, reception, tracking
from services.intake.service.idempotent import Once
from shared.auth import Account, Role
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.errors import Conflict, Forbidden, InvalidRequest, NotFound
from shared.events import LIFECYCLE_TOPIC, REQUESTS_TOPIC, Channel, EventType, make_event
from shared.lifecycle import Action, Status, TransitionRefused
from tests.unit.fakes import MemoryIntakeRepository, Store, memory_units

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội
LAND, COMMUNE = "000.00.31.H26", "000.01.01.H26"
LAND_PROCEDURE, COMMUNE_PROCEDURE = "1.013831", "1.001193"
CLERK = Account("canbo.a", Role.CLERK, None)
COMMUNE_CLERK = Account("canbo.phuong", Role.CLERK, COMMUNE)
APPLICANT = Applicant(name="Nguyễn Văn An", id_number="001203004567", phone="0912345678")
CAL = default_calendar()
PROCEDURES = catalogue.CurrentProcedures()  # the catalogue through its cache, as a running intake reads it


@pytest.fixture
async def intake():
    store = Store()
    units = memory_units(store, MemoryIntakeRepository)
    await catalogue.load(units, catalogue.SHIPPED_CATALOGUE)
    return store, units


async def receive(units, channel: Channel, staff=CLERK, procedure=LAND_PROCEDURE, once=None, now=NOW):
    return await reception.receive(
        units,
        CAL,
        now,
        procedures=catalogue.CurrentProcedures(),
        handed=HandedIn(procedure, channel, APPLICANT, ["Tờ khai"]),
        staff=staff,
        once=once,
    )


async def test_counter_receptions_are_numbered_per_agency_and_day_and_queued(intake):
    store, units = intake
    first, second = await receive(units, Channel.COUNTER), await receive(units, Channel.POST)
    assert (first.code, second.code) == (f"{LAND}-260302-0001", f"{LAND}-260302-0002")
    assert first.status is Status.ACCEPTED and first.received_by == "canbo.a"
    procedure = await MemoryIntakeRepository(store).current_procedure(LAND_PROCEDURE, NOW.date())
    assert first.due_at == CAL.due_time(NOW, procedure.processing_hours, procedure.time_type)
    events = store.events(LIFECYCLE_TOPIC)
    assert [(e.dossier_code, e.seq, e.type) for e in events] == [
        (first.code, 1, "dossier.accepted"),
        (second.code, 1, "dossier.accepted"),
    ]
    assert events[0].payload.deadline.due_at == first.due_at and events[0].payload.dimensions.agency_id == LAND


async def test_online_waits_for_the_counter_then_is_accepted_once(intake):
    store, units = intake
    online = await receive(units, Channel.ONLINE, staff=None)
    assert online.status is Status.SUBMITTED and online.due_at is None and online.received_by is None
    later = NOW + timedelta(hours=1)
    accepted = await reception.decide(
        units, CAL, later, online.code, Action.ACCEPT, procedures=PROCEDURES, staff=CLERK, reason=None
    )
    assert (accepted.status, accepted.last_seq, accepted.received_by) == (Status.ACCEPTED, 2, "canbo.a")
    assert accepted.accepted_at == later
    with pytest.raises(TransitionRefused) as refused:
        await reception.decide(
            units, CAL, later, online.code, Action.ACCEPT, procedures=PROCEDURES, staff=CLERK, reason=None
        )
    assert isinstance(refused.value, Conflict) and refused.value.detail["current_status"] == 2
    assert [e.type for e in store.events(LIFECYCLE_TOPIC)] == ["dossier.submitted", "dossier.accepted"]


async def test_refusals_and_what_the_counter_may_not_do(intake):
    store, units = intake
    online = await receive(units, Channel.ONLINE, staff=None)
    refused = await reception.decide(
        units, CAL, NOW, online.code, Action.REFUSE, procedures=PROCEDURES, staff=CLERK, reason="Thiếu tờ khai"
    )
    assert (refused.status, refused.refusal_reason) == (Status.REFUSED, "Thiếu tờ khai")
    with pytest.raises(Forbidden):  # a commune's clerk receives for the commune only
        await receive(units, Channel.COUNTER, staff=COMMUNE_CLERK)
    with pytest.raises(InvalidRequest) as unknown:
        await receive(units, Channel.COUNTER, procedure="NO.SUCH")
    assert unknown.value.detail == {"field": "procedure_code"}
    with pytest.raises(NotFound):
        await reception.decide(
            units, CAL, NOW, "NO-SUCH", Action.ACCEPT, procedures=PROCEDURES, staff=CLERK, reason=None
        )
    assert len(store.dossiers) == 1 and len(store.outbox) == 2, "a refused request stores nothing"


async def test_a_walk_in_refused_at_the_counter_takes_the_next_number(intake):
    store, units = intake
    before = await receive(units, Channel.COUNTER)
    refused = await reception.refuse_at_counter(
        units,
        NOW,
        procedures=catalogue.CurrentProcedures(),
        handed=HandedIn(LAND_PROCEDURE, Channel.COUNTER, APPLICANT, []),
        staff=CLERK,
        reason="Thiếu bản chính",
    )
    assert refused.code == f"{LAND}-260302-0002" and refused.code > before.code
    assert (refused.status, refused.last_seq, refused.refusal_reason) == (Status.REFUSED, 2, "Thiếu bản chính")
    assert [(e.seq, e.type) for e in store.events(LIFECYCLE_TOPIC) if e.dossier_code == refused.code] == [
        (1, "dossier.submitted"),
        (2, "dossier.refused"),
    ]


async def test_idempotency_key_answers_a_retry_and_refuses_another_request(intake):
    store, units = intake

    def once(fingerprint: str) -> Once:
        return Once("key-12345678", fingerprint, lambda d: {"code": d.code, "status": int(d.status)})

    first, retry = once("same"), once("same")
    assert await receive(units, Channel.COUNTER, once=first) == {"code": f"{LAND}-260302-0001", "status": 2}
    assert await receive(units, Channel.COUNTER, once=retry) == first.answer and retry.replayed
    with pytest.raises(InvalidRequest):
        await receive(units, Channel.COUNTER, once=once("another"))
    assert len(store.dossiers) == 1


async def test_citizen_tracks_with_the_id_number_and_withdraws_before_and_after_acceptance(intake):
    store, units = intake
    online, counter = await receive(units, Channel.ONLINE, staff=None), await receive(units, Channel.COUNTER)
    with pytest.raises(NotFound):  # a wrong ID number answers as an unknown code does
        await citizen.find_for_citizen(units, online.code, "009999999999")
    shown, _ = await citizen.find_for_citizen(units, online.code, APPLICANT.id_number)
    assert shown.code == online.code
    words = "Tôi (Lê Thị Hoa, 0912345678) chuyển nhà"  # a citizen's words may name people: they stay here
    before = await citizen.withdraw_for_citizen(units, NOW, online.code, id_number=APPLICANT.id_number, reason=words)
    assert before["forwarded"] is False and store.dossiers[online.code].status is Status.WITHDRAWN
    after = await citizen.withdraw_for_citizen(units, NOW, counter.code, id_number=APPLICANT.id_number, reason=words)
    assert after["forwarded"] is True and store.dossiers[counter.code].status is Status.ACCEPTED
    [request] = store.events(REQUESTS_TOPIC)
    assert (request.dossier_code, request.type.value) == (counter.code, "request.withdrawal")
    assert store.dossiers[counter.code].withdrawal_reason == words == store.dossiers[online.code].withdrawal_reason
    published = [e.model_dump_json() for topic in (REQUESTS_TOPIC, LIFECYCLE_TOPIC) for e in store.events(topic)]
    assert published and not any("Lê Thị Hoa" in text or "0912345678" in text for text in published)


def _event(code: str, seq: int, event_type: EventType, payload: dict):
    return Item(
        None,
        make_event(
            event_type,
            dossier_code=code,
            seq=seq,
            occurred_at=NOW,
            producer="resolution",
            correlation_id="c",
            payload=payload,
        ),
    )


async def test_tracking_follows_resolution_and_refuses_gaps_and_wrong_moves(intake):
    store, units = intake
    counter = await receive(units, Channel.COUNTER)
    code = counter.code
    accepted = _event(code, 1, EventType.ACCEPTED, store.events(LIFECYCLE_TOPIC)[0].payload.model_dump())
    started = _event(
        code,
        2,
        EventType.PROCESSING_STARTED,
        {"from_status": 2, "to_status": 4, "actor": "cv", "due_at": counter.due_at},
    )
    gap = _event(
        code,
        4,
        EventType.RESOLVED,
        {
            "from_status": 4,
            "to_status": 9,
            "actor": "ld",
            "due_at": counter.due_at,
            "compliance": "early",
            "working_hours_used": 1.0,
        },
    )
    wrong = _event(code, 3, EventType.RETURNED, {"from_status": 9, "to_status": 10, "actor": "cb"})
    rejected = await tracking.apply_events(units, [accepted, started, started, gap, wrong])
    assert [reason for _, reason in rejected] == [
        f"seq 4 of {code} breaks the sequence: expected 3",
        f"dossier.returned from status 9 but {code} is in 4",
    ]
    tracked = store.dossiers[code]
    assert (tracked.shown_status, tracked.tracked_seq) == (Status.PROCESSING, 2)
    assert [e.seq for e in await MemoryIntakeRepository(store).history(code)] == [1, 2]


async def test_rating_only_after_the_hand_over_and_once(intake):
    store, units = intake
    code = (await receive(units, Channel.COUNTER)).code
    with pytest.raises(Conflict) as early:
        await rating.rate_for_citizen(units, NOW, code, id_number=APPLICANT.id_number, score=5, comment=None)
    assert early.value.detail == {"current_status": 2}
    store.dossiers[code] = store.dossiers[code].__class__(
        **{**store.dossiers[code].__dict__, "tracked_status": Status.RETURNED, "tracked_seq": 5}
    )
    answer = await rating.rate_for_citizen(units, NOW, code, id_number=APPLICANT.id_number, score=5, comment="Tốt")
    assert answer["code"] == code and store.ratings[code] == "Tốt"
    with pytest.raises(Conflict):
        await rating.rate_for_citizen(units, NOW, code, id_number=APPLICANT.id_number, score=4, comment=None)
    [request] = store.events(REQUESTS_TOPIC)
    assert request.score == 5 and "Tốt" not in request.model_dump_json(), "the comment never leaves intake"


async def test_deciding_reads_the_agencies_through_the_catalogue_cache_not_per_call():
    """Accepting and refusing online dossiers read the agencies once per cache period, as reception does."""
    reads = []

    class Counting(MemoryIntakeRepository):
        async def agencies(self):
            reads.append(1)
            return await super().agencies()

    store = Store()
    units = memory_units(store, Counting)
    await catalogue.load(units, catalogue.SHIPPED_CATALOGUE)
    cached = catalogue.CurrentProcedures()
    online = [await receive(units, Channel.ONLINE, staff=None) for _ in range(3)]
    reads.clear()
    for d, action in zip(online, (Action.ACCEPT, Action.REFUSE, Action.ACCEPT), strict=True):
        await reception.decide(units, CAL, NOW, d.code, action, procedures=cached, staff=CLERK, reason="Lý do")
    assert len(reads) == 1, "one read of the agencies for three decisions"
