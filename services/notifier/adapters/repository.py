"""The sent-log in notifier's database: one row per (dossier, seq, channel), moved through
pending → sending → sent | skipped, or back to pending with a later try, or dead."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from services.notifier.domain.messages import Channel, Notice
from shared.events import EventType

COLUMNS = "dossier_code, seq, channel, event_id, event_type, details, state, attempts, last_error, created_at, done_at"


@dataclass(frozen=True)
class Delivery:
    notice: Notice
    channel: Channel
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    done_at: datetime | None

    @property
    def key(self) -> tuple[str, int, str]:
        return self.notice.dossier_code, self.notice.seq, self.channel.value


def _delivery(row: asyncpg.Record) -> Delivery:
    notice = Notice(
        row["dossier_code"], row["seq"], str(row["event_id"]), EventType(row["event_type"]), json.loads(row["details"])
    )
    return Delivery(
        notice,
        Channel(row["channel"]),
        row["state"],
        row["attempts"],
        row["last_error"],
        row["created_at"],
        row["done_at"],
    )


async def record(conn: asyncpg.Connection | asyncpg.Pool, notices: list[Notice]) -> int:
    """A pending row per notice and channel; one already there (a duplicate event) is left as it is.
    Returns how many rows are new."""
    if not notices:
        return 0
    rows = [
        (
            n.dossier_code,
            n.seq,
            channel.value,
            n.event_id,
            n.event_type.value,
            json.dumps(n.details, ensure_ascii=False),
        )
        for n in notices
        for channel in Channel
    ]
    inserted = await conn.fetch(
        """INSERT INTO deliveries (dossier_code, seq, channel, event_id, event_type, details)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::uuid[], $5::text[], $6::jsonb[])
           ON CONFLICT DO NOTHING RETURNING 1""",
        *map(list, zip(*rows, strict=True)),
    )
    return len(inserted)


async def claim(pool: asyncpg.Pool, limit: int, lease_s: float) -> list[Delivery]:
    """Rows due now, marked `sending` in their own transaction before anything is sent. A row still
    `sending` after the lease was left by a process that died mid-send: it is claimed again."""
    rows = await pool.fetch(
        f"""UPDATE deliveries d SET state = 'sending', claimed_at = now()
            WHERE (dossier_code, seq, channel) IN (
                SELECT dossier_code, seq, channel FROM deliveries
                WHERE (state = 'pending' AND next_attempt_at <= now())
                   OR (state = 'sending' AND claimed_at < now() - make_interval(secs => $2))
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING {COLUMNS}""",
        limit,
        lease_s,
    )
    return [_delivery(r) for r in rows]


async def finish(pool: asyncpg.Pool, key: tuple[str, int, str], state: str, note: str | None = None) -> None:
    """`sent` or `skipped` (the citizen did not ask for this channel, or has no contact for it)."""
    await pool.execute(
        "UPDATE deliveries SET state = $4, done_at = now(), last_error = $5 "
        "WHERE dossier_code = $1 AND seq = $2 AND channel = $3",
        *key,
        state,
        note,
    )


async def failed(pool: asyncpg.Pool, key: tuple[str, int, str], error: str, retry_in_s: float | None) -> None:
    """One more failed try: pending again after `retry_in_s`, or dead when None."""
    await pool.execute(
        """UPDATE deliveries SET attempts = attempts + 1, last_error = $4,
               state = CASE WHEN $5::float8 IS NULL THEN 'dead' ELSE 'pending' END,
               next_attempt_at = now() + make_interval(secs => coalesce($5::float8, 0)),
               done_at = CASE WHEN $5::float8 IS NULL THEN now() END
           WHERE dossier_code = $1 AND seq = $2 AND channel = $3""",
        *key,
        error[:500],
        retry_in_s,
    )


async def dead(pool: asyncpg.Pool, limit: int = 200) -> list[Delivery]:
    rows = await pool.fetch(
        f"SELECT {COLUMNS} FROM deliveries WHERE state = 'dead' ORDER BY created_at LIMIT $1", limit
    )
    return [_delivery(r) for r in rows]


async def replay(pool: asyncpg.Pool, keys: list[tuple[str, int, str]] | None) -> int:
    """Dead letters back to pending with a fresh count of tries: the given ones, or all (None)."""
    if keys is None:
        result = await pool.execute(
            "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), done_at = NULL "
            "WHERE state = 'dead'"
        )
    else:
        codes, seqs, channels = (list(c) for c in zip(*keys, strict=True)) if keys else ([], [], [])
        result = await pool.execute(
            """UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), done_at = NULL
               WHERE state = 'dead' AND (dossier_code, seq, channel) IN
                     (SELECT * FROM unnest($1::text[], $2::int[], $3::text[]))""",
            codes,
            seqs,
            channels,
        )
    return int(result.split()[-1])


async def counts(pool: asyncpg.Pool) -> dict[str, int]:
    rows = await pool.fetch("SELECT state, count(*) AS n FROM deliveries GROUP BY state")
    return {r["state"]: r["n"] for r in rows}
