-- The tables of one projection generation; run with search_path set to its schema, when it is
-- created and at every start (so it only ever adds: a generation made by an older release gains
-- what came later, empty until `make rebuild-stats` replays the topic into a new generation).
CREATE TABLE IF NOT EXISTS facts (
    code           text PRIMARY KEY,
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    status         smallint NOT NULL,
    overdue        boolean NOT NULL,
    bucket         text NOT NULL,
    received_at    timestamptz NOT NULL,
    state_since    timestamptz NOT NULL,
    accepted_at    timestamptz,
    due_at         timestamptz,
    resolved_at    timestamptz,
    compliance     text,
    working_hours  double precision,
    rating         smallint,
    last_seq       integer NOT NULL,    -- the idempotency mark: events with seq <= last_seq were applied
    handler        text                 -- the staff account that last moved it (who holds it)
);
CREATE INDEX IF NOT EXISTS facts_running_due ON facts (due_at) WHERE bucket = 'processing_within';
CREATE INDEX IF NOT EXISTS facts_overdue ON facts (due_at) WHERE bucket IN ('processing_overdue', 'paused_overdue');

-- Every status a dossier reached, with its running due time: the raw history that reports
-- and the board are recomputed from when they are reconciled.
CREATE TABLE IF NOT EXISTS fact_steps (
    code    text NOT NULL,
    seq     integer NOT NULL,
    status  smallint NOT NULL,
    at      timestamptz NOT NULL,
    due_at  timestamptz,
    PRIMARY KEY (code, seq)
);

-- How many dossiers are in each board bucket now, per agency, procedure and channel.
CREATE TABLE IF NOT EXISTS board_counters (
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    bucket         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (agency_id, procedure_code, channel, bucket)
);

-- Per local day: flows (received, resolved_*, ...) and signed stock deltas (stock_*).
CREATE TABLE IF NOT EXISTS daily_counters (
    day            date NOT NULL,
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    metric         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (day, agency_id, procedure_code, channel, metric)
);

-- The same per month, so a report over years sums months, not days.
CREATE TABLE IF NOT EXISTS monthly_counters (
    month          date NOT NULL,
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    metric         text NOT NULL,
    n              bigint NOT NULL,
    PRIMARY KEY (month, agency_id, procedure_code, channel, metric)
);

-- Agency and procedure names as the events carried them (the latest wins).
CREATE TABLE IF NOT EXISTS dimension_names (
    kind  text NOT NULL CHECK (kind IN ('agency', 'procedure')),
    id    text NOT NULL,
    name  text NOT NULL,
    PRIMARY KEY (kind, id)
);

-- What reports group agencies and procedures by, as the events carried it (the latest wins):
-- an agency's level; a procedure's field and how far it is offered online.
CREATE TABLE IF NOT EXISTS dimension_attributes (
    kind   text NOT NULL CHECK (kind IN ('agency', 'procedure')),
    id     text NOT NULL,
    name   text NOT NULL,
    value  text NOT NULL,
    PRIMARY KEY (kind, id, name)
);

-- Where reconciliation got to: facts written up to `written` were checked; `open` holds the
-- mismatches found and not yet gone (each run checks them again); `swept_at` the last full sweep.
CREATE TABLE IF NOT EXISTS reconcile_marks (
    id        smallint PRIMARY KEY CHECK (id = 1),
    written   bigint NOT NULL,
    open      jsonb NOT NULL DEFAULT '{}',
    swept_at  timestamptz
);

-- Added after the first release (the CREATE above has them for new generations).
ALTER TABLE facts ADD COLUMN IF NOT EXISTS handler text;
-- Every write of a fact takes the next number, so reconciliation finds the facts written since its
-- last run through one index, whatever the size of the history.
CREATE SEQUENCE IF NOT EXISTS fact_writes;
ALTER TABLE facts ADD COLUMN IF NOT EXISTS written bigint NOT NULL DEFAULT nextval('fact_writes');
CREATE INDEX IF NOT EXISTS facts_written ON facts (written);
CREATE INDEX IF NOT EXISTS facts_procedure ON facts (procedure_code);
-- An agency's parent (for roll-ups) joined the attributes: the code names what it keeps.
ALTER TABLE dimension_attributes DROP CONSTRAINT IF EXISTS dimension_attributes_name_check;
-- A dossier handed in at another agency than the one that resolves it (a commune receiving for
-- another): counted where it is resolved, the receiving place recorded here.
CREATE TABLE IF NOT EXISTS received_on_behalf (
    code                text PRIMARY KEY,
    receiving_agency_id text NOT NULL,
    agency_id           text NOT NULL,
    received_at         timestamptz NOT NULL
);
-- Liên thông: a case at another agency for a step whose clock pauses is counted as paused while away
-- (the fact's state, and each step's, so recompute reads it as the counters do).
ALTER TABLE facts ADD COLUMN IF NOT EXISTS away boolean NOT NULL DEFAULT false;
ALTER TABLE fact_steps ADD COLUMN IF NOT EXISTS away boolean NOT NULL DEFAULT false;
-- What the fact rows themselves say, kept by PostgreSQL (a trigger on facts, not the projection's
-- code): how many dossiers are in each board bucket, and how many were accepted and decided in
-- each local month. Reconciliation over the changes compares the counters with these, a check
-- whose cost follows the number of counter rows, not of dossiers (docs/decisions.md).
-- The trigger only appends to fact_tally_moves (no key, so concurrent writers never wait on each
-- other: an upsert of shared rows from two statement triggers per write deadlocked rebuild
-- workers); reconciliation folds the moves into fact_tally, and fact_tally_now reads both.
CREATE TABLE IF NOT EXISTS fact_tally_moves (
    agency_id      text NOT NULL,
    procedure_code text NOT NULL,
    channel        text NOT NULL,
    what           text NOT NULL,
    month          date NOT NULL,
    n              bigint NOT NULL
);
DO $$
BEGIN
    IF to_regclass('fact_tally') IS NULL THEN
        CREATE TABLE fact_tally (
            agency_id      text NOT NULL,
            procedure_code text NOT NULL,
            channel        text NOT NULL,
            what           text NOT NULL,  -- a board bucket, 'received' or 'decided'
            month          date NOT NULL,  -- of the acceptance or decision; 'infinity' for a bucket
            n              bigint NOT NULL,
            PRIMARY KEY (agency_id, procedure_code, channel, what, month)
        );
        -- a generation made before the tally existed: counted once from its facts (which any
        -- moves already recorded are part of)
        DELETE FROM fact_tally_moves;
        INSERT INTO fact_tally
        SELECT agency_id, procedure_code, channel, what, month, count(*)
        FROM facts, LATERAL (VALUES
            (bucket, 'infinity'::date),
            (CASE WHEN accepted_at IS NOT NULL THEN 'received' END,
             date_trunc('month', accepted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date),
            (CASE WHEN resolved_at IS NOT NULL AND compliance IS NOT NULL THEN 'decided' END,
             date_trunc('month', resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)) AS t(what, month)
        WHERE what IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
    END IF;
END $$;
CREATE OR REPLACE VIEW fact_tally_now AS
    SELECT agency_id, procedure_code, channel, what, month, sum(n)::bigint AS n
    FROM (SELECT * FROM fact_tally UNION ALL SELECT * FROM fact_tally_moves) AS both_
    GROUP BY 1, 2, 3, 4, 5;

-- Statement-level: one grouped insert per batch of fact writes; rows leaving count -1, arriving +1
-- (an update's old and new rows cancel where nothing counted moved: cheaper than pairing them).
-- search_path FROM CURRENT: the generation this script runs in, whoever writes its facts.
CREATE OR REPLACE FUNCTION tally_facts() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
    rows_ text := 'SELECT agency_id, procedure_code, channel, bucket, accepted_at, resolved_at, compliance';
    moved text := CASE TG_OP
        WHEN 'INSERT' THEN rows_ || ', 1 AS d FROM new_rows'
        WHEN 'DELETE' THEN rows_ || ', -1 AS d FROM old_rows'
        ELSE rows_ || ', 1 AS d FROM new_rows UNION ALL ' || rows_ || ', -1 FROM old_rows' END;
BEGIN
    EXECUTE format($q$
        WITH moved AS (%s)
        INSERT INTO fact_tally_moves (agency_id, procedure_code, channel, what, month, n)
        SELECT agency_id, procedure_code, channel, what, month, sum(d) FROM (
            SELECT agency_id, procedure_code, channel, bucket AS what, 'infinity'::date AS month, d FROM moved
            UNION ALL
            SELECT agency_id, procedure_code, channel, 'received',
                   date_trunc('month', accepted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, d
            FROM moved WHERE accepted_at IS NOT NULL
            UNION ALL
            SELECT agency_id, procedure_code, channel, 'decided',
                   date_trunc('month', resolved_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, d
            FROM moved WHERE resolved_at IS NOT NULL AND compliance IS NOT NULL) counted
        GROUP BY 1, 2, 3, 4, 5 HAVING sum(d) <> 0
    $q$, moved);
    RETURN NULL;
END $fn$;
CREATE OR REPLACE TRIGGER facts_tally_insert AFTER INSERT ON facts
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_facts();
CREATE OR REPLACE TRIGGER facts_tally_update AFTER UPDATE ON facts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_facts();
CREATE OR REPLACE TRIGGER facts_tally_delete AFTER DELETE ON facts
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tally_facts();
