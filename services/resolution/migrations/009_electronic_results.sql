-- Issue 15: the signed PDF of a case decided with an electronic result, kept in resolution's own
-- database (one backup, one transaction with the decision and its event). Intake serves it to the
-- applicant through resolution's internal endpoint, never by reading this database.
CREATE TABLE IF NOT EXISTS electronic_results (
    code        text PRIMARY KEY REFERENCES cases(code),
    pdf         bytea NOT NULL,
    size_bytes  integer NOT NULL,
    sha256      text NOT NULL,
    stored_at   timestamptz NOT NULL
);
