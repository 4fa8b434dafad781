-- The connector's journal: what the portal was told of each dossier, and every call in the
-- order it must go out. A call is written `pending` in the transaction that takes its event,
-- `sending` just before it goes out, `sent` when the portal acknowledged it; `rejected` when
-- the portal refused it for good (an operator re-queues it). Its idempotency key is
-- `<dossier_code>:<seq>`: sent again after a crash, the portal applies it once.
CREATE TABLE portal_dossiers (
    dossier_code  text PRIMARY KEY,
    last_seq      integer NOT NULL,          -- the last event taken (sent, queued or skipped)
    portal_status integer,                   -- the status the portal acknowledged last
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE portal_calls (
    id           bigserial PRIMARY KEY,
    dossier_code text NOT NULL,
    seq          integer NOT NULL,
    kind         text NOT NULL,
    body         jsonb NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sending', 'sent', 'rejected')),
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    sent_at      timestamptz,
    UNIQUE (dossier_code, seq)
);
CREATE INDEX portal_calls_unsent ON portal_calls (id) WHERE state <> 'sent';

-- Reconciliations against the portal's answers (nightly, or asked for by an operator).
CREATE TABLE portal_reconcile_runs (
    id           bigserial PRIMARY KEY,
    requested_by text NOT NULL,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    checked      integer NOT NULL,
    mismatches   integer NOT NULL,
    details      jsonb NOT NULL
);
