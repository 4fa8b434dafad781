"""What the staffing view reads from the facts: who holds which dossiers now, and what each
officer decided in a period with its working time (pauses excluded, as resolution measured it
from the control slip). A scan of the facts: a leaders' question asked a few times a day."""

from __future__ import annotations

from datetime import datetime

# In processing, clock running or paused (form 06's column 11): the dossiers someone holds.
IN_HAND = ["processing_within", "processing_overdue", "paused_within", "paused_overdue"]
OVERDUE = ["processing_overdue", "paused_overdue"]
_AGENCY = "($2::text IS NULL OR agency_id = $2)"


async def holdings(conn, agency: str | None) -> list:
    """Per agency and holder: in hand, overdue in hand, the oldest acceptance. Accepted dossiers
    no officer has taken up yet (status 2) have no holder."""
    return await conn.fetch(
        f"""SELECT agency_id, CASE WHEN status = 2 THEN NULL ELSE handler END AS handler,
                   count(*)::int AS in_hand,
                   count(*) FILTER (WHERE bucket = ANY($3))::int AS overdue_in_hand,
                   min(accepted_at) AS oldest_accepted_at
            FROM facts WHERE bucket = ANY($1) AND {_AGENCY} GROUP BY 1, 2""",
        IN_HAND,
        agency,
        OVERDUE,
    )


async def decided(conn, since: datetime, until: datetime, agency: str | None) -> list:
    """Decided in [since, until): per agency and officer, and per agency and procedure."""
    return await conn.fetch(
        f"""SELECT agency_id, handler, procedure_code, GROUPING(handler) = 1 AS per_procedure,
                   count(*)::int AS decided,
                   count(*) FILTER (WHERE compliance = 'late')::int AS late,
                   avg(working_hours) AS avg_hours,
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY working_hours) AS p90_hours
            FROM facts WHERE resolved_at >= $1 AND resolved_at < $3 AND working_hours IS NOT NULL AND {_AGENCY}
            GROUP BY GROUPING SETS ((agency_id, handler), (agency_id, procedure_code))""",
        since,
        agency,
        until,
    )


async def oldest(conn, agency: str | None, limit: int) -> list:
    """The dossiers in hand accepted longest ago: codes and procedures only, no personal data."""
    return await conn.fetch(
        f"""SELECT code, agency_id, procedure_code, CASE WHEN status = 2 THEN NULL ELSE handler END AS handler,
                   bucket, accepted_at, due_at
            FROM facts WHERE bucket = ANY($1) AND {_AGENCY} ORDER BY accepted_at, code LIMIT $3""",
        IN_HAND,
        agency,
        limit,
    )
