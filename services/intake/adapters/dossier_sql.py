"""intake's SQL of dossier rows: numbered receptions, intake's own moves, ratings, imports."""

from __future__ import annotations

import json
from datetime import date, datetime

import asyncpg

from services.intake.domain.codes import SEQ_DIGITS
from services.intake.domain.dossier import (
    Applicant,
    Dossier,
    NewDossier,
)
from shared.events import Channel, Event
from shared.lifecycle import Status
from shared.sql import unnest_arrays, unnest_insert
from shared.tracing import current_traceparent


def _dossier(row) -> Dossier:
    tracked = row["tracked_status"]
    return Dossier(
        code=row["code"],
        agency_id=row["agency_id"],
        procedure_code=row["procedure_code"],
        procedure_version=row["procedure_version"],
        channel=Channel(row["channel"]),
        status=Status(row["status"]),
        # Validated when it was received: read back as stored.
        applicant=Applicant.model_construct(**json.loads(row["applicant"])),
        documents=json.loads(row["documents"]),
        received_by=row["received_by"],
        submitted_at=row["submitted_at"],
        accepted_at=row["accepted_at"],
        due_at=row["due_at"],
        rule_version=row["rule_version"],
        refusal_reason=row["refusal_reason"],
        last_seq=row["last_seq"],
        updated_at=row["updated_at"],
        tracked_status=Status(tracked) if tracked is not None else None,
        tracked_seq=row["tracked_seq"],
        tracked_due_at=row["tracked_due_at"],
        import_source=row["import_source"],
        receiving_agency_id=row["receiving_agency_id"],
        rating=row["rating"],
        rated_at=row["rated_at"],
        new_appointment_at=row["new_appointment_at"],
        apology_reason=row["apology_reason"],
        withdrawal_reason=row["withdrawal_reason"],
        tracking_pin=row["tracking_pin"],
        result_kind=row["result_kind"],
    )


_NEW_COLUMNS = (
    "agency_id, procedure_code, procedure_version, channel, status, applicant, documents, "
    "received_by, submitted_at, accepted_at, due_at, rule_version, last_seq, receiving_agency_id"
)

# An imported dossier is stored whole: (column, SQL type, how a Dossier gives it).

_IMPORTED = (
    ("code", "text", lambda d: d.code),
    ("agency_id", "text", lambda d: d.agency_id),
    ("procedure_code", "text", lambda d: d.procedure_code),
    ("procedure_version", "text", lambda d: d.procedure_version),
    ("channel", "text", lambda d: d.channel.value),
    ("status", "smallint", lambda d: int(d.status)),
    ("applicant", "jsonb", lambda d: d.applicant.model_dump_json()),
    ("documents", "jsonb", lambda d: json.dumps(d.documents, ensure_ascii=False)),
    ("received_by", "text", lambda d: d.received_by),
    ("submitted_at", "timestamptz", lambda d: d.submitted_at),
    ("accepted_at", "timestamptz", lambda d: d.accepted_at),
    ("due_at", "timestamptz", lambda d: d.due_at),
    ("rule_version", "text", lambda d: d.rule_version),
    ("refusal_reason", "text", lambda d: d.refusal_reason),
    ("last_seq", "int", lambda d: d.last_seq),
    ("updated_at", "timestamptz", lambda d: d.updated_at),
    ("import_source", "text", lambda d: d.import_source),
    ("receiving_agency_id", "text", lambda d: d.receiving_agency_id),
    ("rating", "smallint", lambda d: d.rating),
    ("rated_at", "timestamptz", lambda d: d.rated_at),
)


class DossierSql:
    conn: asyncpg.Connection

    # --- receiving and deciding ------------------------------------------------------------

    async def receive_numbered(self, new: NewDossier, day: date, prefix: str, topic: str, event: Event) -> Dossier:
        """Numbers, stores and queues a received dossier in one statement; returns it.

        The day's number is taken with a row lock held until commit (no gaps, no repeats). Run as
        its own transaction, the lock lasts for this statement and its commit only, so receptions
        of a busy agency do not queue behind each other's awaited round trips. The event goes to
        the outbox with the code the number gave (its `dossier_code` is a placeholder), and the
        relay is woken at commit, as the outbox's append does.
        """
        row = await self.conn.fetchrow(
            f"""WITH number AS (
                    INSERT INTO code_sequences(agency_id, local_day, last_seq) VALUES ($20, $14, 1)
                    ON CONFLICT (agency_id, local_day) DO UPDATE SET last_seq = code_sequences.last_seq + 1
                    RETURNING last_seq),
                dossier AS (
                    INSERT INTO dossiers(code, {_NEW_COLUMNS}, updated_at)
                    SELECT $15 || lpad(last_seq::text, greatest($16, length(last_seq::text)), '0'),
                           $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$19,$9 FROM number
                    RETURNING *),
                queued AS (
                    INSERT INTO outbox(topic, key, payload, traceparent)
                    SELECT $17, code,
                           convert_to(jsonb_set($18::jsonb, '{{dossier_code}}', to_jsonb(code))::text, 'UTF8'), $21
                    FROM dossier)
                SELECT dossier.* FROM dossier, pg_notify('outbox', '')""",
            new.agency_id,
            new.procedure_code,
            new.procedure_version,
            new.channel.value,
            int(new.status),
            new.applicant.model_dump_json(),
            json.dumps(new.documents, ensure_ascii=False),
            new.received_by,
            new.submitted_at,
            new.accepted_at,
            new.due_at,
            new.rule_version,
            new.last_seq,
            day,
            prefix,
            SEQ_DIGITS,
            topic,
            event.model_dump_json(),
            new.receiving_agency_id,
            new.numbering_agency,
            current_traceparent(),
        )
        return _dossier(row)

    async def lock_dossier(self, code: str) -> Dossier | None:
        row = await self.conn.fetchrow("SELECT * FROM dossiers WHERE code = $1 FOR UPDATE", code)
        return _dossier(row) if row else None

    async def get_dossier(self, code: str) -> Dossier | None:
        row = await self.conn.fetchrow("SELECT * FROM dossiers WHERE code = $1", code)
        return _dossier(row) if row else None

    async def keep_withdrawal_reason(self, code: str, reason: str) -> None:
        await self.conn.execute("UPDATE dossiers SET withdrawal_reason = $2 WHERE code = $1", code, reason)

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
        """A move intake made (1 -> 2 | 3 | 7, ...); what is None is left as it was."""
        await self.conn.execute(
            """UPDATE dossiers SET status=$2, last_seq=$3, updated_at=$4,
                      accepted_at=COALESCE($5, accepted_at), due_at=COALESCE($6, due_at),
                      rule_version=COALESCE($7, rule_version), refusal_reason=COALESCE($8, refusal_reason),
                      received_by=COALESCE($9, received_by)
               WHERE code=$1""",
            code,
            int(status),
            seq,
            at,
            accepted_at,
            due_at,
            rule_version,
            refusal_reason,
            received_by,
        )

    async def list_dossiers(
        self, *, status: int | None, agency_id: str | None, limit: int, offset: int
    ) -> list[Dossier]:
        rows = await self.conn.fetch(
            """SELECT * FROM dossiers
               WHERE ($1::smallint IS NULL OR COALESCE(tracked_status, status) = $1)
                 AND ($2::text IS NULL OR agency_id = $2 OR receiving_agency_id = $2)
               ORDER BY submitted_at DESC, code DESC LIMIT $3 OFFSET $4""",
            status,
            agency_id,
            limit,
            offset,
        )
        return [_dossier(r) for r in rows]

    async def record_rating(self, code: str, score: int, comment: str | None, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE dossiers SET rating=$2, rating_comment=$3, rated_at=$4 WHERE code=$1", code, score, comment, at
        )

    # --- imports ---------------------------------------------------------------------------

    async def raise_sequences(self, floors: list[tuple[str, date, int]]) -> None:
        """Lift each (agency, day) sequence to at least the given number, so a new dossier never takes
        an imported code. One row per (agency, day), in key order (the lock order of every writer)."""
        await unnest_insert(
            self.conn,
            "code_sequences(agency_id, local_day, last_seq)",
            ("text", "date", "int"),
            sorted(floors),
            on_conflict="ON CONFLICT (agency_id, local_day) DO UPDATE "
            "SET last_seq = GREATEST(code_sequences.last_seq, EXCLUDED.last_seq)",
        )

    async def insert_imported(self, dossiers: list[Dossier]) -> set[str]:
        """Insert imported dossiers; returns the codes inserted (a code already present is left alone)."""
        if not dossiers:
            return set()
        rows = await self.conn.fetch(
            f"""INSERT INTO dossiers({", ".join(name for name, _, _ in _IMPORTED)})
                SELECT * FROM unnest({unnest_arrays([t for _, t, _ in _IMPORTED])})
                ON CONFLICT (code) DO NOTHING RETURNING code""",
            *[[value(d) for d in dossiers] for _, _, value in _IMPORTED],
        )
        return {r["code"] for r in rows}
