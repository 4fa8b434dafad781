"""Sign-in throttling: wrong passwords counted per account and per client address in the
service's database (shared by its instances, kept across restarts). An account locks after
`account_failures` wrong passwords within `account_lock_s` and stays locked that long, or until
a leader lifts it; an address is refused after `address_failures` wrong sign-ins within
`address_window_s`. The check comes before any Argon2 work, so a locked target costs nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg


@dataclass(frozen=True)
class Limits:
    account_failures: int = 10
    account_lock_s: float = 1800.0
    address_failures: int = 50
    address_window_s: float = 900.0


def account_subject(username: str) -> str:
    return f"account:{username}"


def address_subject(address: str) -> str:
    return f"address:{address}"


async def locked_for(conn: asyncpg.Connection, subjects: list[str], now: datetime) -> float | None:
    """Seconds until the latest lock among `subjects` ends, or None when none is locked."""
    until = await conn.fetchval(
        "SELECT max(locked_until) FROM failed_attempts WHERE subject = ANY($1::text[]) AND locked_until > $2",
        subjects,
        now,
    )
    return (until - now).total_seconds() if until else None


async def count_failure(conn: asyncpg.Connection, subject: str, now: datetime, limit: int, window_s: float) -> None:
    """One more failure in the subject's window (a new window once the old one is over); at
    `limit` the subject locks for `window_s` from now."""
    await conn.execute(
        """INSERT INTO failed_attempts AS f (subject, failures, window_started_at, locked_until)
           VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $2::timestamptz + make_interval(secs => $4::float8) END)
           ON CONFLICT (subject) DO UPDATE SET
             failures = CASE WHEN f.window_started_at < $2::timestamptz - make_interval(secs => $4::float8) THEN 1 ELSE f.failures + 1 END,
             window_started_at = CASE WHEN f.window_started_at < $2::timestamptz - make_interval(secs => $4::float8) THEN $2
                                      ELSE f.window_started_at END,
             locked_until = CASE
               WHEN (CASE WHEN f.window_started_at < $2::timestamptz - make_interval(secs => $4::float8) THEN 1 ELSE f.failures + 1 END) >= $3
               THEN $2::timestamptz + make_interval(secs => $4::float8) ELSE f.locked_until END""",
        subject,
        now,
        limit,
        window_s,
    )


async def forget(conn: asyncpg.Connection, subject: str) -> bool:
    """The subject's failures and lock cleared (a right password, a leader's lift); whether it was locked."""
    was = await conn.fetchval("DELETE FROM failed_attempts WHERE subject = $1 RETURNING locked_until", subject)
    return was is not None
