"""Where reconciliation got to, in the generation it checked (a rebuilt generation starts with none)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Mark:
    written: int  # facts written up to this number were checked
    swept_at: datetime | None  # the last full sweep
    procedures: dict[str, date] = field(default_factory=dict)  # open mismatches: the first month to check again
    codes: list[str] = field(default_factory=list)  # open status differences


async def read(conn) -> Mark | None:
    row = await conn.fetchrow("SELECT written, open, swept_at FROM reconcile_marks WHERE id = 1")
    if row is None:
        return None
    open_ = json.loads(row["open"])
    procedures = {p: date.fromisoformat(d) for p, d in open_.get("procedures", {}).items()}
    return Mark(row["written"], row["swept_at"], procedures, list(open_.get("codes", [])))


async def settled_write(pool, generation: str, timeout_s: float = 30.0) -> int | None:
    """A write number every write up to which has ended (committed or rolled back), so a snapshot
    taken after this returns sees all of them; None if older transactions did not end in time.

    Write numbers are taken inside the ingest transactions, which commit in any order: a run that
    took the highest number it sees as its mark could skip a lower one committed just after its
    snapshot. So: the sequence's last number first, then the transactions running at that moment
    are waited for (one batch each, well under a second)."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(f"SELECT last_value, is_called FROM {generation}.fact_writes")
        upto = row["last_value"] if row["is_called"] else 0
        # a transaction id of our own, newer than that of every transaction that took a number
        horizon = await conn.fetchval("SELECT pg_current_xact_id()::text::bigint")
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint > $1", horizon):
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.05)
    return upto


async def save(conn, mark: Mark) -> None:
    """Concurrent runs (one per stats instance) may finish in any order: the mark never goes back."""
    open_ = {"procedures": {p: d.isoformat() for p, d in sorted(mark.procedures.items())}, "codes": sorted(mark.codes)}
    await conn.execute(
        """INSERT INTO reconcile_marks AS m (id, written, open, swept_at) VALUES (1, $1, $2::jsonb, $3)
           ON CONFLICT (id) DO UPDATE SET written = greatest(m.written, EXCLUDED.written), open = EXCLUDED.open,
               swept_at = coalesce(EXCLUDED.swept_at, m.swept_at)""",
        mark.written,
        json.dumps(open_),
        mark.swept_at,
    )
