-- Fees (issue 15): the latest fee asked for on a case (amount in whole VND, when it is collected)
-- and its payment once made: how, how much, the e-receipt's number and, online, the gateway's
-- transaction number. Nothing about who paid.
CREATE TABLE IF NOT EXISTS case_fees (
    code          text PRIMARY KEY REFERENCES cases(code),
    amount        bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    collection    text NOT NULL CHECK (collection IN ('at_intake', 'at_supplement', 'at_return')),
    requested_at  timestamptz NOT NULL,
    paid_method   text CHECK (paid_method IN ('cash', 'online')),
    paid_amount   bigint,
    receipt_no    text,
    gateway_txn   text,
    paid_at       timestamptz
);
