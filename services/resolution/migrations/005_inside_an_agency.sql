-- Inside the competent agency: the procedure's process as the accepted event carried it (JSON of
-- shared.events.ProcessStep; NULL or '[]' for old events: one implicit step), whether a leader must
-- approve, who holds the case, at which step and until when, and the approval.
ALTER TABLE cases
    ADD COLUMN IF NOT EXISTS process           text,
    ADD COLUMN IF NOT EXISTS requires_approval boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS assignee          text,
    ADD COLUMN IF NOT EXISTS step              integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS step_due_at       timestamptz,
    ADD COLUMN IF NOT EXISTS approved_by       text,
    ADD COLUMN IF NOT EXISTS approved_at       timestamptz;
-- "Của tôi" and the rule's load count: open cases by holder.
CREATE INDEX IF NOT EXISTS cases_open_by_assignee ON cases (assignee, due_at) WHERE status IN (2, 4, 5, 6);

-- The hand-overs (dossier.assigned) the control slip (form 06 of Circular 03/2025) lists, one line each.
CREATE TABLE IF NOT EXISTS case_handovers (
    code          text NOT NULL,
    seq           integer NOT NULL,
    step          integer NOT NULL,
    step_name     text NOT NULL,
    from_assignee text,
    assignee      text NOT NULL,
    actor         text NOT NULL,
    at            timestamptz NOT NULL,
    step_due_at   timestamptz,
    PRIMARY KEY (code, seq)
);
