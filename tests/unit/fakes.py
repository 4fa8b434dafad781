"""In-memory units of work for intake's and resolution's use cases: the same methods as the
PostgreSQL repositories (tests/unit/test_fakes_match.py keeps them in step), on plain dicts.

A transaction is a copy of the store taken on entry and put back when the block raises, so a
refused use case leaves nothing behind, as a rolled-back PostgreSQL transaction would.
"""

from __future__ import annotations

import copy
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from services.intake.adapters.repository import KeyClaim, StoredFile
from services.intake.adapters.supplement_sql import SupplementRequest
from services.intake.domain.catalogue import Agency, Catalogue, Procedure
from services.intake.domain.codes import SEQ_DIGITS
from services.intake.domain.digitisation import Mark
from services.intake.domain.dossier import Apology, Dossier, HistoryEntry, NewDossier, TrackedEvent, TrackingPosition
from services.intake.domain.logbook import LogbookRow
from services.intake.domain.uploads import Upload
from services.resolution.domain import interagency
from services.resolution.domain.assignment import Handover, Staffer
from services.resolution.domain.case import Case, SlipEntry
from shared.events import Event
from shared.lifecycle import Status


@dataclass
class Store:
    """Everything one service's database would hold, as the fakes need it."""

    outbox: list[tuple[str, str, BaseModel]] = field(default_factory=list)
    # intake
    agencies: dict[str, dict] = field(default_factory=dict)
    procedures: dict[tuple[str, str], Procedure] = field(default_factory=dict)
    sequences: dict[tuple[str, date], int] = field(default_factory=dict)
    dossiers: dict[str, Dossier] = field(default_factory=dict)
    history: dict[tuple[str, int], HistoryEntry] = field(default_factory=dict)
    keys: dict[str, list] = field(default_factory=dict)  # key -> [fingerprint, code, response]
    ratings: dict[str, str | None] = field(default_factory=dict)  # code -> comment
    attachments: list[dict] = field(default_factory=list)
    supplement_requests: dict[tuple[str, int], SupplementRequest] = field(default_factory=dict)
    document_marks: dict[str, list[tuple[str, Mark, int | None]]] = field(default_factory=dict)
    # resolution
    cases: dict[str, Case] = field(default_factory=dict)
    slips: dict[tuple[str, int], SlipEntry] = field(default_factory=dict)
    requests: dict[Any, tuple[str, str]] = field(default_factory=dict)
    handovers: dict[tuple[str, int], Handover] = field(default_factory=dict)
    staff: dict[str, Staffer] = field(default_factory=dict)  # the staff_accounts table, as assignment reads it
    results: dict[str, bytes] = field(default_factory=dict)  # electronic results' signed PDFs

    def events(self, topic: str) -> list:
        return [message for t, _, message in self.outbox if t == topic]


class MemoryOutbox:
    def __init__(self, store: Store):
        self.store = store

    async def append(self, topic: str, key: str, message: BaseModel) -> None:
        self.store.outbox.append((topic, key, message))

    async def append_many(self, rows: list[tuple[str, str, BaseModel]]) -> None:
        self.store.outbox.extend(rows)


class MemoryUnitOfWork:
    def __init__(self, store: Store, repository):
        self.store, self._repository = store, repository

    async def __aenter__(self) -> MemoryUnitOfWork:
        self.repo, self.outbox = self._repository(self.store), MemoryOutbox(self.store)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    @asynccontextmanager
    async def transaction(self):
        saved = copy.deepcopy(self.store.__dict__)
        try:
            yield
        except BaseException:
            self.store.__dict__.update(saved)
            raise


def memory_units(store: Store, repository):
    return lambda: MemoryUnitOfWork(store, repository)


class MemoryIntakeRepository:
    def __init__(self, store: Store):
        self.s = store

    async def load_catalogue(self, catalogue: Catalogue) -> int:
        for a in catalogue.agencies:
            self.s.agencies[a.id] = a.model_dump()
        new = 0
        for p in catalogue.procedures:
            key = (p.code, catalogue.version)
            if key not in self.s.procedures:
                self.s.procedures[key] = p.model_copy(
                    update={"version": catalogue.version, "effective_from": catalogue.effective_from}
                )
                new += 1
        return new

    def _in_force(self, day: date) -> dict[str, Procedure]:
        latest: dict[str, Procedure] = {}
        for p in sorted(self.s.procedures.values(), key=lambda p: (p.effective_from, p.version)):
            if p.effective_from is not None and p.effective_from <= day:
                latest[p.code] = p
        return latest

    async def current_procedure(self, code: str, day: date) -> Procedure | None:
        return self._in_force(day).get(code)

    async def current_procedures(self, day: date, agency_id: str | None = None) -> list[Procedure]:
        under = {i for i, a in self.s.agencies.items() if a["parent_id"] == agency_id}
        return [
            p
            for _, p in sorted(self._in_force(day).items())
            if agency_id is None or agency_id in p.agencies or under & set(p.agencies)
        ]

    async def procedure_version(self, code: str, version: str) -> Procedure:
        return self.s.procedures[(code, version)]

    async def procedure_versions(self, codes: list[str]) -> dict[str, list[Procedure]]:
        out: dict[str, list[Procedure]] = {}
        for (code, _), p in self.s.procedures.items():
            if code in codes:
                out.setdefault(code, []).append(p)
        return out

    async def agency(self, agency_id: str) -> Agency | None:
        return (await self.agencies_by_id([agency_id])).get(agency_id)

    async def agencies_by_id(self, ids: list[str]) -> dict[str, Agency]:
        return {i: Agency.model_validate(self.s.agencies[i]) for i in ids if i in self.s.agencies}

    async def agencies(self) -> list[Agency]:
        return [Agency.model_validate(self.s.agencies[i]) for i in sorted(self.s.agencies)]

    async def receive_numbered(self, new: NewDossier, day: date, prefix: str, topic: str, event: Event) -> Dossier:
        number = self.s.sequences.get((new.numbering_agency, day), 0) + 1
        self.s.sequences[(new.numbering_agency, day)] = number
        code = f"{prefix}{number:0{SEQ_DIGITS}d}"
        dossier = Dossier(
            code=code,
            **new.__dict__,
            refusal_reason=None,
            updated_at=new.submitted_at,
            tracking_pin=f"PIN{len(self.s.dossiers):07d}",
        )
        self.s.dossiers[code] = dossier
        self.s.outbox.append((topic, code, event.model_copy(update={"dossier_code": code})))
        return dossier

    async def lock_dossier(self, code: str) -> Dossier | None:
        return self.s.dossiers.get(code)

    async def get_dossier(self, code: str) -> Dossier | None:
        return self.s.dossiers.get(code)

    async def keep_withdrawal_reason(self, code: str, reason: str) -> None:
        self.s.dossiers[code] = replace(self.s.dossiers[code], withdrawal_reason=reason)

    async def record_transition(
        self,
        code: str,
        *,
        status: Status,
        seq: int,
        at: datetime,
        accepted_at: datetime | None = None,
        due_at: datetime | None = None,
        rule_version: str | None = None,
        refusal_reason: str | None = None,
        received_by: str | None = None,
    ) -> None:
        d = self.s.dossiers[code]
        self.s.dossiers[code] = replace(
            d,
            status=Status(status),
            last_seq=seq,
            updated_at=at,
            accepted_at=accepted_at or d.accepted_at,
            due_at=due_at or d.due_at,
            rule_version=rule_version or d.rule_version,
            refusal_reason=refusal_reason or d.refusal_reason,
            received_by=received_by or d.received_by,
        )

    async def list_dossiers(
        self, *, status: int | None, agency_id: str | None, limit: int, offset: int
    ) -> list[Dossier]:
        found = [
            d
            for d in self.s.dossiers.values()
            if status in (None, d.tracked_status if d.tracked_status is not None else d.status)
            and agency_id in (None, d.agency_id, d.receiving_agency_id)
        ]
        return sorted(found, key=lambda d: (d.submitted_at, d.code), reverse=True)[offset : offset + limit]

    async def record_rating(self, code: str, score: int, comment: str | None, at: datetime) -> None:
        self.s.dossiers[code] = replace(self.s.dossiers[code], rating=score, rated_at=at)
        self.s.ratings[code] = comment

    async def history(self, code: str) -> list[HistoryEntry]:
        return [e for (c, _), e in sorted(self.s.history.items()) if c == code]

    async def tracking_positions(self, codes: list[str]) -> dict[str, TrackingPosition]:
        out = {}
        for code in codes:
            if code in self.s.dossiers:
                entries = await self.history(code)
                statuses = [e.status for e in entries if e.status is not None]
                out[code] = TrackingPosition(
                    max((e.seq for e in entries), default=0), statuses[-1] if statuses else None
                )
        return out

    async def add_history(self, entries: list[HistoryEntry]) -> None:
        for e in entries:
            self.s.history.setdefault((e.code, e.seq), e)

    async def apply_tracking(self, events: list[TrackedEvent]) -> None:
        await self.add_history([e.entry for e in events])
        for e in events:
            d = self.s.dossiers.get(e.entry.code)
            if d is not None and e.entry.status is not None and d.tracked_seq < e.entry.seq:
                self.s.dossiers[d.code] = replace(
                    d,
                    tracked_status=Status(e.entry.status),
                    tracked_seq=e.entry.seq,
                    tracked_due_at=e.due_at or d.tracked_due_at,
                )

    async def record_apologies(self, apologies: list[Apology]) -> None:
        for a in sorted(apologies, key=lambda a: a.seq):
            if a.code in self.s.dossiers:
                self.s.dossiers[a.code] = replace(
                    self.s.dossiers[a.code], new_appointment_at=a.new_appointment_at, apology_reason=a.reason
                )

    async def raise_sequences(self, floors: list[tuple[str, date, int]]) -> None:
        for agency, day, floor in floors:
            self.s.sequences[(agency, day)] = max(self.s.sequences.get((agency, day), 0), floor)

    async def insert_imported(self, dossiers: list[Dossier]) -> set[str]:
        new = {d.code for d in dossiers if d.code not in self.s.dossiers}
        self.s.dossiers.update((d.code, d) for d in dossiers if d.code in new)
        return new

    async def claim_key(self, key: str, fingerprint: str, now: datetime) -> KeyClaim | None:
        if key not in self.s.keys:
            self.s.keys[key] = [fingerprint, None, None]
            return None
        return KeyClaim(self.s.keys[key][0], self.s.keys[key][2])

    async def complete_key(self, key: str, dossier_code: str, response: dict) -> None:
        self.s.keys[key][1:] = [dossier_code, response]

    async def insert_attachments(self, code: str, purpose: str, files: list[Upload], at: datetime) -> list[int]:
        ids = []
        for f in files:
            ids.append(len(self.s.attachments) + 1)
            self.s.attachments.append(
                {
                    "id": ids[-1],
                    "code": code,
                    "purpose": purpose,
                    "filename": f.filename,
                    "content_type": f.content_type,
                    "size_bytes": len(f.data),
                    "data": f.data,
                    "uploaded_at": at,
                }
            )
        return ids

    async def attachment_usage(self, code: str) -> tuple[int, int]:
        mine = [a for a in self.s.attachments if a["code"] == code]
        return len(mine), sum(a["size_bytes"] for a in mine)

    async def list_attachments(self, code: str) -> list[dict]:
        return [
            {k: v for k, v in a.items() if k not in ("code", "data")} for a in self.s.attachments if a["code"] == code
        ]

    async def get_attachment(self, code: str, attachment_id: int) -> StoredFile | None:
        found = [a for a in self.s.attachments if a["code"] == code and a["id"] == attachment_id]
        return StoredFile(found[0]["filename"], found[0]["content_type"], found[0]["data"]) if found else None

    async def record_result_kinds(self, kinds: list[tuple[str, str]]) -> None:
        for code, kind in kinds:
            if code in self.s.dossiers:
                self.s.dossiers[code] = replace(self.s.dossiers[code], result_kind=kind)

    async def insert_document_marks(
        self, code: str, documents: list[str], marks: list[Mark], attachment_ids: list[int | None]
    ) -> None:
        self.s.document_marks[code] = list(zip(documents, marks, attachment_ids, strict=True))

    async def digitised_names(self, code: str) -> set[str]:
        kept = {a["id"] for a in self.s.attachments}
        return {
            name
            for name, mark, attachment in self.s.document_marks.get(code, [])
            if mark.kind == "reused" or (mark.kind == "scanned" and attachment in kept)
        }

    async def add_supplement_request(self, request: SupplementRequest) -> None:
        self.s.supplement_requests.setdefault((request.code, request.seq), request)

    async def latest_supplement_request(self, code: str) -> SupplementRequest | None:
        mine = [r for (c, _), r in sorted(self.s.supplement_requests.items()) if c == code]
        return mine[-1] if mine else None

    async def lock_lapsed_supplements(self, now: datetime, limit: int) -> list[str]:
        found = []
        for d in self.s.dossiers.values():
            latest = await self.latest_supplement_request(d.code)
            if d.status is Status.SUPPLEMENT_REQUESTED and d.accepted_at is None and latest and latest.due_at <= now:
                brought = any(
                    a["code"] == d.code
                    and a["purpose"] == "supplement"
                    and latest.requested_at <= a["uploaded_at"] <= latest.due_at
                    for a in self.s.attachments
                )
                if not brought:
                    found.append((latest.due_at, d.code))
        return [code for _, code in sorted(found)[:limit]]

    async def logbook(self, start: datetime, end: datetime, agency_id: str | None) -> list[LogbookRow]:
        rows = []
        for d in sorted(self.s.dossiers.values(), key=lambda d: (d.submitted_at, d.code)):
            if not start <= d.submitted_at < end or agency_id not in (None, d.agency_id):
                continue
            procedure = self.s.procedures.get((d.procedure_code, d.procedure_version))
            agency = self.s.agencies.get(d.agency_id)
            done = {e.type: e.occurred_at for e in await self.history(d.code)}
            rows.append(
                LogbookRow(
                    d.code,
                    d.submitted_at,
                    d.applicant.name,
                    d.applicant.address,
                    d.procedure_code,
                    procedure.name if procedure else None,
                    d.agency_id,
                    agency["name"] if agency else None,
                    d.channel.value,
                    d.shown_due_at,
                    int(d.shown_status),
                    done.get("dossier.resolved"),
                    done.get("dossier.returned"),
                    d.refusal_reason,
                )
            )
        return rows


OPEN_STATUSES = (2, 4, 5, 6)


class MemoryResolutionRepository:
    def __init__(self, store: Store):
        self.s = store

    async def create_cases(self, cases: list[Case], at: datetime) -> list[str]:
        new = [c.code for c in cases if c.code not in self.s.cases]
        self.s.cases.update((c.code, c) for c in cases if c.code in new)
        return new

    async def store_result(self, code: str, pdf: bytes, at: datetime) -> None:
        assert code not in self.s.results, "a case is decided once"
        self.s.results[code] = pdf

    async def result_pdf(self, code: str) -> bytes | None:
        return self.s.results.get(code)

    async def lock_case(self, code: str) -> Case | None:
        return self.s.cases.get(code)

    async def get_case(self, code: str) -> Case | None:
        return self.s.cases.get(code)

    async def save_case(self, case: Case, at: datetime) -> None:
        self.s.cases[case.code] = case

    async def add_slip(self, entries: list[SlipEntry]) -> None:
        for e in entries:
            self.s.slips.setdefault((e.code, e.seq), e)

    async def slip(self, code: str) -> list[SlipEntry]:
        return [e for (c, _), e in sorted(self.s.slips.items()) if c == code]

    async def worklist(self, *, agency_id: str | None, status: int | None, limit: int, offset: int) -> list[Case]:
        found = [c for c in self.s.cases.values() if agency_id in (None, c.agency_id) and status in (None, c.status)]
        return sorted(found, key=lambda c: (c.due_at, c.code))[offset : offset + limit]

    async def worklist_view(
        self, *, agency_id: str | None, view: str, username: str, limit: int, offset: int
    ) -> list[Case]:
        def shown(c: Case) -> bool:
            if view == "mine":
                return c.assignee == username and c.status in OPEN_STATUSES
            if view == "unassigned":
                return c.assignee is None and c.status in OPEN_STATUSES
            return c.requires_approval and c.approved_at is None and c.status == 4

        found = [c for c in self.s.cases.values() if agency_id in (None, c.agency_id) and shown(c)]
        return sorted(found, key=lambda c: (c.due_at, c.code))[offset : offset + limit]

    async def add_handovers(self, handovers: list[Handover]) -> None:
        for h in handovers:
            self.s.handovers.setdefault((h.code, h.seq), h)

    async def handovers(self, code: str) -> list[Handover]:
        return [h for (c, _), h in sorted(self.s.handovers.items()) if c == code]

    async def staffer(self, username: str) -> Staffer | None:
        return self.s.staff.get(username)

    async def staff_loads(self, agency_id: str) -> list[tuple[Staffer, int]]:
        return [
            (s, sum(1 for c in self.s.cases.values() if c.assignee == s.username and c.status in OPEN_STATUSES))
            for _, s in sorted(self.s.staff.items())
            if s.agency_id == agency_id and s.role in ("officer", "leader")
        ]

    async def away_at(self, agency_id: str | None, limit: int, offset: int) -> list[Case]:
        found = [
            c
            for c in self.s.cases.values()
            if c.away_agency_id is not None and agency_id in (None, c.away_agency_id) and c.status in (2, 4, 5, 6)
        ]
        return sorted(found, key=lambda c: (c.due_at, c.code))[offset : offset + limit]

    async def lock_newly_overdue(self, now: datetime, limit: int) -> list[Case]:
        due = [
            c
            for c in self.s.cases.values()
            if c.status in (2, 4) and not c.overdue_notified and c.due_at <= now and interagency.watcher_may_notify(c)
        ]
        return sorted(due, key=lambda c: c.due_at)[:limit]

    async def mark_request(self, request_id, code: str, outcome: str) -> bool:
        if request_id in self.s.requests:
            return False
        self.s.requests[request_id] = (code, outcome)
        return True

    async def export_batches(self, agency_id: str | None, batch: int):
        rows = [c.__dict__ for _, c in sorted(self.s.cases.items()) if agency_id in (None, c.agency_id)]
        for i in range(0, len(rows), batch):
            yield rows[i : i + batch]

    async def unpublished_events(self) -> int:
        return 0  # the fake outbox publishes nothing: callers here do not ask

    async def export_lookup(self, codes: list[str]) -> list:
        return [self.s.cases[c].__dict__ for c in sorted(codes) if c in self.s.cases]
