-- The procedure's name as the accepted event carried it, for the officer's worklist (cases
-- opened before this column show the code alone).
ALTER TABLE cases ADD COLUMN IF NOT EXISTS procedure_name text;
