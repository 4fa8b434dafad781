-- Reconciliation runs, whoever started them (the periodic job, an operator's request, make
-- reconcile): a request starts one and answers at once; its outcome is read here later. Kept
-- outside the generations: a run's record outlives the tables it checked.
CREATE TABLE reconcile_runs (
    id           bigserial PRIMARY KEY,
    scope        text NOT NULL CHECK (scope IN ('full', 'changes')),
    with_resolution boolean NOT NULL,
    requested_by text NOT NULL,
    state        text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    result       jsonb,
    error        jsonb
);
CREATE INDEX reconcile_runs_done ON reconcile_runs (finished_at DESC) WHERE state = 'done';
