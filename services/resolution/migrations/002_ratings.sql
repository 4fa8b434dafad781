-- The citizen's rating (1-5) after the hand-over: once per case, carried by dossier.rated.
ALTER TABLE cases ADD COLUMN rating smallint, ADD COLUMN rated_at timestamptz;
