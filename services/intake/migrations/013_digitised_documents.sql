-- Issue 15: how each document of a dossier's list came at the counter: scanned (its file among the
-- attachments, purpose 'scanned'), reused from an earlier dossier of the same applicant, or paper.
-- Events carry only the counts; the documents and files stay here (retention deletes the files).
ALTER TABLE attachments DROP CONSTRAINT IF EXISTS attachments_purpose_check;
ALTER TABLE attachments ADD CONSTRAINT attachments_purpose_check
    CHECK (purpose IN ('submission', 'supplement', 'scanned'));

CREATE TABLE IF NOT EXISTS dossier_documents (
    code          text NOT NULL REFERENCES dossiers(code),
    position      smallint NOT NULL,
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('scanned', 'reused', 'paper')),
    attachment_id bigint REFERENCES attachments(id) ON DELETE SET NULL,
    reused_from   text,
    PRIMARY KEY (code, position)
);

-- How a decided dossier's result is issued, from the resolved event (the tracking view offers the
-- electronic one for download; resolution keeps the PDF).
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS result_kind text;
