-- Documents the citizen uploads with an online dossier or as a supplement. Kept in intake's own
-- database (they are personal data, like the applicant): one backup, one transaction with the
-- dossier's row, no folder to keep in step. Size and type are checked before they get here.
CREATE TABLE IF NOT EXISTS attachments (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL REFERENCES dossiers(code),
    purpose      text NOT NULL CHECK (purpose IN ('submission', 'supplement')),
    filename     text NOT NULL,
    content_type text NOT NULL,
    size_bytes   integer NOT NULL,
    data         bytea NOT NULL,
    uploaded_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS attachments_code ON attachments (code, id);

-- The tracking view's latest apology (form 04) from resolution: the new appointment shown to
-- the citizen beside the legal due time.
ALTER TABLE dossiers
    ADD COLUMN IF NOT EXISTS new_appointment_at timestamptz,
    ADD COLUMN IF NOT EXISTS apology_reason     text;
