"""resolution's SQL of fees: the latest fee asked for on a case and its payment."""

from __future__ import annotations

import asyncpg

from services.resolution.domain.fees import CaseFee
from shared.payment import CollectionMoment, PaymentMethod

_COLUMNS = "code, amount, collection, requested_at, paid_method, paid_amount, receipt_no, gateway_txn, paid_at"


class FeeSql:
    """On the unit of work's connection: `FeeSql(uow.repo.conn)`."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    async def save(self, fee: CaseFee) -> None:
        """A new request replaces the last one with its payment (a fee asked again is unpaid)."""
        await self.conn.execute(
            f"""INSERT INTO case_fees({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (code) DO UPDATE SET amount = EXCLUDED.amount, collection = EXCLUDED.collection,
                      requested_at = EXCLUDED.requested_at, paid_method = EXCLUDED.paid_method,
                      paid_amount = EXCLUDED.paid_amount, receipt_no = EXCLUDED.receipt_no,
                      gateway_txn = EXCLUDED.gateway_txn, paid_at = EXCLUDED.paid_at""",
            *fee,
        )

    async def fee_of(self, code: str) -> CaseFee | None:
        row = await self.conn.fetchrow(f"SELECT {_COLUMNS} FROM case_fees WHERE code = $1", code)
        if row is None:
            return None
        values = dict(row)
        values["collection"] = CollectionMoment(values["collection"])
        values["paid_method"] = PaymentMethod(values["paid_method"]) if values["paid_method"] else None
        return CaseFee(**values)
