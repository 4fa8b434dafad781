-- resolution's own database: cases from acceptance on, their control slips, and the
-- citizen requests already applied.
CREATE TABLE cases (
    code              text PRIMARY KEY,
    agency_id         text NOT NULL,
    procedure_code    text NOT NULL,
    channel           text NOT NULL,
    status            smallint NOT NULL,
    accepted_at       timestamptz NOT NULL,
    due_at            timestamptz NOT NULL,
    processing_hours  integer NOT NULL,
    time_type         text NOT NULL,
    clock_policy      text NOT NULL,
    rule_version      text NOT NULL,
    last_seq          integer NOT NULL,
    paused_at         timestamptz,
    paused_hours      double precision NOT NULL DEFAULT 0,
    overdue_notified  boolean NOT NULL DEFAULT false,
    resolved_at       timestamptz,
    compliance        text,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX cases_worklist ON cases (agency_id, status, due_at);
-- what the deadline watcher scans every second
CREATE INDEX cases_running_due ON cases (due_at) WHERE status IN (2, 4) AND NOT overdue_notified;

-- phiếu kiểm soát quá trình giải quyết hồ sơ: who, when, from which status, why
CREATE TABLE case_history (
    code        text NOT NULL,
    seq         integer NOT NULL,
    event_type  text NOT NULL,
    from_status smallint,
    to_status   smallint,
    actor       text,
    reason      text,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (code, seq)
);

CREATE TABLE processed_requests (
    request_id   uuid PRIMARY KEY,
    dossier_code text NOT NULL,
    outcome      text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);
