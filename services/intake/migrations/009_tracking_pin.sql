-- The tracking secret printed on the appointment slip (form 01) and given in the online answer:
-- tracking, withdrawal, uploads, supplements and rating need it with the code and the ID number,
-- since a code is sequential and an ID number guessable. 10 hex characters (40 bits) from
-- PostgreSQL's strong random source, made for every new dossier (and each existing one here).
ALTER TABLE dossiers ADD COLUMN IF NOT EXISTS tracking_pin text NOT NULL
    DEFAULT upper(substr(replace(gen_random_uuid()::text, '-', ''), 1, 10));
