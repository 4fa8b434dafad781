"""Many rows in one statement: PostgreSQL's unnest over one array per column.

One round trip whatever the number of rows (asyncpg's executemany makes one per row), which
is what the hot paths and the imports need.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def columns(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Rows as one list per column, the arguments of `unnest($1::type[], $2::type[], ...)`."""
    return [list(column) for column in zip(*rows, strict=True)]


def unnest_arrays(types: Sequence[str]) -> str:
    """`$1::text[], $2::int[], ...` for these column types."""
    return ", ".join(f"${i}::{t}[]" for i, t in enumerate(types, start=1))


async def unnest_insert(
    conn: Any, target: str, types: Sequence[str], rows: Sequence[Sequence[Any]], *, on_conflict: str = ""
) -> int:
    """INSERT INTO `target` ("table(col, ...)") every row of `rows`, whose values follow `types`;
    returns how many were inserted (those `on_conflict` skipped are not)."""
    if not rows:
        return 0
    status = await conn.execute(
        f"INSERT INTO {target} SELECT * FROM unnest({unnest_arrays(types)}) {on_conflict}", *columns(rows)
    )
    return int(status.rsplit(" ", 1)[-1])  # "INSERT 0 n"
