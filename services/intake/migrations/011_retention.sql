-- Retention of what identifies an applicant (docs/security.md): when the dossier closed (refused,
-- withdrawn, stopped, returned: the tracking view records it) and when its personal fields were
-- replaced by a marker, so the purge finds the next batch by index instead of reading history.
ALTER TABLE dossiers
    ADD COLUMN IF NOT EXISTS closed_at          timestamptz,
    ADD COLUMN IF NOT EXISTS personal_purged_at timestamptz;

UPDATE dossiers d SET closed_at = h.at
FROM (SELECT code, max(occurred_at) AS at FROM dossier_history WHERE status IN (3, 7, 8, 10) GROUP BY code) h
WHERE d.code = h.code AND d.closed_at IS NULL;

CREATE INDEX IF NOT EXISTS dossiers_personal_to_purge ON dossiers (closed_at)
    WHERE closed_at IS NOT NULL AND personal_purged_at IS NULL;
