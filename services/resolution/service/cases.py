"""resolution's use cases: open cases from accepted dossiers, act on them, notice deadlines.

Every change of a case and its event are written in one transaction (case row, control
slip entry, outbox row); the relay publishes after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Literal

from services.resolution.adapters.fee_sql import FeeSql
from services.resolution.adapters.repository import ResolutionRepository
from services.resolution.domain import interagency
from services.resolution.domain.assignment import (
    Handover,
    assignment_slip_entry,
    handover_of,
    self_assignment,
    with_first_step,
)
from services.resolution.domain.case import (
    Case,
    Outcome,
    RatingRefused,
    SlipEntry,
    act,
    apologise,
    overdue,
    rate,
)
from services.resolution.domain.fees import CaseFee, PaymentRefused, settle
from services.resolution.domain.replay import replay
from services.resolution.domain.signed_pdf import SignedPdf
from shared.auth import Account
from shared.calendar import WorkingCalendar
from shared.clock import Clock
from shared.consumer import Item
from shared.errors import NotFound
from shared.events import (
    LIFECYCLE_TOPIC,
    CitizenRequest,
    Event,
    EventType,
    RequestType,
    make_event,
)
from shared.lifecycle import Action, Status, TransitionRefused
from shared.uow import UnitOfWork, Units

log = logging.getLogger(__name__)
PRODUCER = "resolution"
ResolutionUnits = Units[ResolutionRepository]


def not_found(code: str) -> NotFound:
    return NotFound(f"Không tìm thấy hồ sơ {code} tại bộ phận giải quyết", f"Case {code} not found in resolution")


def _event(outcome: Outcome, now: datetime, correlation_id: str) -> Event:
    return make_event(
        outcome.event_type,
        dossier_code=outcome.case.code,
        seq=outcome.case.last_seq,
        occurred_at=now,
        producer=PRODUCER,
        correlation_id=correlation_id,
        payload=outcome.payload,
    )


async def _record(uow: UnitOfWork[ResolutionRepository], outcome: Outcome, now: datetime, correlation_id: str) -> None:
    await uow.repo.save_case(outcome.case, now)
    if outcome.event_type in (EventType.ASSIGNED, EventType.APPROVED):  # in words, and form 06's line
        await uow.repo.add_slip([assignment_slip_entry(outcome, now)])
        if outcome.event_type is EventType.ASSIGNED:
            await uow.repo.add_handovers([handover_of(outcome, now)])
    else:
        await uow.repo.add_slip([outcome.slip_entry(now)])
    await uow.outbox.append(LIFECYCLE_TOPIC, outcome.case.code, _event(outcome, now, correlation_id))


async def _locked_visible(uow: UnitOfWork[ResolutionRepository], code: str, staff: Account) -> Case:
    case = await uow.repo.lock_case(code)  # a second clerk waits here, then sees the new status
    if case is None:
        raise not_found(code)
    staff.ensure_agency(case.agency_id, code)
    return case


async def perform(
    units: ResolutionUnits,
    calendar: WorkingCalendar,
    now: datetime,
    code: str,
    action: Action,
    *,
    staff: Account,
    reason: str | None,
    correlation_id: str,
    result_kind: Literal["electronic", "paper"] | None = None,
    result: SignedPdf | None = None,
) -> Case:
    """Take `action`; a decision (resolve) says how its result is issued, and keeps the signed
    PDF of an electronic one in the same transaction (refused: nothing is kept)."""
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        if action is Action.START_PROCESSING and (
            took := self_assignment(case, staff.username, staff.role.value, staff.agency_id, now, calendar)
        ):
            await _record(uow, took, now, correlation_id)  # an unassigned case goes to whoever starts it
            case = took.case
        outcome = act(
            case, action, actor=staff.username, reason=reason, now=now, calendar=calendar, result_kind=result_kind
        )
        await _record(uow, outcome, now, correlation_id)
        if result is not None:
            await uow.repo.store_result(code, result.data, now)
        return outcome.case


async def result_pdf(units: ResolutionUnits, code: str) -> bytes:
    """The signed PDF of a case decided electronically (for intake, which serves it to the applicant)."""
    async with units() as uow:
        found = await uow.repo.result_pdf(code)
    if found is None:
        raise NotFound(f"Hồ sơ {code} không có kết quả điện tử", f"Dossier {code} has no electronic result", code=code)
    return found


async def apologise_for(
    units: ResolutionUnits,
    now: datetime,
    code: str,
    *,
    staff: Account,
    reason: str,
    new_appointment_at: datetime,
    correlation_id: str,
) -> Case:
    """Form 04, recorded on the case and its control slip and published as dossier.apology_issued."""
    async with units() as uow, uow.transaction():
        case = await _locked_visible(uow, code, staff)
        outcome = apologise(case, actor=staff.username, reason=reason, new_appointment_at=new_appointment_at, now=now)
        await _record(uow, outcome, now, correlation_id)
        return outcome.case


def new_case(e: Event, calendar: WorkingCalendar) -> Case:
    """The case an accepted event opens, at its first step."""
    p = e.payload
    case = Case(
        code=e.dossier_code,
        agency_id=p.dimensions.agency_id,
        procedure_code=p.dimensions.procedure_code,
        channel=p.dimensions.channel.value,
        status=Status.ACCEPTED,
        accepted_at=p.accepted_at,
        due_at=p.deadline.due_at,
        processing_hours=p.deadline.processing_hours,
        time_type=p.deadline.time_type,
        clock_policy=p.deadline.clock_policy,
        rule_version=p.deadline.rule_version,
        last_seq=e.seq,
        procedure_name=p.dimensions.procedure_name,
        process=tuple(p.process),
        requires_approval=p.requires_approval,
    )
    return with_first_step(case, calendar)


async def open_cases(
    units: ResolutionUnits, items: list[Item[Event]], calendar: WorkingCalendar
) -> list[tuple[Item, str]]:
    """From the lifecycle topic: every accepted dossier becomes a case. Others are not ours.

    An imported dossier's later history is replayed here through `act`, at the times it
    happened, and written exactly as live actions would be (case, control slip, outbox), in the
    same transaction as the case; so the watcher never sees a half-replayed case.
    """
    opened: dict[str, tuple[Case, list[SlipEntry], list]] = {}  # code -> (final case, slip entries, events)
    handovers: list[Handover] = []  # of imported histories
    for item in items:
        e = item.message
        if e.type != EventType.ACCEPTED.value or e.dossier_code in opened:
            continue
        p = e.payload
        case = new_case(e, calendar)
        slips = [SlipEntry(e.dossier_code, e.seq, e.type, p.from_status, p.to_status, p.actor, p.reason, e.occurred_at)]
        events = []
        if p.imported is not None:
            done = replay(case, p.imported, calendar)
            if done.refused:
                log.warning(
                    "imported case %s replayed up to seq %d only: %s", case.code, done.case.last_seq, done.refused
                )
            case = done.case
            for outcome, at in done.outcomes:
                inside = outcome.event_type in (EventType.ASSIGNED, EventType.APPROVED)
                slips.append(assignment_slip_entry(outcome, at) if inside else outcome.slip_entry(at))
                if outcome.event_type is EventType.ASSIGNED:
                    handovers.append(handover_of(outcome, at))
                events.append((LIFECYCLE_TOPIC, case.code, _event(outcome, at, e.correlation_id)))
            handovers += done.trips
        opened[e.dossier_code] = (case, slips, events)
    if opened:
        async with units() as uow, uow.transaction():
            new = set(
                await uow.repo.create_cases(
                    [c for c, _, _ in opened.values()], max(i.message.occurred_at for i in items)
                )
            )
            # Only the cases inserted now: a redelivered accepted event must not replay twice.
            await uow.repo.add_slip([entry for code, (_, slips, _) in opened.items() if code in new for entry in slips])
            await uow.outbox.append_many([ev for code, (_, _, evs) in opened.items() if code in new for ev in evs])
            await uow.repo.add_handovers([h for h in handovers if h.code in new])
    return []


_REQUEST_ACTIONS = {RequestType.WITHDRAWAL: Action.WITHDRAW, RequestType.SUPPLEMENT_PROVIDED: Action.RECORD_SUPPLEMENT}


def _answer(
    case: Case, req: CitizenRequest, now: datetime, calendar: WorkingCalendar, fee: CaseFee | None
) -> tuple[Outcome, CaseFee | None]:
    """What resolution does with a citizen request (and the fee row it settles); TransitionRefused,
    RatingRefused or PaymentRefused when it cannot."""
    if req.type is RequestType.FEE_PAID:  # a payment intake verified with the gateway's signature
        if req.amount is None or req.payment_method is None:
            raise PaymentRefused("Yêu cầu thanh toán thiếu số tiền", "The payment request carries no amount")
        return settle(
            case,
            fee,
            method=req.payment_method,
            amount=req.amount,
            receipt_no=req.receipt_no,
            gateway_txn=req.gateway_txn,
            actor="citizen",
            now=now,
            calendar=calendar,
        )
    return _answer_status(case, req, now, calendar), None


def _answer_status(case: Case, req: CitizenRequest, now: datetime, calendar: WorkingCalendar) -> Outcome:
    if req.type is RequestType.RATING:
        if req.score is None:
            raise RatingRefused("Thiếu điểm đánh giá", "The rating request carries no score")
        return rate(case, req.score, now=now)
    return act(case, _REQUEST_ACTIONS[req.type], actor="citizen", reason=req.reason, now=now, calendar=calendar)


async def apply_requests(
    units: ResolutionUnits, calendar: WorkingCalendar, clock: Clock, items: list[Item[CitizenRequest]]
) -> list[tuple[Item, str]]:
    """Citizen requests relayed by intake. A request the graph refuses is recorded as refused,
    not dead-lettered: it is a valid message about a dossier that has moved on."""
    rejected: list[tuple[Item, str]] = []
    for item in items:
        req = item.message
        async with units() as uow, uow.transaction():
            case = await uow.repo.lock_case(req.dossier_code)
            if case is None:
                rejected.append((item, f"no case {req.dossier_code} in resolution"))
                continue
            now = clock()
            try:
                fee = await FeeSql(uow.repo.conn).fee_of(case.code) if req.type is RequestType.FEE_PAID else None
                outcome, paid = _answer(case, req, now, calendar, fee)
            except (TransitionRefused, RatingRefused, PaymentRefused) as exc:
                if await uow.repo.mark_request(req.request_id, req.dossier_code, f"refused: {exc.en}"):
                    log.info("request %s on %s refused: %s", req.type, req.dossier_code, exc.en)
                continue
            if await uow.repo.mark_request(req.request_id, req.dossier_code, "applied"):
                await _record(uow, outcome, now, req.correlation_id)
                if paid is not None:
                    await FeeSql(uow.repo.conn).save(paid)
    return rejected


async def notice_overdue(units: ResolutionUnits, now: datetime, limit: int = 500) -> int:
    """Publish one overdue event per case whose running clock has passed its due time."""
    async with units() as uow, uow.transaction():
        cases = await uow.repo.lock_newly_overdue(now, limit)
        for case in cases:
            outcome = overdue(case, now)
            if outcome:
                await _record(uow, outcome, now, correlation_id=f"watcher:{case.code}")
        return len(cases)


# --- what staff read ---------------------------------------------------------------------


async def worklist(
    units: ResolutionUnits, account: Account, *, agency: str | None, status: int | None, limit: int, offset: int
) -> list[Case]:
    """Earliest due first; an officer's worklist is their agency's."""
    async with units() as uow:
        return await uow.repo.worklist(
            agency_id=account.agency_filter(agency), status=status, limit=limit, offset=offset
        )


def ensure_reads(account: Account, case: Case) -> None:
    """The competent agency's staff read a case; so does, while the case is there for a step, the other
    agency's (liên thông), to see what it is sent back with."""
    if not interagency.visiting(case, account.role.value, account.agency_id):
        account.ensure_agency(case.agency_id, case.code)


async def case_and_slip(units: ResolutionUnits, code: str, account: Account) -> tuple[Case, list[SlipEntry]]:
    async with units() as uow:
        case = await uow.repo.get_case(code)
        if case is None:
            raise not_found(code)
        ensure_reads(account, case)
        return case, await uow.repo.slip(code)
