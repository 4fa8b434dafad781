-- Between agencies (liên thông): the other agency holding a case for one step of its process, since
-- when, which step, and whether the legal time runs while it is there ('runs' | 'pauses').
ALTER TABLE cases
    ADD COLUMN IF NOT EXISTS away_agency_id text,
    ADD COLUMN IF NOT EXISTS away_since     timestamptz,
    ADD COLUMN IF NOT EXISTS away_step      integer,
    ADD COLUMN IF NOT EXISTS away_clock     text;
-- The other agency's worklist: the open cases it holds for another agency.
CREATE INDEX IF NOT EXISTS cases_away_by_agency ON cases (away_agency_id, due_at) WHERE away_agency_id IS NOT NULL;
