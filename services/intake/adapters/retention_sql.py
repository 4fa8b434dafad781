"""Retention of what identifies an applicant once the dossier is closed (refused, withdrawn,
stopped or returned): the uploaded files go after one period, the personal fields (name, ID number,
phone, email, address, representative, the withdrawal's reason, the rating's comment) are replaced
by a marker after another. What statistics and the logbook count stays: code, procedure, agency,
channel, applicant type, dates, statuses, history. Batched like the other purges (shared/retention.py)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from services.intake.domain.dossier import PURGED
from shared.retention import BATCH, purge_batch


async def purge_attachments(pool: asyncpg.Pool, closed_before: datetime) -> int:
    """One batch of files of dossiers closed before `closed_before`; how many went."""
    return await purge_batch(
        pool, "attachments", "id", "d.closed_at", closed_before, source="attachments JOIN dossiers d USING (code)"
    )


async def purge_personal_fields(pool: asyncpg.Pool, closed_before: datetime, now: datetime) -> int:
    """One batch of dossiers closed before `closed_before` whose personal fields still stand: they
    get the marker (the applicant's type stays, a statistic); how many were purged."""
    result = await pool.execute(
        """UPDATE dossiers SET
               applicant = jsonb_build_object('type', COALESCE(applicant->'type', '0'::jsonb),
                                              'name', $3::text, 'id_number', $3::text),
               withdrawal_reason = CASE WHEN withdrawal_reason IS NULL THEN NULL ELSE $3 END,
               rating_comment = CASE WHEN rating_comment IS NULL THEN NULL ELSE $3 END,
               personal_purged_at = $4
           WHERE code IN (SELECT code FROM dossiers WHERE closed_at < $1 AND personal_purged_at IS NULL
                          LIMIT $2 FOR UPDATE SKIP LOCKED)""",
        closed_before,
        BATCH,
        PURGED,
        now,
    )
    return int(result.split()[-1])
