"""Realistic dossiers for the benchmarks, generated (never stored) and the same for a seed.

Procedures come from the demo catalogue, weighted so the commune's same-day papers are
the most frequent; channels, paths and waiting times follow what a one-stop shop sees.
The lifecycle events are built by the services' own rules: intake's deadline at
acceptance and resolution's `act`, so every payload is one production could publish.
"""

from __future__ import annotations

import heapq
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

from services.intake.domain.catalogue import Agency, Procedure
from services.intake.domain.codes import format_code
from services.intake.domain.dossier import deadline_at_acceptance, dimensions
from services.intake.domain.placement import Placement
from services.intake.service.catalogue import SHIPPED_CATALOGUE, read_catalogue
from services.resolution.domain.case import Case, act, overdue
from shared.calendar import default_calendar
from shared.events import (
    AcceptedPayload,
    Channel,
    ClosedPayload,
    EventType,
    RatedPayload,
    RefusedPayload,
    SubmittedPayload,
    encode,
    make_event,
)
from shared.lifecycle import Action, Status
from shared.local_time import local_day

START = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=7)))  # one year of reception from here
YEAR = timedelta(days=365)
CHANNELS = ((Channel.ONLINE, 0.55), (Channel.COUNTER, 0.40), (Channel.POST, 0.05))
# Online submission is public; counter and post need a clerk's sign-in, so HTTP load uses online.
ONLINE_ONLY = ((Channel.ONLINE, 1.0),)
APPLICANT_TYPES = ((0, 0.80), (1, 0.12), (2, 0.08))
EVENTS_PER_DOSSIER = 4.7  # mean of the first N events of this generator (the last dossiers still open)


@dataclass(frozen=True)
class Catalogue:
    procedures: list[Procedure]
    weights: list[float]
    version: str
    agencies: dict[str, Agency]


def catalogue() -> Catalogue:
    cat = read_catalogue(SHIPPED_CATALOGUE)
    # Same-day commune papers (certified copies, civil status) dominate a one-stop shop's counter.
    weights = [6.0 if p.processing_hours == 0 else 3.0 if p.processing_hours <= 24 else 1.0 for p in cat.procedures]
    return Catalogue(cat.procedures, weights, cat.version, {a.id: a for a in cat.agencies})


def _pick(rng: random.Random, options) -> object:
    values, weights = zip(*options, strict=False)
    return rng.choices(values, weights)[0]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def deadline_inputs(n: int, seed: int = 7) -> list[tuple[datetime, int, str]]:
    """(accepted_at, hours, time_type) as intake computes them: the catalogue's mix, a channel's
    hours, acceptance mostly inside office hours, some in the evening, at lunch or on weekends."""
    rng, cat = random.Random(seed), catalogue()
    procs = rng.choices(cat.procedures, cat.weights, k=n)
    out = []
    for p in procs:
        channel = _pick(rng, CHANNELS)
        at = START + timedelta(seconds=rng.randrange(int(YEAR.total_seconds())))
        if rng.random() < 0.8:  # most acceptances happen while the counter is open
            at = at.replace(hour=rng.choice((7, 8, 9, 10, 13, 14, 15, 16)), minute=rng.randrange(60))
        out.append((at.astimezone(UTC), p.hours_for(channel), p.time_type))
    return out


class _Dossier:
    """One dossier's life, written as the services would write it."""

    def __init__(self, rng: random.Random, cat: Catalogue, calendar, code_seqs: dict, arrival: datetime):
        self.rng, self.cal = rng, calendar
        self.proc: Procedure = rng.choices(cat.procedures, cat.weights)[0]
        self.channel: Channel = _pick(rng, CHANNELS)
        self.catalogue_version = cat.version
        applicant_type = _pick(rng, APPLICANT_TYPES)
        agency = cat.agencies[rng.choice(self.proc.agencies)]  # one of the communes, for a commune-level one
        self.dims = dimensions(self.proc, self.channel, applicant_type, Placement(agency, agency), cat.agencies)
        if self.channel is not Channel.ONLINE:  # a clerk receives it while the counter is open
            arrival = calendar.add_working_time(calendar.clock_start(arrival), rng.uniform(0.01, 0.5))
        day = local_day(arrival)
        key = (agency.id, day)
        code_seqs[key] = code_seqs.get(key, 0) + 1
        self.code = format_code(agency.id, day, code_seqs[key])
        self.events: list[tuple[datetime, int, bytes]] = []
        self.at = arrival
        self._live()

    # --- writing events -----------------------------------------------------------------
    def _emit(self, type_: EventType, seq: int, at: datetime, payload, producer: str) -> None:
        at = max(at, self.at + timedelta(seconds=1)) if self.events else at  # strictly increasing per dossier
        self.at = at
        event = make_event(
            type_,
            dossier_code=self.code,
            seq=seq,
            occurred_at=at,
            producer=producer,
            correlation_id=str(_uuid(self.rng)),
            payload=payload,
        )
        event = event.model_copy(update={"event_id": _uuid(self.rng)})  # deterministic ids too
        self.events.append((at, seq, encode(event)))

    def _later(self, hours: float) -> datetime:
        return self.cal.add_working_time(self.at, hours)

    # --- the paths ----------------------------------------------------------------------
    def _live(self) -> None:
        rng = self.rng
        if self.channel is Channel.ONLINE:
            self._emit(
                EventType.SUBMITTED,
                1,
                self.at,
                SubmittedPayload(to_status=1, actor="citizen", dimensions=self.dims),
                "intake",
            )
            r = rng.random()
            if r < 0.04:
                self._emit(
                    EventType.REFUSED,
                    2,
                    self._later(rng.uniform(0.3, 8)),
                    RefusedPayload(
                        from_status=1,
                        to_status=3,
                        actor="canbo.motcua",
                        reason="Hồ sơ không đúng thành phần",
                        dimensions=self.dims,
                    ),
                    "intake",
                )
                return
            if r < 0.06:
                self._emit(
                    EventType.WITHDRAWN,
                    2,
                    self.at + timedelta(hours=rng.uniform(1, 48)),
                    ClosedPayload(from_status=1, to_status=7, actor="citizen"),
                    "intake",
                )
                return
            self._accept(2, self._later(rng.uniform(0.2, 8)), from_status=1)
        else:
            self._accept(1, self.at, from_status=None)
        self._resolve_case()

    def _accept(self, seq: int, at: datetime, from_status: int | None) -> None:
        deadline = deadline_at_acceptance(self.proc, self.channel, at, self.cal)
        # intake's rule version names the catalogue version the dossier was received under
        deadline = deadline.model_copy(update={"rule_version": deadline.rule_version + self.catalogue_version})
        self._emit(
            EventType.ACCEPTED,
            seq,
            at,
            AcceptedPayload(
                from_status=from_status,
                to_status=2,
                actor="canbo.motcua",
                dimensions=self.dims,
                accepted_at=at,
                deadline=deadline,
            ),
            "intake",
        )
        self.case = Case(
            code=self.code,
            agency_id=self.dims.agency_id,
            procedure_code=self.proc.code,
            channel=self.channel.value,
            status=Status.ACCEPTED,
            accepted_at=at,
            due_at=deadline.due_at,
            processing_hours=deadline.processing_hours,
            time_type=deadline.time_type,
            clock_policy=deadline.clock_policy,
            rule_version=deadline.rule_version,
            last_seq=seq,
        )

    def _act(self, action: Action, at: datetime, actor: str = "cv.xuly", reason: str | None = None) -> None:
        at = max(at, self.at + timedelta(seconds=1))
        outcome = act(self.case, action, actor=actor, reason=reason, now=at, calendar=self.cal)
        self.case = outcome.case
        self._emit(outcome.event_type, self.case.last_seq, at, outcome.payload, "resolution")

    def _resolve_case(self) -> None:
        rng = self.rng
        if rng.random() < 0.01:
            self._act(Action.WITHDRAW, self._later(rng.uniform(0.5, 8)), actor="citizen")
            return
        self._act(Action.START_PROCESSING, self._later(rng.uniform(0.1, 4)), reason="Thẩm định")
        if rng.random() < 0.08:  # papers missing: the clock pauses until the citizen supplies them
            self._act(Action.REQUEST_SUPPLEMENT, self._later(rng.uniform(1, 8)), reason="Thiếu giấy tờ")
            if rng.random() < 0.1:
                self._act(Action.WITHDRAW, self._later(rng.uniform(8, 40)), actor="citizen")
                return
            self._act(Action.RECORD_SUPPLEMENT, self._later(rng.uniform(8, 40)))
        if rng.random() < 0.10:  # a fee or tax to pay first
            self._act(Action.REQUEST_FEE, self._later(rng.uniform(0.5, 8)))
            self._act(Action.RECORD_PAYMENT, self._later(rng.uniform(1, 16)))
        r = rng.random()
        if r < 0.02:
            self._act(Action.STOP, self._later(rng.uniform(1, 16)), actor="lanhdao", reason="Không đủ điều kiện")
            return
        if r < 0.10:  # late: the deadline watcher notices first
            notice = overdue(self.case, max(self.case.due_at, self.at) + timedelta(minutes=1))
            if notice is not None:
                self.case = notice.case
                self._emit(
                    notice.event_type,
                    self.case.last_seq,
                    max(self.case.due_at, self.at) + timedelta(minutes=1),
                    notice.payload,
                    "resolution",
                )
            at = self.cal.add_working_time(max(self.case.due_at, self.at), rng.uniform(1, 24))
        else:
            left = self.cal.working_hours_between(self.at, self.case.due_at)
            at = self._later(max(0.05, left * rng.uniform(0.1, 0.95)))
        self._act(Action.RESOLVE, at, actor="lanhdao")
        if rng.random() < 0.92:
            self._act(Action.RETURN_RESULT, self._later(rng.uniform(0.5, 40)), actor="canbo.motcua")
            if rng.random() < 0.3:  # some citizens rate the service afterwards
                self.case = replace(self.case, last_seq=self.case.last_seq + 1)
                score = rng.choices((5, 4, 3, 2, 1), (60, 25, 8, 4, 3))[0]
                self._emit(
                    EventType.RATED,
                    self.case.last_seq,
                    self.at + timedelta(hours=rng.uniform(0.1, 72)),
                    RatedPayload(score=score),
                    "resolution",
                )


def lifecycle_events(
    n_events: int | None = None, seed: int = 1, span: timedelta = YEAR, n_dossiers: int | None = None
) -> Iterator[tuple[str, int, bytes]]:
    """(dossier code, seq, encoded event) in the order of their instants, dossiers interleaved
    as on the real topic, until `n_events` events (the last dossiers are then cut short: still
    in progress, a valid state) or the whole lives of `n_dossiers` dossiers."""
    if (n_events is None) == (n_dossiers is None):
        raise ValueError("give n_events or n_dossiers")
    rng, cat, cal = random.Random(seed), catalogue(), default_calendar()
    expected = n_dossiers or n_events / EVENTS_PER_DOSSIER
    mean_gap = span.total_seconds() / max(1.0, expected)
    limit = n_events if n_events is not None else float("inf")
    heap: list[tuple[datetime, int, int, str, bytes]] = []
    code_seqs: dict = {}
    arrival, index, sent = START.astimezone(UTC), 0, 0
    while sent < limit and (n_dossiers is None or index < n_dossiers):
        arrival += timedelta(seconds=rng.expovariate(1 / mean_gap))
        while heap and heap[0][0] <= arrival and sent < limit:
            _, _, seq, code, value = heapq.heappop(heap)
            yield code, seq, value
            sent += 1
        dossier = _Dossier(rng, cat, cal, code_seqs, arrival)
        for at, seq, value in dossier.events:
            heapq.heappush(heap, (at, index, seq, dossier.code, value))
        index += 1
    while heap and sent < limit:
        _, _, seq, code, value = heapq.heappop(heap)
        yield code, seq, value
        sent += 1


def submission_bodies(n: int, seed: int = 3, channels=CHANNELS) -> list[dict]:
    """Request bodies for POST /api/v1/dossiers: the catalogue's mix, made-up applicants."""
    rng, cat = random.Random(seed), catalogue()
    family = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")
    given = ("Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Ngọc Lan")
    bodies = []
    for p in rng.choices(cat.procedures, cat.weights, k=n):
        channel = _pick(rng, channels)
        body = {
            "procedure_code": p.code,
            "channel": channel.value,
            "applicant": {
                "type": _pick(rng, APPLICANT_TYPES),
                "name": f"{rng.choice(family)} {rng.choice(given)}",
                "id_number": f"{rng.randrange(10**12):012d}",
                "phone": f"09{rng.randrange(10**8):08d}",
            },
            "documents": p.documents[:3] or ["Tờ khai"],
            # which agency resolves it: a commune-level procedure is performed by every commune
            "agency_id": rng.choice(p.agencies),
        }
        if channel is not Channel.ONLINE:
            body["received_by"] = "canbo.motcua"
        bodies.append(body)
    return bodies
