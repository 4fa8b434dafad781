-- Dossiers imported from a legacy system keep where they came from; the citizen's rating
-- (score, optional comment, when) is kept here, the comment never leaves intake.
ALTER TABLE dossiers
    ADD COLUMN import_source  text,
    ADD COLUMN rating         smallint,
    ADD COLUMN rating_comment text,
    ADD COLUMN rated_at       timestamptz;
