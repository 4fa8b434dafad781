"""intake's SQL: catalogue, code sequences, dossiers and the tracking view."""
from __future__ import annotations

import json
from datetime import date, datetime

import asyncpg

from services.intake.domain.catalogue import Catalogue, Procedure
from services.intake.domain.codes import SEQ_DIGITS


async def load_catalogue(conn: asyncpg.Connection, catalogue: Catalogue) -> int:
    """Insert the catalogue's agencies and this version of its procedures; returns new rows."""
    await conn.executemany(
        "INSERT INTO agencies(id, name, short_name, level) VALUES ($1,$2,$3,$4) "
        "ON CONFLICT (id) DO UPDATE SET name=EXCLUDED.name, short_name=EXCLUDED.short_name, level=EXCLUDED.level",
        [(a.id, a.name, a.short_name, a.level) for a in catalogue.agencies],
    )
    rows = [
        (p.code, catalogue.version, catalogue.effective_from, p.agency_id,
         p.model_dump_json(exclude={"version", "effective_from"}))
        for p in catalogue.procedures
    ]
    result = await conn.fetchval(
        """WITH ins AS (
             INSERT INTO procedures(code, version, effective_from, agency_id, body)
             SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::jsonb[])
             ON CONFLICT DO NOTHING RETURNING 1)
           SELECT count(*) FROM ins""",
        *map(list, zip(*rows)),
    )
    return int(result)


def _procedure(row) -> Procedure:
    return Procedure.model_validate({**json.loads(row["body"]), "version": row["version"],
                                     "effective_from": row["effective_from"]})


_CURRENT = """
    SELECT DISTINCT ON (code) code, version, effective_from, body FROM procedures
    WHERE effective_from <= $1 {extra}
    ORDER BY code, effective_from DESC, version DESC"""


async def current_procedure(conn, code: str, today: date) -> Procedure | None:
    row = await conn.fetchrow(_CURRENT.format(extra="AND code = $2"), today, code)
    return _procedure(row) if row else None


async def current_procedures(conn, today: date, agency_id: str | None = None) -> list[Procedure]:
    if agency_id:
        rows = await conn.fetch(_CURRENT.format(extra="AND agency_id = $2"), today, agency_id)
    else:
        rows = await conn.fetch(_CURRENT.format(extra=""), today)
    return [_procedure(r) for r in rows]


async def procedure_version(conn, code: str, version: str) -> Procedure:
    row = await conn.fetchrow("SELECT code, version, effective_from, body FROM procedures WHERE code=$1 AND version=$2",
                              code, version)
    return _procedure(row)


async def agency_name(conn, agency_id: str) -> str | None:
    return await conn.fetchval("SELECT name FROM agencies WHERE id = $1", agency_id)


async def agencies(conn) -> list[dict]:
    return [dict(r) for r in await conn.fetch("SELECT id, name, short_name, level FROM agencies ORDER BY id")]


async def next_sequence(conn, agency_id: str, day: date) -> int:
    """Next number of the day for the agency. Inside the dossier's transaction, so a
    rollback gives the number back: no gaps, and the row lock means no repeats."""
    return await conn.fetchval(
        """INSERT INTO code_sequences(agency_id, local_day, last_seq) VALUES ($1, $2, 1)
           ON CONFLICT (agency_id, local_day) DO UPDATE SET last_seq = code_sequences.last_seq + 1
           RETURNING last_seq""",
        agency_id, day,
    )


_DOSSIER_COLUMNS = ("agency_id, procedure_code, procedure_version, channel, status, applicant, documents, "
                    "received_by, submitted_at, accepted_at, due_at, rule_version, last_seq")


def _dossier_values(d: dict) -> tuple:
    return (d["agency_id"], d["procedure_code"], d["procedure_version"], d["channel"], d["status"],
            json.dumps(d["applicant"], ensure_ascii=False), json.dumps(d["documents"], ensure_ascii=False),
            d["received_by"], d["submitted_at"], d["accepted_at"], d["due_at"], d["rule_version"], d["last_seq"])


async def insert_dossier(conn, d: dict) -> None:
    await conn.execute(
        f"""INSERT INTO dossiers(code, {_DOSSIER_COLUMNS}, updated_at)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$10)""", d["code"], *_dossier_values(d))


async def receive_numbered(conn, d: dict, day: date, prefix: str, topic: str, event_json: str):
    """Numbers, stores and queues a received dossier in one statement; returns its row.

    The day's number is taken with a row lock held until commit (no gaps, no repeats). Run as
    its own transaction, the lock lasts for this statement and its commit only, so receptions
    of a busy agency do not queue behind each other's awaited round trips.
    The event goes to the outbox with the code the number gave (`event_json` has a placeholder),
    and the relay is woken at commit, as outbox.append does.
    """
    return await conn.fetchrow(
        f"""WITH number AS (
                INSERT INTO code_sequences(agency_id, local_day, last_seq) VALUES ($1, $14, 1)
                ON CONFLICT (agency_id, local_day) DO UPDATE SET last_seq = code_sequences.last_seq + 1
                RETURNING last_seq),
            dossier AS (
                INSERT INTO dossiers(code, {_DOSSIER_COLUMNS}, updated_at)
                SELECT $15 || lpad(last_seq::text, greatest($16, length(last_seq::text)), '0'),
                       $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$9 FROM number
                RETURNING *),
            queued AS (
                INSERT INTO outbox(topic, key, payload)
                SELECT $17, code, convert_to(jsonb_set($18::jsonb, '{{dossier_code}}', to_jsonb(code))::text, 'UTF8')
                FROM dossier)
            SELECT dossier.* FROM dossier, pg_notify('outbox', '')""",
        *_dossier_values(d), day, prefix, SEQ_DIGITS, topic, event_json)


async def lock_dossier(conn, code: str):
    return await conn.fetchrow("SELECT * FROM dossiers WHERE code = $1 FOR UPDATE", code)


async def get_dossier(conn, code: str):
    return await conn.fetchrow("SELECT * FROM dossiers WHERE code = $1", code)


async def record_transition(conn, code: str, *, status: int, seq: int, at: datetime, accepted_at=None,
                            due_at=None, rule_version=None, refusal_reason=None, received_by=None) -> None:
    await conn.execute(
        """UPDATE dossiers SET status=$2, last_seq=$3, updated_at=$4,
                  accepted_at=COALESCE($5, accepted_at), due_at=COALESCE($6, due_at),
                  rule_version=COALESCE($7, rule_version), refusal_reason=COALESCE($8, refusal_reason),
                  received_by=COALESCE($9, received_by)
           WHERE code=$1""",
        code, status, seq, at, accepted_at, due_at, rule_version, refusal_reason, received_by,
    )


async def list_dossiers(conn, *, status: int | None, agency_id: str | None, limit: int, offset: int):
    return await conn.fetch(
        """SELECT * FROM dossiers
           WHERE ($1::smallint IS NULL OR COALESCE(tracked_status, status) = $1)
             AND ($2::text IS NULL OR agency_id = $2)
           ORDER BY submitted_at DESC, code DESC LIMIT $3 OFFSET $4""",
        status, agency_id, limit, offset,
    )


async def history(conn, code: str):
    return await conn.fetch("SELECT * FROM dossier_history WHERE code = $1 ORDER BY seq", code)


async def tracking_positions(conn, codes: list[str]) -> dict[str, tuple[int, int | None]]:
    """For the dossiers intake holds among `codes`: (last seq recorded, last status recorded).
    No row lock: the counter desk locks these rows, and one partition has one consumer."""
    rows = await conn.fetch(
        """SELECT d.code,
                  COALESCE((SELECT max(h.seq) FROM dossier_history h WHERE h.code = d.code), 0) AS seq,
                  (SELECT h.status FROM dossier_history h WHERE h.code = d.code AND h.status IS NOT NULL
                   ORDER BY h.seq DESC LIMIT 1) AS status
           FROM dossiers d WHERE d.code = ANY($1)""", codes)
    return {r["code"]: (r["seq"], r["status"]) for r in rows}


async def apply_tracking(conn, rows: list[tuple]) -> None:
    """rows: (code, seq, type, status, occurred_at, actor, reason, due_at), in topic order.

    History rows are keyed by (code, seq), so a redelivered event changes nothing; the
    current status only moves forward in seq.
    """
    if not rows:
        return
    await conn.execute(
        """INSERT INTO dossier_history(code, seq, type, status, occurred_at, actor, reason)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::smallint[], $5::timestamptz[],
                                $6::text[], $7::text[])
           ON CONFLICT DO NOTHING""",
        *[list(col) for col in list(zip(*rows))[:7]],
    )
    latest: dict[str, tuple] = {}
    for r in rows:  # keep the last status-bearing event per dossier
        if r[3] is not None and (r[0] not in latest or r[1] > latest[r[0]][1]):
            latest[r[0]] = r
    if latest:
        vals = list(latest.values())
        await conn.execute(
            """UPDATE dossiers d SET tracked_status = u.status, tracked_seq = u.seq,
                      tracked_due_at = COALESCE(u.due_at, d.tracked_due_at)
               FROM unnest($1::text[], $2::int[], $3::smallint[], $4::timestamptz[]) AS u(code, seq, status, due_at)
               WHERE d.code = u.code AND d.tracked_seq < u.seq""",
            [v[0] for v in vals], [v[1] for v in vals], [v[3] for v in vals], [v[7] for v in vals],
        )


async def procedure_versions(conn, codes: list[str]) -> dict[str, list[Procedure]]:
    """Every catalogue version of these procedures, by code."""
    out: dict[str, list[Procedure]] = {}
    for row in await conn.fetch("SELECT code, version, effective_from, body FROM procedures WHERE code = ANY($1)",
                                codes):
        out.setdefault(row["code"], []).append(_procedure(row))
    return out


async def agency_names(conn, ids: list[str]) -> dict[str, str]:
    return {r["id"]: r["name"] for r in await conn.fetch("SELECT id, name FROM agencies WHERE id = ANY($1)", ids)}


async def raise_sequences(conn, floors: list[tuple[str, date, int]]) -> None:
    """Lift each (agency, day) sequence to at least the given number, so a new dossier never takes
    an imported code. One row per (agency, day), in key order (the lock order of every writer)."""
    if floors:
        rows = sorted(floors)
        await conn.execute(
            """INSERT INTO code_sequences(agency_id, local_day, last_seq)
               SELECT * FROM unnest($1::text[], $2::date[], $3::int[])
               ON CONFLICT (agency_id, local_day) DO UPDATE
               SET last_seq = GREATEST(code_sequences.last_seq, EXCLUDED.last_seq)""",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
        )


_IMPORTED = (("code", "text"), ("agency_id", "text"), ("procedure_code", "text"), ("procedure_version", "text"),
             ("channel", "text"), ("status", "smallint"), ("applicant", "jsonb"), ("documents", "jsonb"),
             ("received_by", "text"), ("submitted_at", "timestamptz"), ("accepted_at", "timestamptz"),
             ("due_at", "timestamptz"), ("rule_version", "text"), ("refusal_reason", "text"), ("last_seq", "int"),
             ("updated_at", "timestamptz"), ("import_source", "text"), ("rating", "smallint"),
             ("rated_at", "timestamptz"))


async def insert_imported(conn, dossiers: list[dict]) -> set[str]:
    """Insert imported dossiers; returns the codes inserted (a code already present is left alone)."""
    if not dossiers:
        return set()
    cols = []
    for name, _ in _IMPORTED:
        if name in ("applicant", "documents"):
            cols.append([json.dumps(d[name], ensure_ascii=False) for d in dossiers])
        else:
            cols.append([d[name] for d in dossiers])
    arrays = ", ".join(f"${i}::{t}[]" for i, (_, t) in enumerate(_IMPORTED, start=1))
    rows = await conn.fetch(
        f"""INSERT INTO dossiers({", ".join(n for n, _ in _IMPORTED)})
            SELECT * FROM unnest({arrays}) ON CONFLICT (code) DO NOTHING RETURNING code""",
        *cols,
    )
    return {r["code"] for r in rows}


async def add_history(conn, rows: list[tuple]) -> None:
    """rows: (code, seq, type, status, occurred_at, actor, reason), as the tracking consumer writes them."""
    if rows:
        await conn.execute(
            """INSERT INTO dossier_history(code, seq, type, status, occurred_at, actor, reason)
               SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::smallint[], $5::timestamptz[],
                                    $6::text[], $7::text[])
               ON CONFLICT DO NOTHING""",
            *[list(col) for col in zip(*rows)],
        )


async def record_rating(conn, code: str, score: int, comment: str | None, at: datetime) -> None:
    await conn.execute("UPDATE dossiers SET rating=$2, rating_comment=$3, rated_at=$4 WHERE code=$1",
                       code, score, comment, at)


async def insert_attachments(conn, code: str, purpose: str, files: list, at: datetime) -> list[int]:
    """files: Upload (filename, content_type, data); returns the new ids."""
    rows = await conn.fetch(
        """INSERT INTO attachments(code, purpose, filename, content_type, size_bytes, data, uploaded_at)
           SELECT $1, $2, f.name, f.type, f.size, f.data, $7::timestamptz
           FROM unnest($3::text[], $4::text[], $5::int[], $6::bytea[]) AS f(name, type, size, data)
           RETURNING id""",
        code, purpose, [f.filename for f in files], [f.content_type for f in files], [len(f.data) for f in files],
        [f.data for f in files], at,
    )
    return [r["id"] for r in rows]


async def list_attachments(conn, code: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch(
        "SELECT id, purpose, filename, content_type, size_bytes, uploaded_at FROM attachments WHERE code=$1 ORDER BY id",
        code)]


async def get_attachment(conn, code: str, attachment_id: int):
    return await conn.fetchrow("SELECT * FROM attachments WHERE code=$1 AND id=$2", code, attachment_id)


async def record_apologies(conn, rows: list[tuple]) -> None:
    """rows: (code, seq, new_appointment_at, reason): the latest apology by seq wins."""
    if rows:
        await conn.execute(
            """UPDATE dossiers d SET new_appointment_at = u.at, apology_reason = u.reason
               FROM (SELECT DISTINCT ON (code) * FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::text[])
                     AS x(code, seq, at, reason) ORDER BY code, seq DESC) u
               WHERE d.code = u.code""",
            [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
        )
