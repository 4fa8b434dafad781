-- E-payment (issue 15). `dossier_fees`: the latest fee asked for on a dossier, from the lifecycle
-- topic (fee_seq: the seq of its dossier.fee_requested event), and how it was paid. `payment_orders`:
-- one order per dossier and fee request (the citizen pressing "pay" twice gets the same one), settled
-- once by the gateway's verified callback, keyed by its transaction number so a replay changes
-- nothing. Amounts in whole VND; nothing about who paid (the gateway's payer data is not kept).
CREATE TABLE IF NOT EXISTS dossier_fees (
    code          text PRIMARY KEY REFERENCES dossiers(code),
    fee_seq       integer NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0),
    collection    text NOT NULL,
    requested_at  timestamptz NOT NULL,
    paid_method   text CHECK (paid_method IN ('cash', 'online')),
    paid_amount   bigint,
    receipt_no    text,
    paid_at       timestamptz
);

CREATE TABLE IF NOT EXISTS payment_orders (
    txn_ref       text PRIMARY KEY,
    code          text NOT NULL REFERENCES dossiers(code),
    fee_seq       integer NOT NULL,
    amount        bigint NOT NULL CHECK (amount > 0),
    created_at    timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'paid')),
    gateway_txn   text UNIQUE,
    paid_at       timestamptz,
    receipt_no    text,
    UNIQUE (code, fee_seq)
);
