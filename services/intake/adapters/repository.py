"""intake's SQL: catalogue, code sequences, dossiers, the tracking view, keys and attachments.

One `IntakeRepository` per unit of work, on its connection; every row comes back as a named
type of the domain (`Dossier`, `HistoryEntry`, …), never as a record read by position.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import NamedTuple

import asyncpg

from services.intake.domain.catalogue import Catalogue, Procedure
from services.intake.domain.codes import SEQ_DIGITS
from services.intake.domain.dossier import (
    Apology,
    Applicant,
    Dossier,
    HistoryEntry,
    NewDossier,
    TrackedEvent,
    TrackingPosition,
)
from services.intake.domain.uploads import Upload
from shared.events import Channel, Event
from shared.lifecycle import Status
from shared.sql import columns, unnest_arrays, unnest_insert


class KeyClaim(NamedTuple):
    """The request that took an Idempotency-Key first: its fingerprint and its answer."""

    fingerprint: str
    response: dict | None


class StoredFile(NamedTuple):
    filename: str
    content_type: str
    data: bytes


def _procedure(row) -> Procedure:
    return Procedure.model_validate(
        {**json.loads(row["body"]), "version": row["version"], "effective_from": row["effective_from"]}
    )


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
        rating=row["rating"],
        rated_at=row["rated_at"],
        new_appointment_at=row["new_appointment_at"],
        apology_reason=row["apology_reason"],
    )


_CURRENT = """
    SELECT DISTINCT ON (code) code, version, effective_from, body FROM procedures
    WHERE effective_from <= $1 {extra}
    ORDER BY code, effective_from DESC, version DESC"""

_NEW_COLUMNS = (
    "agency_id, procedure_code, procedure_version, channel, status, applicant, documents, "
    "received_by, submitted_at, accepted_at, due_at, rule_version, last_seq"
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
    ("rating", "smallint", lambda d: d.rating),
    ("rated_at", "timestamptz", lambda d: d.rated_at),
)
_HISTORY_TYPES = ("text", "int", "text", "smallint", "timestamptz", "text", "text")


class IntakeRepository:
    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    # --- the catalogue ---------------------------------------------------------------------

    async def load_catalogue(self, catalogue: Catalogue) -> int:
        """Insert the catalogue's agencies and this version of its procedures; returns new rows."""
        await self.conn.executemany(
            "INSERT INTO agencies(id, name, short_name, level) VALUES ($1,$2,$3,$4) "
            "ON CONFLICT (id) DO UPDATE SET name=EXCLUDED.name, short_name=EXCLUDED.short_name, level=EXCLUDED.level",
            [(a.id, a.name, a.short_name, a.level) for a in catalogue.agencies],
        )
        rows = [
            (
                p.code,
                catalogue.version,
                catalogue.effective_from,
                p.agency_id,
                p.model_dump_json(exclude={"version", "effective_from"}),
            )
            for p in catalogue.procedures
        ]
        return await unnest_insert(
            self.conn,
            "procedures(code, version, effective_from, agency_id, body)",
            ("text", "text", "date", "text", "jsonb"),
            rows,
            on_conflict="ON CONFLICT DO NOTHING",
        )

    async def current_procedure(self, code: str, day: date) -> Procedure | None:
        row = await self.conn.fetchrow(_CURRENT.format(extra="AND code = $2"), day, code)
        return _procedure(row) if row else None

    async def current_procedures(self, day: date, agency_id: str | None = None) -> list[Procedure]:
        if agency_id:
            rows = await self.conn.fetch(_CURRENT.format(extra="AND agency_id = $2"), day, agency_id)
        else:
            rows = await self.conn.fetch(_CURRENT.format(extra=""), day)
        return [_procedure(r) for r in rows]

    async def procedure_version(self, code: str, version: str) -> Procedure:
        row = await self.conn.fetchrow(
            "SELECT code, version, effective_from, body FROM procedures WHERE code=$1 AND version=$2", code, version
        )
        return _procedure(row)

    async def procedure_versions(self, codes: list[str]) -> dict[str, list[Procedure]]:
        """Every catalogue version of these procedures, by code."""
        out: dict[str, list[Procedure]] = {}
        for row in await self.conn.fetch(
            "SELECT code, version, effective_from, body FROM procedures WHERE code = ANY($1)", codes
        ):
            out.setdefault(row["code"], []).append(_procedure(row))
        return out

    async def agency_name(self, agency_id: str) -> str | None:
        return await self.conn.fetchval("SELECT name FROM agencies WHERE id = $1", agency_id)

    async def agency_names(self, ids: list[str]) -> dict[str, str]:
        return {
            r["id"]: r["name"] for r in await self.conn.fetch("SELECT id, name FROM agencies WHERE id = ANY($1)", ids)
        }

    async def agencies(self) -> list[dict]:
        return [dict(r) for r in await self.conn.fetch("SELECT id, name, short_name, level FROM agencies ORDER BY id")]

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
                    INSERT INTO code_sequences(agency_id, local_day, last_seq) VALUES ($1, $14, 1)
                    ON CONFLICT (agency_id, local_day) DO UPDATE SET last_seq = code_sequences.last_seq + 1
                    RETURNING last_seq),
                dossier AS (
                    INSERT INTO dossiers(code, {_NEW_COLUMNS}, updated_at)
                    SELECT $15 || lpad(last_seq::text, greatest($16, length(last_seq::text)), '0'),
                           $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$9 FROM number
                    RETURNING *),
                queued AS (
                    INSERT INTO outbox(topic, key, payload)
                    SELECT $17, code,
                           convert_to(jsonb_set($18::jsonb, '{{dossier_code}}', to_jsonb(code))::text, 'UTF8')
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
        )
        return _dossier(row)

    async def lock_dossier(self, code: str) -> Dossier | None:
        row = await self.conn.fetchrow("SELECT * FROM dossiers WHERE code = $1 FOR UPDATE", code)
        return _dossier(row) if row else None

    async def get_dossier(self, code: str) -> Dossier | None:
        row = await self.conn.fetchrow("SELECT * FROM dossiers WHERE code = $1", code)
        return _dossier(row) if row else None

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
                 AND ($2::text IS NULL OR agency_id = $2)
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

    # --- the tracking view -----------------------------------------------------------------

    async def history(self, code: str) -> list[HistoryEntry]:
        rows = await self.conn.fetch(
            "SELECT code, seq, type, status, occurred_at, actor, reason FROM dossier_history WHERE code = $1 "
            "ORDER BY seq",
            code,
        )
        return [HistoryEntry(*r) for r in rows]

    async def tracking_positions(self, codes: list[str]) -> dict[str, TrackingPosition]:
        """For the dossiers intake holds among `codes`: the last seq and the last status recorded.
        No row lock: the counter desk locks these rows, and one partition has one consumer."""
        rows = await self.conn.fetch(
            """SELECT d.code,
                      COALESCE((SELECT max(h.seq) FROM dossier_history h WHERE h.code = d.code), 0) AS seq,
                      (SELECT h.status FROM dossier_history h WHERE h.code = d.code AND h.status IS NOT NULL
                       ORDER BY h.seq DESC LIMIT 1) AS status
               FROM dossiers d WHERE d.code = ANY($1)""",
            codes,
        )
        return {r["code"]: TrackingPosition(r["seq"], r["status"]) for r in rows}

    async def add_history(self, entries: list[HistoryEntry]) -> None:
        """History rows are keyed by (code, seq), so a redelivered event changes nothing."""
        await unnest_insert(
            self.conn,
            "dossier_history(code, seq, type, status, occurred_at, actor, reason)",
            _HISTORY_TYPES,
            entries,
            on_conflict="ON CONFLICT DO NOTHING",
        )

    async def apply_tracking(self, events: list[TrackedEvent]) -> None:
        """Events in topic order: their history rows, and each dossier's current status, which only
        moves forward in seq."""
        if not events:
            return
        await self.add_history([e.entry for e in events])
        latest: dict[str, TrackedEvent] = {}
        for e in events:  # the last status-bearing event per dossier
            if e.entry.status is not None and (
                e.entry.code not in latest or e.entry.seq > latest[e.entry.code].entry.seq
            ):
                latest[e.entry.code] = e
        if latest:
            moved = list(latest.values())
            await self.conn.execute(
                """UPDATE dossiers d SET tracked_status = u.status, tracked_seq = u.seq,
                          tracked_due_at = COALESCE(u.due_at, d.tracked_due_at)
                   FROM unnest($1::text[], $2::int[], $3::smallint[], $4::timestamptz[]) AS u(code, seq, status, due_at)
                   WHERE d.code = u.code AND d.tracked_seq < u.seq""",
                *columns([(e.entry.code, e.entry.seq, e.entry.status, e.due_at) for e in moved]),
            )

    async def record_apologies(self, apologies: list[Apology]) -> None:
        """The latest apology by seq wins."""
        if apologies:
            await self.conn.execute(
                """UPDATE dossiers d SET new_appointment_at = u.at, apology_reason = u.reason
                   FROM (SELECT DISTINCT ON (code) * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::text[])
                         AS x(code, seq, at, reason) ORDER BY code, seq DESC) u
                   WHERE d.code = u.code""",
                *columns(apologies),
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

    # --- Idempotency-Key -------------------------------------------------------------------

    async def claim_key(self, key: str, fingerprint: str, now: datetime) -> KeyClaim | None:
        """Take `key` for this transaction, or return the request that took it first.

        A concurrent request with the same key waits on the primary key until the first one
        commits (then it reads that one's answer) or rolls back (then it takes the key itself).
        """
        taken = await self.conn.fetchval(
            "INSERT INTO idempotency_keys(key, fingerprint, created_at) VALUES ($1, $2, $3) "
            "ON CONFLICT (key) DO NOTHING RETURNING true",
            key,
            fingerprint,
            now,
        )
        if taken:
            return None
        row = await self.conn.fetchrow("SELECT fingerprint, response FROM idempotency_keys WHERE key = $1", key)
        return KeyClaim(row["fingerprint"], json.loads(row["response"]) if row["response"] else None)

    async def complete_key(self, key: str, dossier_code: str, response: dict) -> None:
        await self.conn.execute(
            "UPDATE idempotency_keys SET dossier_code = $2, response = $3 WHERE key = $1",
            key,
            dossier_code,
            json.dumps(response, ensure_ascii=False),
        )

    # --- attachments -----------------------------------------------------------------------

    async def insert_attachments(self, code: str, purpose: str, files: list[Upload], at: datetime) -> list[int]:
        rows = await self.conn.fetch(
            """INSERT INTO attachments(code, purpose, filename, content_type, size_bytes, data, uploaded_at)
               SELECT $1, $2, f.name, f.type, f.size, f.data, $7::timestamptz
               FROM unnest($3::text[], $4::text[], $5::int[], $6::bytea[]) AS f(name, type, size, data)
               RETURNING id""",
            code,
            purpose,
            *columns([(f.filename, f.content_type, len(f.data), f.data) for f in files]),
            at,
        )
        return [r["id"] for r in rows]

    async def list_attachments(self, code: str) -> list[dict]:
        return [
            dict(r)
            for r in await self.conn.fetch(
                "SELECT id, purpose, filename, content_type, size_bytes, uploaded_at FROM attachments WHERE code=$1 "
                "ORDER BY id",
                code,
            )
        ]

    async def get_attachment(self, code: str, attachment_id: int) -> StoredFile | None:
        row = await self.conn.fetchrow(
            "SELECT filename, content_type, data FROM attachments WHERE code=$1 AND id=$2", code, attachment_id
        )
        return StoredFile(row["filename"], row["content_type"], bytes(row["data"])) if row else None
