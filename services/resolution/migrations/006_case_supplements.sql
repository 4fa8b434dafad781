-- Form 02 after acceptance: the papers the officer asked for and by when (the latest request per
-- case); the deadline watcher stops a case still waiting for them when that time passes (5 -> 8).
-- And what forms 04 and 05 print besides the case: the agency's name as the accepted event gave it.
CREATE TABLE IF NOT EXISTS case_supplements (
    code              text PRIMARY KEY REFERENCES cases(code),
    missing_documents jsonb NOT NULL,
    requested_at      timestamptz NOT NULL,
    due_at            timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS case_supplements_due ON case_supplements (due_at);

CREATE TABLE IF NOT EXISTS case_agencies (
    code        text PRIMARY KEY REFERENCES cases(code),
    agency_name text
);
