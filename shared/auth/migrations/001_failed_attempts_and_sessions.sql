-- Wrong tries: staff sign-ins per account ('account:<username>') and client address ('address:<ip>'),
-- citizens' tracking per dossier ('citizen-dossier:<code>') and address ('citizen-address:<ip>'),
-- in the service's database so every instance sees them and a restart forgets nothing.
CREATE TABLE IF NOT EXISTS failed_attempts (
    subject           text PRIMARY KEY,
    failures          integer     NOT NULL,
    window_started_at timestamptz NOT NULL,
    locked_until      timestamptz
);
-- Sessions ended by signing out: a copied cookie is refused from then on, by every instance.
CREATE TABLE IF NOT EXISTS ended_sessions (
    session_id text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
