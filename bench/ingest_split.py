"""Where one stats instance's time goes, without Kafka: decode, project, and each repository call.

    python -m bench.ingest_split [EVENTS]      (default 100,000; about half a minute)

Decodes the bench's generated events, projects them in Python alone, then applies them in the
service's batches (`ingest.apply_batch`) to a fresh database of the bench profile's PostgreSQL,
timing every repository statement. Prints microseconds per event for each part and the counter
rows each batch wrote: figure 1 says how fast, this says why. Then the same daily counter rows
written again into empty copies of the table by three of PostgreSQL's write paths (binary COPY,
plain INSERT, the upsert ingest uses): the floor any reshaping of the counters starts from.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from bench import procs
from bench.load import lifecycle_events
from bench.measure import Progress
from bench.workers.stats_ingest import MIGRATIONS
from services.stats.adapters import generations
from services.stats.adapters import repository as repo
from services.stats.adapters.fast_events import decode_owned_event
from services.stats.domain.projection import Rejected, project
from services.stats.service import ingest
from shared.consumer import Item
from shared.db import create_pool, migrate
from shared.runtime import tune_gc
from shared.sql import unnest_insert

TIMED = ("load_facts", "save_facts", "add_steps", "add_board", "add_daily", "save_names", "save_attributes")


def _timed(module: Any, name: str, seconds: dict[str, float], rows: dict[str, int], kept: list | None = None) -> None:
    """`module.name` replaced by itself, timed; the rows of a counter call counted, and with
    `kept`, the values of each call kept there."""
    call: Callable = getattr(module, name)

    async def timed(conn, values, *rest):
        rows[name] += len(values)
        if kept is not None:
            kept.append(values)
        started = time.perf_counter()
        try:
            return await call(conn, values, *rest)
        finally:
            seconds[name] += time.perf_counter() - started

    setattr(module, name, timed)


def _project_alone(events: list) -> None:
    facts: dict = {}
    for event in events:
        try:
            change = project(facts.get(event.dossier_code), event)
        except Rejected:
            continue
        if change is not None:
            facts[event.dossier_code] = change.fact


async def main(n_events: int) -> None:
    from deploy.local import servers
    from deploy.settings import ToolSettings

    raw = [value for _code, _seq, value in lifecycle_events(n_events, seed=1)]
    tune_gc()
    started = time.perf_counter()
    events = [decode_owned_event(value) for value in raw]
    decode_s = time.perf_counter() - started
    started = time.perf_counter()
    _project_alone(events)
    project_s = time.perf_counter() - started

    url = await procs.create_database(servers.up("bench").env()["STATS_DATABASE_URL"], "split")
    pool = await create_pool(url, max_size=2)
    try:
        await migrate(pool, MIGRATIONS)
        await generations.ensure_active(pool)
        seconds: dict[str, float] = defaultdict(float)
        rows: dict[str, int] = defaultdict(int)
        daily_batches: list[Counter] = []
        for name in TIMED:
            _timed(repo, name, seconds, rows, daily_batches if name == "add_daily" else None)
        items = [Item(SimpleNamespace(partition=hash(e.dossier_code) % 6), e) for e in events]
        progress = Progress("applying", len(items))
        started = time.perf_counter()
        for i in range(0, len(items), ingest.BATCH_RECORDS):
            batch = items[i : i + ingest.BATCH_RECORDS]
            await ingest.apply_batch(pool, batch)
            progress.add(len(batch))
        apply_s = time.perf_counter() - started
        progress.done()
        paths = await _write_paths(pool, daily_batches)
    finally:
        await pool.close()
        await procs.drop_database(url)
        if not ToolSettings().keep_servers:
            servers.down("bench")

    def per_event(s: float) -> str:
        return f"{s / len(events) * 1e6:8.1f} µs"

    print(f"\n{len(events):,} events, batches of {ingest.BATCH_RECORDS:,}:")
    print(f"  decode (msgspec)          {per_event(decode_s)}")
    print(f"  projection alone          {per_event(project_s)}")
    for name in sorted(seconds, key=seconds.__getitem__, reverse=True):
        print(f"  {name:<25} {per_event(seconds[name])}   ({rows[name]:,} rows or keys)")
    print(f"  whole apply_batch         {per_event(apply_s)}   = {len(events) / apply_s:,.0f} events/s")
    print("\nthe same daily counter rows, batch by batch, into an empty copy of the table:")
    for name, (s, n) in paths.items():
        print(f"  {name:<30} {s / n * 1e6:8.1f} µs a row   ({n:,} rows)")


# The daily counters' columns and types, in the table's order.
_DAILY = ("day", "agency_id", "procedure_code", "channel", "metric", "n")
_DAILY_TYPES = ("date", "text", "text", "text", "text", "bigint")
_KEY = ", ".join(_DAILY[:-1])


async def _write_paths(pool, batches: list[Counter]) -> dict[str, tuple[float, int]]:
    """Seconds and rows of each write path over `batches` ({(day, dims, metric): n} as add_daily
    gets them), each batch in its own transaction as ingest does, each path into a fresh table:
    appends into the columns with a plain index on the key (a key comes again in later batches),
    the upsert into a copy of the table with its primary key."""
    batch_rows = [sorted((day, *dims, metric, v) for (day, dims, metric), v in b.items() if v) for b in batches]
    append = f"CREATE TABLE public.paths (LIKE daily_counters); CREATE INDEX ON public.paths ({_KEY})"
    target = f"paths({', '.join(_DAILY)})"
    upsert = f"ON CONFLICT ({_KEY}) DO UPDATE SET n = paths.n + EXCLUDED.n"
    paths = {
        "append by binary COPY": (
            append,
            lambda conn, rows: conn.copy_records_to_table("paths", records=rows, columns=_DAILY),
        ),
        "append by INSERT (unnest)": (append, lambda conn, rows: unnest_insert(conn, target, _DAILY_TYPES, rows)),
        "upsert (unnest, ON CONFLICT)": (
            "CREATE TABLE public.paths (LIKE daily_counters INCLUDING ALL)",
            lambda conn, rows: unnest_insert(conn, target, _DAILY_TYPES, rows, on_conflict=upsert),
        ),
    }
    out = {}
    async with pool.acquire() as conn:
        for name, (table, write) in paths.items():
            async with conn.transaction():  # the generation's search path holds for a transaction
                await generations.use_active(conn)
                await conn.execute(f"DROP TABLE IF EXISTS public.paths; {table}")
            started = time.perf_counter()
            for rows in batch_rows:
                async with conn.transaction():
                    await write(conn, rows)
            out[name] = (time.perf_counter() - started, sum(len(rows) for rows in batch_rows))
    return out


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
