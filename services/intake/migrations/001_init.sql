-- intake's own database: the catalogue, dossiers with their applicants, code sequences,
-- and the tracking view built from the lifecycle topic.
CREATE TABLE agencies (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    short_name text,
    level      text
);

-- Versioned catalogue: a dossier keeps the (code, version) it was received under.
CREATE TABLE procedures (
    code           text NOT NULL,
    version        text NOT NULL,
    effective_from date NOT NULL,
    agency_id      text NOT NULL REFERENCES agencies(id),
    body           jsonb NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE code_sequences (
    agency_id  text NOT NULL,
    local_day  date NOT NULL,
    last_seq   integer NOT NULL,
    PRIMARY KEY (agency_id, local_day)
);

CREATE TABLE dossiers (
    code              text PRIMARY KEY,
    agency_id         text NOT NULL,
    procedure_code    text NOT NULL,
    procedure_version text NOT NULL,
    channel           text NOT NULL,
    status            smallint NOT NULL,
    applicant         jsonb NOT NULL,          -- personal data: stays in intake
    documents         jsonb NOT NULL,
    received_by       text,
    submitted_at      timestamptz NOT NULL,
    accepted_at       timestamptz,
    due_at            timestamptz,
    rule_version      text,
    refusal_reason    text,
    last_seq          integer NOT NULL,        -- seq of the last event intake wrote
    -- tracking view, from the lifecycle topic (resolution's events included)
    tracked_status    smallint,
    tracked_seq       integer NOT NULL DEFAULT 0,
    tracked_due_at    timestamptz,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX dossiers_status ON dossiers (status, submitted_at);
CREATE INDEX dossiers_agency ON dossiers (agency_id, submitted_at);

CREATE TABLE dossier_history (
    code        text NOT NULL,
    seq         integer NOT NULL,
    type        text NOT NULL,
    status      smallint,
    occurred_at timestamptz NOT NULL,
    actor       text,
    reason      text,
    PRIMARY KEY (code, seq)
);
