-- The citizen's rating (1-5) after the hand-over: once per case, carried by dossier.rated.
ALTER TABLE cases ADD COLUMN IF NOT EXISTS rating smallint, ADD COLUMN IF NOT EXISTS rated_at timestamptz;
-- The status export streams cases in byte order of the code (what a reader merging it with another
-- code-ordered stream compares by), whatever the database's locale; this index serves that order.
CREATE INDEX IF NOT EXISTS cases_code_bytes ON cases (code COLLATE "C");
