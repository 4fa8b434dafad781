"""intake's SQL of the tracking view: each dossier's history and current status from the topic."""

from __future__ import annotations

import asyncpg

from services.intake.domain.dossier import (
    Apology,
    HistoryEntry,
    TrackedEvent,
    TrackingPosition,
)
from shared.lifecycle import TERMINAL
from shared.sql import columns, unnest_insert

CLOSED = sorted(int(s) for s in TERMINAL)
_HISTORY_TYPES = ("text", "int", "text", "smallint", "timestamptz", "text", "text")


class TrackingSql:
    conn: asyncpg.Connection

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
                          tracked_due_at = COALESCE(u.due_at, d.tracked_due_at),
                          closed_at = CASE WHEN u.status = ANY($6::smallint[]) THEN u.at ELSE d.closed_at END
                   FROM unnest($1::text[], $2::int[], $3::smallint[], $4::timestamptz[], $5::timestamptz[])
                        AS u(code, seq, status, due_at, at)
                   WHERE d.code = u.code AND d.tracked_seq < u.seq""",
                *columns([(e.entry.code, e.entry.seq, e.entry.status, e.due_at, e.entry.occurred_at) for e in moved]),
                CLOSED,  # when it closed starts the retention periods (retention.py)
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

    async def record_result_kinds(self, kinds: list[tuple[str, str]]) -> None:
        """(code, result_kind) of decided dossiers: how their result is issued."""
        if kinds:
            await self.conn.execute(
                """UPDATE dossiers d SET result_kind = u.kind
                   FROM unnest($1::text[], $2::text[]) AS u(code, kind) WHERE d.code = u.code""",
                *columns(kinds),
            )
