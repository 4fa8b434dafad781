-- notifier's own database: the sent-log. One row per (dossier, event seq, channel), written when the
-- event is consumed, so a duplicate delivery of the event finds its row and adds nothing. It holds
-- no contact: the e-mail address and phone are read from intake when the message is sent.
CREATE TABLE deliveries (
    dossier_code    text NOT NULL,
    seq             integer NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    event_id        uuid NOT NULL,                 -- the Message-ID / RequestId derive from it
    event_type      text NOT NULL,
    details         jsonb NOT NULL,                -- dates, document and procedure names: nothing personal
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'dead')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_at      timestamptz,                   -- when `sending` began (a lease)
    last_error      text,                          -- the failure's kind and status, never an address
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    PRIMARY KEY (dossier_code, seq, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state IN ('pending', 'sending');
CREATE INDEX deliveries_dead ON deliveries (created_at) WHERE state = 'dead';
