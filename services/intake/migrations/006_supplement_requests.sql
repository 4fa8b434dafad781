-- Form 02 before acceptance: what papers a clerk asked for, why, by when. One row per request
-- (keyed by the event's seq); the dossier's current request is its latest row. Document names
-- and dates only: who the applicant is stays in dossiers.applicant.
CREATE TABLE IF NOT EXISTS supplement_requests (
    code              text NOT NULL REFERENCES dossiers(code),
    seq               integer NOT NULL,
    missing_documents jsonb NOT NULL,
    reason            text,
    requested_by      text NOT NULL,
    requested_at      timestamptz NOT NULL,
    due_at            timestamptz NOT NULL,
    PRIMARY KEY (code, seq)
);
-- The deadline job's scan: dossiers still waiting for papers before acceptance.
CREATE INDEX IF NOT EXISTS dossiers_waiting_papers ON dossiers (code) WHERE status = 5 AND accepted_at IS NULL;
