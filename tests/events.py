"""Lifecycle events as the tests hand them to consumers' use cases."""

from __future__ import annotations

from datetime import datetime

from aiokafka import ConsumerRecord

from shared.consumer import Item
from shared.events import LIFECYCLE_TOPIC, EventType, make_event, owners


def accepted_item(
    code: str,
    *,
    accepted_at: datetime,
    due_at: datetime,
    agency: str,
    procedure: str = "P",
    hours: int = 8,
    process: list[dict] | None = None,
    requires_approval: bool = False,
) -> Item:
    """A counter dossier's `dossier.accepted` (seq 1), as a consumed record; with the procedure's
    internal process and approval rule when given."""
    event = make_event(
        EventType.ACCEPTED,
        dossier_code=code,
        seq=1,
        occurred_at=accepted_at,
        producer="intake",
        correlation_id="c",
        payload={
            "to_status": 2,
            "actor": "clerk",
            "accepted_at": accepted_at,
            "dimensions": {"agency_id": agency, "procedure_code": procedure, "channel": "counter", "applicant_type": 0},
            "deadline": {
                "due_at": due_at,
                "processing_hours": hours,
                "time_type": "working",
                "clock_policy": "pause",
                "rule_version": "v",
            },
            "process": process or [],
            "requires_approval": requires_approval,
        },
    )
    return Item(ConsumerRecord(LIFECYCLE_TOPIC, 0, 0, 0, 0, code.encode(), b"", None, 0, 0, []), event)


def owned_event(type_: EventType, dossier: str, seq: int, occurred_at: datetime, correlation_id: str, **payload):
    """An event of `type_` as the service that owns the type writes it (consumers refuse others')."""
    return make_event(
        type_,
        dossier_code=dossier,
        seq=seq,
        occurred_at=occurred_at,
        producer=sorted(owners(type_))[0],
        correlation_id=correlation_id,
        payload=payload,
    )
