"""Where reconciliation got to, in the generation it checked (a rebuilt generation starts with none)."""

from __future__ import annotations

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


async def last_written(conn) -> int:
    """The number of the last fact write (what a run that starts now will have checked)."""
    return await conn.fetchval("SELECT coalesce(max(written), 0) FROM facts")


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
