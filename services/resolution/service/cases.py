"""resolution's use cases: open cases from accepted dossiers, act on them, notice deadlines.

Every change of a case and its event are written in one transaction (case row, control
slip row, outbox row); the relay publishes after commit.
"""
from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from services.resolution.adapters import repository as repo
from services.resolution.domain.case import Case, Outcome, RatingRefused, act, apologise, overdue, rate
from services.resolution.domain.replay import replay
from shared import outbox
from shared.auth import Account
from shared.calendar import default_calendar
from shared.consumer import Item
from shared.events import LIFECYCLE_TOPIC, EventType, RequestType, make_event
from shared.errors import NotFound
from shared.lifecycle import Action, Status, TransitionRefused

log = logging.getLogger(__name__)
PRODUCER = "resolution"


def not_found(code: str) -> NotFound:
    return NotFound(f"Không tìm thấy hồ sơ {code} tại bộ phận giải quyết", f"Case {code} not found in resolution")


def _slip_row(outcome: Outcome, now: datetime) -> tuple:
    """The control-slip row of one outcome: (code, seq, event_type, from, to, actor, reason, at)."""
    case, payload = outcome.case, outcome.payload
    return (case.code, case.last_seq, outcome.event_type.value, getattr(payload, "from_status", None),
            getattr(payload, "to_status", None), getattr(payload, "actor", outcome.actor),
            getattr(payload, "reason", None), now)


def _event(outcome: Outcome, now: datetime, correlation_id: str):
    return make_event(outcome.event_type, dossier_code=outcome.case.code, seq=outcome.case.last_seq, occurred_at=now,
                      producer=PRODUCER, correlation_id=correlation_id, payload=outcome.payload)


async def _record(conn, outcome: Outcome, now: datetime, correlation_id: str) -> None:
    await repo.save_case(conn, outcome.case, now)
    await repo.add_history(conn, [_slip_row(outcome, now)])
    await outbox.append(conn, LIFECYCLE_TOPIC, outcome.case.code, _event(outcome, now, correlation_id))


async def perform(pool: asyncpg.Pool, calendar, now: datetime, code: str, action: Action, *, staff: Account,
                  reason: str | None, correlation_id: str) -> Case:
    async with pool.acquire() as conn, conn.transaction():
        case = await repo.lock_case(conn, code)  # a second clerk waits here, then sees the new status
        if case is None:
            raise not_found(code)
        staff.ensure_agency(case.agency_id, code)
        outcome = act(case, action, actor=staff.username, reason=reason, now=now, calendar=calendar)
        await _record(conn, outcome, now, correlation_id)
        return outcome.case


async def apologise_for(pool: asyncpg.Pool, now: datetime, code: str, *, staff: Account, reason: str,
                        new_appointment_at: datetime, correlation_id: str) -> Case:
    """Form 04, recorded on the case and its control slip and published as dossier.apology_issued."""
    async with pool.acquire() as conn, conn.transaction():
        case = await repo.lock_case(conn, code)
        if case is None:
            raise not_found(code)
        staff.ensure_agency(case.agency_id, code)
        outcome = apologise(case, actor=staff.username, reason=reason, new_appointment_at=new_appointment_at, now=now)
        await _record(conn, outcome, now, correlation_id)
        return outcome.case


async def open_cases(pool: asyncpg.Pool, items: list[Item], calendar=None) -> list:
    """From the lifecycle topic: every accepted dossier becomes a case. Others are not ours.

    An imported dossier's later history is replayed here through `act`, at the times it
    happened, and written exactly as live actions would be (case, control slip, outbox), in the
    same transaction as the case; so the watcher never sees a half-replayed case.
    """
    opened: dict[str, tuple[Case, list[tuple], list]] = {}  # code -> (final case, slip rows, events)
    for item in items:
        e = item.message
        if e.type != EventType.ACCEPTED.value or e.dossier_code in opened:
            continue
        p = e.payload
        case = Case(
            code=e.dossier_code, agency_id=p.dimensions.agency_id, procedure_code=p.dimensions.procedure_code,
            channel=p.dimensions.channel.value, status=Status.ACCEPTED, accepted_at=p.accepted_at,
            due_at=p.deadline.due_at, processing_hours=p.deadline.processing_hours, time_type=p.deadline.time_type,
            clock_policy=p.deadline.clock_policy, rule_version=p.deadline.rule_version, last_seq=e.seq,
            procedure_name=p.dimensions.procedure_name,
        )
        slips = [(e.dossier_code, e.seq, e.type, p.from_status, p.to_status, p.actor, p.reason, e.occurred_at)]
        events = []
        if p.imported is not None:
            calendar = calendar or default_calendar()
            done = replay(case, p.imported, calendar)
            if done.refused:
                log.warning("imported case %s replayed up to seq %d only: %s", case.code, done.case.last_seq,
                            done.refused)
            case = done.case
            for outcome, at in done.outcomes:
                slips.append(_slip_row(outcome, at))
                events.append((LIFECYCLE_TOPIC, case.code, _event(outcome, at, e.correlation_id)))
        opened[e.dossier_code] = (case, slips, events)
    if opened:
        async with pool.acquire() as conn, conn.transaction():
            new = set(await repo.create_cases(conn, [c for c, _, _ in opened.values()],
                                              max(i.message.occurred_at for i in items)))
            # Only the cases inserted now: a redelivered accepted event must not replay twice.
            await repo.add_history(conn, [row for code, (_, slips, _) in opened.items() if code in new
                                          for row in slips])
            await outbox.append_many(conn, [ev for code, (_, _, evs) in opened.items() if code in new for ev in evs])
    return []


_REQUEST_ACTIONS = {RequestType.WITHDRAWAL: Action.WITHDRAW, RequestType.SUPPLEMENT_PROVIDED: Action.RECORD_SUPPLEMENT}


def _answer(case: Case, req, now: datetime, calendar) -> Outcome:
    """What resolution does with a citizen request; TransitionRefused or RatingRefused when it cannot."""
    if req.type is RequestType.RATING:
        if req.score is None:
            raise RatingRefused("Thiếu điểm đánh giá", "The rating request carries no score")
        return rate(case, req.score, now=now)
    return act(case, _REQUEST_ACTIONS[req.type], actor="citizen", reason=req.reason, now=now, calendar=calendar)


async def apply_requests(pool: asyncpg.Pool, calendar, clock, items: list[Item]) -> list:
    """Citizen requests relayed by intake. A request the graph refuses is recorded as refused,
    not dead-lettered: it is a valid message about a dossier that has moved on."""
    rejected = []
    for item in items:
        req = item.message
        async with pool.acquire() as conn, conn.transaction():
            case = await repo.lock_case(conn, req.dossier_code)
            if case is None:
                rejected.append((item, f"no case {req.dossier_code} in resolution"))
                continue
            now = clock()
            try:
                outcome = _answer(case, req, now, calendar)
            except (TransitionRefused, RatingRefused) as exc:
                if await repo.mark_request(conn, req.request_id, req.dossier_code, f"refused: {exc.en}"):
                    log.info("request %s on %s refused: %s", req.type, req.dossier_code, exc.en)
                continue
            if await repo.mark_request(conn, req.request_id, req.dossier_code, "applied"):
                await _record(conn, outcome, now, req.correlation_id)
    return rejected


async def notice_overdue(pool: asyncpg.Pool, now: datetime, limit: int = 500) -> int:
    """Publish one overdue event per case whose running clock has passed its due time."""
    async with pool.acquire() as conn, conn.transaction():
        cases = await repo.lock_newly_overdue(conn, now, limit)
        for case in cases:
            outcome = overdue(case, now)
            if outcome:
                await _record(conn, outcome, now, correlation_id=f"watcher:{case.code}")
        return len(cases)
