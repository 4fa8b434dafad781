"""The tracking view: each dossier's current status and history, from the lifecycle topic."""

from __future__ import annotations

from services.intake.domain.dossier import (
    Apology,
    HistoryEntry,
    TrackedEvent,
    TrackingPosition,
)
from services.intake.service import payments
from services.intake.service.dossiers import IntakeUnits
from shared.consumer import Item
from shared.events import Event, EventType
from shared.lifecycle import OutOfSequence, is_next


def _due_at(payload):
    deadline = getattr(payload, "deadline", None)
    return deadline.due_at if deadline else getattr(payload, "due_at", None)


async def apply_events(units: IntakeUnits, items: list[Item[Event]]) -> list[tuple[Item, str]]:
    """Record the events in the tracking view; returns those that break a dossier's sequence or
    status graph (they go to the dead-letter topic instead of changing what a citizen sees)."""
    rejected: list[tuple[Item, str]] = []
    tracked, apologies, applied, results = [], [], [], []
    async with units() as uow, uow.transaction():
        known = await uow.repo.tracking_positions(sorted({i.message.dossier_code for i in items}))
        for item in items:
            e = item.message
            try:
                _judge(known, e)
            except OutOfSequence as exc:
                rejected.append((item, str(exc)))
                continue
            p = e.payload
            applied.append(e)
            tracked.append(
                TrackedEvent(
                    HistoryEntry(
                        e.dossier_code,
                        e.seq,
                        e.type,
                        getattr(p, "to_status", None),
                        e.occurred_at,
                        getattr(p, "actor", None),
                        getattr(p, "reason", None),
                    ),
                    _due_at(p),
                )
            )
            if e.type == EventType.APOLOGY_ISSUED.value:  # form 04: the new appointment shown (the due time stays)
                apologies.append(Apology(e.dossier_code, e.seq, p.new_appointment_at, p.reason))
            if e.type == EventType.RESOLVED.value and p.result_kind:  # an electronic one is offered for download
                results.append((e.dossier_code, p.result_kind))
        await uow.repo.apply_tracking(tracked)
        await uow.repo.record_apologies(apologies)
        await uow.repo.record_result_kinds(results)
        if payments.fees_asked(applied) or payments.payments_made(applied):  # the fee and its payment (issue 15)
            await payments.record_from_topic(uow.repo.conn, applied)
    return rejected


def _judge(known: dict[str, TrackingPosition], e: Event) -> None:
    """Judge an event of a dossier intake holds by the last one recorded, and move that position
    on; OutOfSequence when it cannot follow. Other dossiers' events are kept as history, unjudged."""
    position = known.get(e.dossier_code)
    if position is None:
        return
    if is_next(e.dossier_code, position.seq, position.status, e.seq, e.type, getattr(e.payload, "from_status", None)):
        to_status = getattr(e.payload, "to_status", None)
        known[e.dossier_code] = TrackingPosition(e.seq, to_status if to_status is not None else position.status)
