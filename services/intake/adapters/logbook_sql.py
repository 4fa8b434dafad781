"""intake's SQL of form 07: the dossiers received in a period, with what the topic said since."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.intake.domain.logbook import LogbookRow

LOGBOOK_MAX = 100_000


class LogbookSql:
    conn: asyncpg.Connection

    async def logbook(self, start: datetime, end: datetime, agency_id: str | None) -> list[LogbookRow]:
        """Dossiers received in [start, end), oldest first; the status and due time as the citizen sees them."""
        rows = await self.conn.fetch(
            """SELECT d.code, d.submitted_at AS received_at, d.applicant->>'name' AS applicant_name,
                      d.applicant->>'address' AS applicant_address, d.procedure_code,
                      p.body->>'name' AS procedure_name, d.agency_id, a.name AS agency_name, d.channel,
                      COALESCE(d.tracked_due_at, d.due_at) AS due_at,
                      CASE WHEN d.tracked_status IS NOT NULL AND d.tracked_seq > d.last_seq
                           THEN d.tracked_status ELSE d.status END AS status,
                      (SELECT max(h.occurred_at) FROM dossier_history h
                        WHERE h.code = d.code AND h.type = 'dossier.resolved') AS resolved_at,
                      (SELECT max(h.occurred_at) FROM dossier_history h
                        WHERE h.code = d.code AND h.type = 'dossier.returned') AS returned_at,
                      d.refusal_reason AS note
               FROM dossiers d
               LEFT JOIN procedures p ON p.code = d.procedure_code AND p.version = d.procedure_version
               LEFT JOIN agencies a ON a.id = d.agency_id
               WHERE d.submitted_at >= $1 AND d.submitted_at < $2
                 AND ($3::text IS NULL OR d.agency_id = $3 OR d.receiving_agency_id = $3)
               ORDER BY d.submitted_at, d.code LIMIT $4""",
            start,
            end,
            agency_id,
            LOGBOOK_MAX,
        )
        return [LogbookRow(**dict(r)) for r in rows]
