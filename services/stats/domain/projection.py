"""The stats projection: one fact row per dossier, moved by its events in seq order, and
the counter changes each move makes. Pure: the same events always give the same rows."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone

from shared.events import EventType

VN = timezone(timedelta(hours=7))

# Board buckets: each dossier is in exactly one at any time.
BUCKETS = ("awaiting", "processing_within", "processing_overdue", "paused_within", "paused_overdue",
           "waiting_handover", "returned", "withdrawn", "refused", "stopped")
# Daily metrics: what happened on a local day.
DAILY_METRICS = ("received", "resolved_early", "resolved_on_time", "resolved_late", "returned", "withdrawn",
                 "refused", "stopped")
_CLOSING = {10: "returned", 7: "withdrawn", 3: "refused", 8: "stopped"}


# Recorded by their owners; they move no count (an apology keeps the original due time).
_NO_STATUS_CHANGE = {EventType.RATED.value, EventType.APOLOGY_ISSUED.value}


class Rejected(Exception):
    """An event this projection can never apply (its reason goes to the dead-letter topic)."""


@dataclass(frozen=True)
class Fact:
    code: str
    agency_id: str
    procedure_code: str
    channel: str
    status: int
    overdue: bool
    received_at: datetime
    accepted_at: datetime | None
    due_at: datetime | None
    resolved_at: datetime | None
    compliance: str | None
    last_seq: int

    @property
    def bucket(self) -> str:
        return bucket_of(self.status, self.overdue)

    @property
    def dims(self) -> tuple[str, str, str]:
        return (self.agency_id, self.procedure_code, self.channel)


def bucket_of(status: int, overdue: bool) -> str:
    if status == 1:
        return "awaiting"
    if status in (2, 4):
        return "processing_overdue" if overdue else "processing_within"
    if status in (5, 6):
        return "paused_overdue" if overdue else "paused_within"
    if status == 9:
        return "waiting_handover"
    return _CLOSING[status]


def local_day(at: datetime) -> date:
    return at.astimezone(VN).date()


@dataclass
class Change:
    fact: Fact
    buckets: list[tuple[tuple[str, str, str], str, int]]   # (dims, bucket, +1/-1)
    daily: list[tuple[date, tuple[str, str, str], str]]    # (day, dims, metric), each +1


def project(fact: Fact | None, event) -> Change | None:
    """Apply one event; None for a duplicate (already applied), Rejected for one that cannot be."""
    seq, p = event.seq, event.payload
    if fact is not None and seq <= fact.last_seq:
        return None
    expected = 1 if fact is None else fact.last_seq + 1
    if seq != expected:
        raise Rejected(f"seq {seq} of {event.dossier_code} breaks the sequence: expected {expected}")
    at = event.occurred_at
    daily: list = []
    if fact is None:
        if not hasattr(p, "dimensions"):
            raise Rejected(f"{event.type} for unknown dossier {event.dossier_code}")
        d = p.dimensions
        new = Fact(code=event.dossier_code, agency_id=d.agency_id, procedure_code=d.procedure_code,
                   channel=d.channel.value, status=p.to_status, overdue=False, received_at=at, accepted_at=None,
                   due_at=None, resolved_at=None, compliance=None, last_seq=seq)
        daily.append((local_day(at), new.dims, "received"))
    else:
        new = replace(fact, last_seq=seq)
    if event.type == EventType.OVERDUE.value:
        new = replace(new, overdue=True)
    elif event.type in _NO_STATUS_CHANGE:
        pass
    else:
        new = _status_change(new, event)
        if new.status == 9 and new.compliance:
            daily.append((local_day(at), new.dims, "resolved_" + new.compliance))
        if new.status in _CLOSING:
            daily.append((local_day(at), new.dims, _CLOSING[new.status]))
    buckets = []
    if fact is None:
        buckets.append((new.dims, new.bucket, 1))
    elif fact.bucket != new.bucket:
        buckets += [(fact.dims, fact.bucket, -1), (new.dims, new.bucket, 1)]
    return Change(new, buckets, daily)


def _status_change(fact: Fact, event) -> Fact:
    p, at = event.payload, event.occurred_at
    if p.from_status is not None and p.from_status != fact.status:
        raise Rejected(f"{event.type} from status {p.from_status} but {fact.code} is in {fact.status}")
    changes: dict = {"status": p.to_status}
    if event.type == EventType.ACCEPTED.value:
        changes.update(accepted_at=p.accepted_at, due_at=p.deadline.due_at, overdue=False)
    elif event.type == EventType.PROCESSING_STARTED.value:
        changes.update(due_at=p.due_at, overdue=p.due_at <= at)
    elif event.type == EventType.RESOLVED.value:
        changes.update(resolved_at=at, compliance=p.compliance, due_at=p.due_at)
    return replace(fact, **changes)
