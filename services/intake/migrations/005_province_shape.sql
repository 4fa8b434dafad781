-- A province's shape: agencies under a parent (branches under their department, departments and
-- communes under the province); a procedure performed by many agencies (every commune performs
-- the commune-level ones); a dossier received by one agency on behalf of the competent one.
ALTER TABLE agencies ADD COLUMN IF NOT EXISTS parent_id text;

ALTER TABLE procedures ALTER COLUMN agency_id DROP NOT NULL;
ALTER TABLE procedures ADD COLUMN IF NOT EXISTS performers text[];
UPDATE procedures SET performers = ARRAY[agency_id] WHERE performers IS NULL;
ALTER TABLE procedures ALTER COLUMN performers SET NOT NULL;
CREATE INDEX IF NOT EXISTS procedures_performers ON procedures USING gin (performers);

-- NULL: the competent agency received it itself. The code's prefix and day number are the
-- receiving agency's (code_sequences.agency_id is the numbering agency).
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS receiving_agency_id text;
CREATE INDEX IF NOT EXISTS dossiers_receiving ON dossiers (receiving_agency_id, submitted_at)
    WHERE receiving_agency_id IS NOT NULL;
