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

import asyncpg

from services.intake.adapters import repository as repo
from services.intake.domain.catalogue import Procedure, version_on
from services.intake.domain.codes import local_day
from services.intake.domain.dossier import deadline_at_acceptance
from services.intake.domain.legacy import LineError, Plan, our_code_sequence, parse_line, plan
from shared import outbox
from shared.events import (LIFECYCLE_TOPIC, AcceptedPayload, ClosedPayload, Dimensions, ImportedHistory, PausedPayload,
                           RefusedPayload, SubmittedPayload, make_event)
from shared.lifecycle import Status

PRODUCER = "intake"
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


async def import_lines(pool: asyncpg.Pool, calendar, now: datetime, *, source: str, first_line: int,
                       lines: list[bytes]) -> dict:
    """`lines[i]` is line `first_line + i` of the file; blank lines are skipped but numbered."""
    report = Report()
    for start in range(0, len(lines), CHUNK_LINES):
        plans: dict[str, tuple[int, Plan]] = {}
        for i, raw in enumerate(lines[start:start + CHUNK_LINES], start=first_line + start):
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
            await _import_chunk(pool, calendar, source, plans, report)
    report.errors.sort(key=lambda e: e["line"])
    return {"lines": report.lines, "imported": report.imported, "already_present": report.already_present,
            "errors": report.errors}


async def _import_chunk(pool, calendar, source: str, plans: dict[str, tuple[int, Plan]], report: Report) -> None:
    async with pool.acquire() as conn, conn.transaction():
        versions = await repo.procedure_versions(conn, sorted({p.dossier.procedure_code for _, p in plans.values()}))
        ready: list[tuple[Plan, Procedure]] = []
        for line, p in plans.values():
            procedure = version_on(versions.get(p.dossier.procedure_code, []), local_day(p.received_at))
            if procedure is None:
                report.error(line, LineError(
                    "unknown_procedure", f"Thủ tục {p.dossier.procedure_code} không có trong danh mục",
                    f"Procedure {p.dossier.procedure_code} is not in the catalogue"))
            else:
                ready.append((p, procedure))
        ready.sort(key=lambda r: r[0].dossier.code)  # one insert order for every writer
        floors: dict[tuple[str, object], int] = {}
        for p, _ in ready:
            if found := our_code_sequence(p.dossier.code):
                floors[found[:2]] = max(floors.get(found[:2], 0), found[2])
        # Sequences before dossiers: the order a live reception takes its locks in.
        await repo.raise_sequences(conn, [(a, d, s) for (a, d), s in floors.items()])
        names = await repo.agency_names(conn, sorted({proc.agency_id for _, proc in ready}))
        built = [_build(p, proc, calendar, source, names.get(proc.agency_id)) for p, proc in ready]
        inserted = await repo.insert_imported(conn, [row for row, _, _ in built])
        history, events = [], []
        for row, rows, evs in built:
            if row["code"] in inserted:
                history += rows
                events += [(LIFECYCLE_TOPIC, row["code"], e) for e in evs]
        await repo.add_history(conn, history)
        await outbox.append_many(conn, events)
        report.imported += len(inserted)
        report.already_present += len(ready) - len(inserted)


def _build(p: Plan, procedure: Procedure, calendar, source: str, agency_name: str | None):
    """The dossier row, intake's history rows and intake's events for one planned dossier."""
    d = p.dossier
    dims = Dimensions(agency_id=procedure.agency_id, procedure_code=procedure.code, channel=d.channel,
                      applicant_type=d.applicant.type, agency_name=agency_name, procedure_name=procedure.name)
    deadline = deadline_at_acceptance(procedure, d.channel, p.accepted_at, calendar) if p.accepted_at else None
    correlation = f"import:{uuid.uuid4()}"
    history, events = [], []
    for seq, step in enumerate(p.intake_steps, start=1):
        base = dict(from_status=step.from_status, to_status=step.to_status, actor=step.actor, reason=step.reason)
        if step.to_status == Status.SUBMITTED:
            payload = SubmittedPayload(**base, dimensions=dims)
        elif step.to_status == Status.ACCEPTED:
            payload = AcceptedPayload(**base, dimensions=dims, accepted_at=step.at, deadline=deadline,
                                      imported=ImportedHistory(source=source, steps=p.later_steps, rating=d.rating,
                                                               rated_at=p.rated_at))
        elif step.to_status == Status.REFUSED:
            payload = RefusedPayload(**base, dimensions=dims)
        elif step.to_status == Status.SUPPLEMENT_REQUESTED:
            payload = PausedPayload(**base, due_at=None)  # no clock runs before acceptance
        else:
            payload = ClosedPayload(**base)
        events.append(make_event(step.event_type, dossier_code=d.code, seq=seq, occurred_at=step.at,
                                 producer=PRODUCER, correlation_id=correlation, payload=payload))
        history.append((d.code, seq, step.event_type.value, step.to_status, step.at, step.actor, step.reason))
    row = {
        "code": d.code, "agency_id": procedure.agency_id, "procedure_code": procedure.code,
        "procedure_version": procedure.version, "channel": d.channel.value, "status": p.status,
        "applicant": d.applicant.model_dump(), "documents": d.documents, "received_by": d.history[0].actor,
        "submitted_at": p.received_at, "accepted_at": p.accepted_at,
        "due_at": deadline.due_at if deadline else None, "rule_version": deadline.rule_version if deadline else None,
        "refusal_reason": p.refusal_reason, "last_seq": len(p.intake_steps), "updated_at": p.intake_steps[-1].at,
        "import_source": source, "rating": d.rating, "rated_at": p.rated_at,
    }
    return row, history, events

