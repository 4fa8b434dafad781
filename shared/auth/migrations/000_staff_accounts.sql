-- Staff accounts, in every service's own database: the staff directory is small and written
-- only by `make user` / `python -m deploy.users` (and `make run`'s demo set), so each service
-- can authenticate anyone and answer "wrong role" (403) rather than "unknown account" (401).
CREATE TABLE IF NOT EXISTS staff_accounts (
    username      text PRIMARY KEY,
    role          text NOT NULL CHECK (role IN ('clerk', 'officer', 'leader', 'monitor')),
    agency_id     text,                    -- NULL: centre-wide (sees every agency)
    full_name     text,
    password_hash text NOT NULL,           -- Argon2id, PHC string with salt and parameters
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT officer_has_agency CHECK (role <> 'officer' OR agency_id IS NOT NULL)
);
