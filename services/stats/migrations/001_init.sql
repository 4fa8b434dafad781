-- stats' own database: projections only, all rebuilt from the lifecycle topic.
CREATE TABLE facts (
    code           text PRIMARY KEY,
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    status         smallint NOT NULL,
    overdue        boolean NOT NULL,
    bucket         text NOT NULL,
    received_at    timestamptz NOT NULL,
    accepted_at    timestamptz,
    due_at         timestamptz,
    resolved_at    timestamptz,
    compliance     text,
    last_seq       integer NOT NULL     -- the idempotency mark: events with seq <= last_seq were applied
);
CREATE INDEX facts_running_due ON facts (due_at) WHERE bucket = 'processing_within';

-- How many dossiers are in each board bucket now, per agency, procedure and channel.
CREATE TABLE board_counters (
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    bucket         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (agency_id, procedure_code, channel, bucket)
);

-- What happened on each local day (received, resolved early/on time/late, closed).
CREATE TABLE daily_counters (
    day            date NOT NULL,
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    metric         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (day, agency_id, procedure_code, channel, metric)
);
