-- POST /dossiers with an Idempotency-Key header: the key, a fingerprint of the request and
-- the answer given, written in the dossier's own transaction, so a retry gets that answer
-- back instead of a second dossier.
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    fingerprint  text NOT NULL,
    dossier_code text,
    response     jsonb,
    created_at   timestamptz NOT NULL
);
