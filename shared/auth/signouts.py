"""Sign-out at one service ends the session at every one.

Each service keeps its own `ended_sessions`. The service where staff sign out records the
session there and, in the same transaction, queues a `SessionEnded` for the topic
`staff.sessions.v1` through its outbox; every service reads that topic in a consumer group of
its own (its instances share its database, so one of them recording it is enough) and records
the session in its table. Requests only read the table: a lagging consumer delays the refusal
elsewhere, it never holds up a sign-in or a request.

Nothing personal travels: the session's random id (useless without the cookie's signature), when
it would have expired, and which service ended it. Key: the session id, so the compacted topic
keeps one record per session; a day's retention outlasts any session (8 hours at most).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from shared import outbox
from shared.consumer import Item
from shared.events import BadEvent, _short

SESSIONS_TOPIC = "staff.sessions.v1"
# One consumer group per service (part of the contract: the Kafka ACLs name them).
SESSIONS_GROUPS = {
    "intake": "intake-sessions",
    "resolution": "resolution-sessions",
    "stats": "stats-sessions",
    "notifier": "notifier-sessions",
    "portal_sync": "portal-sync-sessions",
}


class SessionEnded(BaseModel):
    """A staff session signed out at `producer`: every service refuses its cookie from then on."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    session_id: str = Field(min_length=1, max_length=64, description="The session's random id, not the cookie")
    expires_at: AwareDatetime = Field(description="When the session would have ended anyway")
    producer: str = Field(min_length=1, max_length=40, description="The service where it was signed out")


def parse_session_ended(raw: bytes | str) -> SessionEnded:
    try:
        return SessionEnded.model_validate_json(raw)
    except ValueError as exc:  # said without the input values, like a bad lifecycle event
        raise BadEvent(f"invalid session end: {_short(exc)}") from None


async def end(conn: asyncpg.Connection, session_id: str, expires_at: datetime, announce_as: str | None) -> bool:
    """Record a sign-out here and, when it is new here and `announce_as` names this service, queue
    its announcement to the others in the same transaction. Whether it was new."""
    async with conn.transaction():
        new = await conn.fetchval(
            "INSERT INTO ended_sessions(session_id, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true",
            session_id,
            expires_at,
        )
        if new and announce_as:
            message = SessionEnded(session_id=session_id, expires_at=expires_at, producer=announce_as)
            await outbox.append(conn, SESSIONS_TOPIC, session_id, message)
    return bool(new)


async def record(pool: asyncpg.Pool, items: list[Item[SessionEnded]]) -> list[tuple[Item[SessionEnded], str]]:
    """The consumer's applier: the sign-outs of a batch into this service's table, at once (a
    redelivery or the service's own announcement changes nothing). Rejects none."""
    await pool.execute(
        "INSERT INTO ended_sessions(session_id, expires_at) "
        "SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING",
        [i.message.session_id for i in items],
        [i.message.expires_at for i in items],
    )
    return []
