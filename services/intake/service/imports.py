"""Importing legacy dossiers: each valid line becomes a dossier with its history and events.

One transaction per chunk of lines: the dossier rows, intake's history rows and the outbox
events with their historical times. Intake writes the events up to acceptance (its own);
the accepted event carries the later history, which resolution replays as the owner of
those events. A code already present is skipped, so importing a file twice changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel

from services.intake.domain.catalogue import Procedure, version_on
from services.intake.domain.dossier import (
    REFUSAL_REASON,
    Dossier,
    HistoryEntry,
    accepted_payload,
    deadline_at_acceptance,
    dimensions,
)
from services.intake.domain.legacy import (
    LineError,
    Plan,
    our_code_sequence,
    parse_line,
    plan,
)
from services.intake.domain.placement import Placement, place
from services.intake.service.dossiers import PRODUCER, IntakeUnits
from shared.errors import Forbidden, InvalidRequest
from shared.events import (
    LIFECYCLE_TOPIC,
    ClosedPayload,
    Dimensions,
    Event,
    ImportedHistory,
    PausedPayload,
    RefusedPayload,
    SubmittedPayload,
    make_event,
)
from shared.lifecycle import Status
from shared.local_time import local_day
from shared.uow import UnitOfWork

CHUNK_LINES = 500
MAX_LINES = 5000
MAX_BYTES = 20 * 1024 * 1024


@dataclass
class Report:
    lines: int = 0
    imported: int = 0
    already_present: int = 0
    errors: list[dict] = field(default_factory=list)

    def error(self, line: int, exc: LineError) -> None:
        self.errors.append({"line": line, "code": exc.code, "message_vi": exc.vi, "message_en": exc.en})


async def import_lines(
    units: IntakeUnits, calendar, now: datetime, *, source: str, first_line: int, lines: list[bytes]
) -> dict:
    """`lines[i]` is line `first_line + i` of the file; blank lines are skipped but numbered."""
    report = Report()
    for start in range(0, len(lines), CHUNK_LINES):
        plans: dict[str, tuple[int, Plan]] = {}
        for i, raw in enumerate(lines[start : start + CHUNK_LINES], start=first_line + start):
            if not raw.strip():
                continue
            report.lines += 1
            try:
                p = plan(parse_line(raw), now)
            except LineError as exc:
                report.error(i, exc)
                continue
            if p.dossier.code in plans:  # the same dossier twice in one chunk: the first one counts
                report.already_present += 1
            else:
                plans[p.dossier.code] = (i, p)
        if plans:
            async with units() as uow, uow.transaction():
                await _import_chunk(uow, calendar, source, plans, report)
    report.errors.sort(key=lambda e: e["line"])
    return {
        "lines": report.lines,
        "imported": report.imported,
        "already_present": report.already_present,
        "errors": report.errors,
    }


async def _import_chunk(
    uow: UnitOfWork, calendar, source: str, plans: dict[str, tuple[int, Plan]], report: Report
) -> None:
    """One transaction: the dossiers, intake's history rows and its events, with their historical times."""
    repo = uow.repo
    versions = await repo.procedure_versions(sorted({p.dossier.procedure_code for _, p in plans.values()}))
    agencies = {a.id: a for a in await repo.agencies()}
    ready: list[tuple[Plan, Procedure, Placement]] = []
    for line, p in plans.values():
        procedure = version_on(versions.get(p.dossier.procedure_code, []), local_day(p.received_at))
        if procedure is None:
            report.error(
                line,
                LineError(
                    "unknown_procedure",
                    f"Thủ tục {p.dossier.procedure_code} không có trong danh mục",
                    f"Procedure {p.dossier.procedure_code} is not in the catalogue",
                ),
            )
            continue
        try:
            placement = place(procedure, p.dossier.agency_id, p.dossier.receiving_agency_id, agencies)
        except (InvalidRequest, Forbidden) as exc:
            report.error(line, LineError("bad_agency", exc.vi, exc.en))
            continue
        ready.append((p, procedure, placement))
    ready.sort(key=lambda r: r[0].dossier.code)  # one insert order for every writer
    floors: dict[tuple[str, object], int] = {}
    for p, _, _ in ready:
        if found := our_code_sequence(p.dossier.code):
            floors[found[:2]] = max(floors.get(found[:2], 0), found[2])
    # Sequences before dossiers: the order a live reception takes its locks in.
    await repo.raise_sequences([(a, d, s) for (a, d), s in floors.items()])
    built = [
        _build(p, proc, calendar, source, dimensions(proc, p.dossier.channel, p.dossier.applicant.type, at, agencies))
        for p, proc, at in ready
    ]
    inserted = await repo.insert_imported([dossier for dossier, _, _ in built])
    history: list[HistoryEntry] = []
    events: list = []
    for dossier, entries, evs in built:
        if dossier.code in inserted:
            history += entries
            events += [(LIFECYCLE_TOPIC, dossier.code, e) for e in evs]
    await repo.add_history(history)
    await uow.outbox.append_many(events)
    report.imported += len(inserted)
    report.already_present += len(ready) - len(inserted)


def _build(
    p: Plan, procedure: Procedure, calendar, source: str, dims: Dimensions
) -> tuple[Dossier, list[HistoryEntry], list[Event]]:
    """The dossier, intake's history entries and intake's events for one planned dossier."""
    d = p.dossier
    deadline = deadline_at_acceptance(procedure, d.channel, p.accepted_at, calendar) if p.accepted_at else None
    correlation = f"import:{uuid.uuid4()}"
    history: list[HistoryEntry] = []
    events: list[Event] = []
    for seq, step in enumerate(p.intake_steps, start=1):
        base = {
            "from_status": step.from_status,
            "to_status": step.to_status,
            "actor": step.actor,
            "reason": step.reason,
        }
        payload: BaseModel
        if step.to_status == Status.SUBMITTED:
            payload = SubmittedPayload(**base, dimensions=dims)
        elif step.to_status == Status.ACCEPTED:
            payload = accepted_payload(
                procedure,
                **base,
                dimensions=dims,
                accepted_at=step.at,
                deadline=deadline,
                imported=ImportedHistory(source=source, steps=p.later_steps, rating=d.rating, rated_at=p.rated_at),
            )
        elif step.to_status == Status.REFUSED:  # the legacy words stay at intake, as a clerk's do
            payload = RefusedPayload(**{**base, "reason": REFUSAL_REASON}, dimensions=dims)
        elif step.to_status == Status.SUPPLEMENT_REQUESTED:
            payload = PausedPayload(**base, due_at=None)  # no clock runs before acceptance
        else:
            payload = ClosedPayload(**base)
        events.append(
            make_event(
                step.event_type,
                dossier_code=d.code,
                seq=seq,
                occurred_at=step.at,
                producer=PRODUCER,
                correlation_id=correlation,
                payload=payload,
            )
        )
        history.append(
            HistoryEntry(d.code, seq, step.event_type.value, step.to_status, step.at, step.actor, step.reason)
        )
    dossier = Dossier(
        code=d.code,
        agency_id=dims.agency_id,
        receiving_agency_id=dims.receiving_agency_id,
        procedure_code=procedure.code,
        procedure_version=procedure.version,
        channel=d.channel,
        status=Status(p.status),
        applicant=d.applicant,
        documents=d.documents,
        received_by=d.history[0].actor,
        submitted_at=p.received_at,
        accepted_at=p.accepted_at,
        due_at=deadline.due_at if deadline else None,
        rule_version=deadline.rule_version if deadline else None,
        refusal_reason=p.refusal_reason,
        last_seq=len(p.intake_steps),
        updated_at=p.intake_steps[-1].at,
        import_source=source,
        rating=d.rating,
        rated_at=p.rated_at,
    )
    return dossier, history, events
