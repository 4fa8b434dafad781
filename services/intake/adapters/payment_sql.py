"""intake's SQL of e-payment: each dossier's latest fee (from the topic) and the payment orders."""

from __future__ import annotations

import asyncpg

from services.intake.domain.payments import DossierFee, PaymentOrder
from shared.payment import CollectionMoment, PaymentMethod
from shared.sql import columns

_FEE = "code, fee_seq, amount, collection, requested_at, paid_method, paid_amount, receipt_no, paid_at"
_ORDER = "txn_ref, code, fee_seq, amount, created_at, state, gateway_txn, paid_at, receipt_no"


def _fee(row) -> DossierFee:
    values = dict(row)
    values["collection"] = CollectionMoment(values["collection"])
    values["paid_method"] = PaymentMethod(values["paid_method"]) if values["paid_method"] else None
    return DossierFee(**values)


class PaymentSql:
    """On the unit of work's connection: `PaymentSql(uow.repo.conn)`."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def record_fees(self, fees: list[DossierFee]) -> None:
        """Fees asked for, in topic order: a later request (higher seq) replaces an earlier one and
        its payment; a redelivered one changes nothing."""
        if fees:
            await self.conn.execute(
                """INSERT INTO dossier_fees(code, fee_seq, amount, collection, requested_at)
                   SELECT DISTINCT ON (code) * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[],
                                                          $5::timestamptz[]) AS u(code, seq, amount, coll, at)
                   WHERE EXISTS (SELECT 1 FROM dossiers d WHERE d.code = u.code)
                   ORDER BY code, seq DESC
                   ON CONFLICT (code) DO UPDATE SET fee_seq = EXCLUDED.fee_seq, amount = EXCLUDED.amount,
                          collection = EXCLUDED.collection, requested_at = EXCLUDED.requested_at,
                          paid_method = NULL, paid_amount = NULL, receipt_no = NULL, paid_at = NULL
                   WHERE dossier_fees.fee_seq < EXCLUDED.fee_seq""",
                *columns([(f.code, f.fee_seq, f.amount, f.collection.value, f.requested_at) for f in fees]),
            )

    async def record_paid(self, code: str, method: PaymentMethod, amount: int, receipt_no: str, at) -> None:
        """The fee's payment, as the verified callback or the 6 -> 4 event tells it (the first wins)."""
        await self.conn.execute(
            """UPDATE dossier_fees SET paid_method = $2, paid_amount = $3, receipt_no = $4, paid_at = $5
               WHERE code = $1 AND paid_at IS NULL""",
            code,
            method.value,
            amount,
            receipt_no,
            at,
        )

    async def fee_of(self, code: str) -> DossierFee | None:
        row = await self.conn.fetchrow(f"SELECT {_FEE} FROM dossier_fees WHERE code = $1", code)
        return _fee(row) if row else None

    async def order_for(self, order: PaymentOrder) -> PaymentOrder:
        """The order of this dossier and fee request: `order` when new, else the one made before."""
        await self.conn.execute(
            f"INSERT INTO payment_orders({_ORDER}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            *order,
        )
        found = await self.conn.fetchrow(
            f"SELECT {_ORDER} FROM payment_orders WHERE code = $1 AND fee_seq = $2", order.code, order.fee_seq
        )
        return PaymentOrder(**found)

    async def lock_order(self, txn_ref: str) -> PaymentOrder | None:
        row = await self.conn.fetchrow(f"SELECT {_ORDER} FROM payment_orders WHERE txn_ref = $1 FOR UPDATE", txn_ref)
        return PaymentOrder(**row) if row else None

    async def settle_order(self, order: PaymentOrder) -> bool:
        """Marks the order paid once; False when it was already (or the transaction number is known)."""
        done = await self.conn.fetchval(
            """UPDATE payment_orders SET state = 'paid', gateway_txn = $2, paid_at = $3, receipt_no = $4
               WHERE txn_ref = $1 AND state = 'pending'
                 AND NOT EXISTS (SELECT 1 FROM payment_orders WHERE gateway_txn = $2)
               RETURNING true""",
            order.txn_ref,
            order.gateway_txn,
            order.paid_at,
            order.receipt_no,
        )
        return bool(done)
