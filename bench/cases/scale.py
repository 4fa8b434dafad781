"""Figures 5 and 4 on one data set: rebuild the stats projections from the events of many
dossiers (a year of them), then ask for the period report over that year.

Figure 5 times the rebuild command; figure 4 compares the report endpoint with a naive
GROUP BY over the fact rows in the same database.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime

import asyncpg
import httpx

from bench import procs, topics
from bench.measure import Figure, Summary, ratios, say
from bench.routes import stats_paths
from bench.system import PORTS, _recreate_topics
from deploy import users
from shared.auth import Account, Role
from shared.auth.passwords import hash_password
from shared.events import LIFECYCLE_TOPIC
from shared.local_time import VN

REBUILD_MODULE = "services.stats.entrypoints.commands"  # `rebuild`, as `make rebuild-stats` runs it
REPORT = "/api/v1/stats/report"
PERIOD = ("2025-01-01", "2025-12-31")  # the generator's year of reception
GOAL_REBUILD_S, GOAL_REPORT_MS, GOAL_SPEEDUP = 300, 300, 10
# A national year (issue 18): about 300 million events, to be rebuilt in under an hour.
NATIONAL_YEAR_EVENTS, GOAL_NATIONAL_S = 300_000_000, 3600
# Worker processes of the scaling pass: past this machine's cores too, to show where it flattens.
WORKER_COUNTS = (1, 2, 3, 4)

_prepared: dict = {}


def _rebuild_available() -> bool:
    return importlib.util.find_spec(REBUILD_MODULE) is not None


def _run_rebuild(env: dict[str, str], database_url: str) -> tuple[float, float | None, float | None]:
    """Wall time of the rebuild command, its peak memory and its largest worker's (polled VmHWM)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", REBUILD_MODULE, "rebuild"],
        cwd=procs.REPO,
        env={**os.environ, **env, "STATS_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
    )
    peak: list[float] = []
    workers: dict[int, float] = {}

    def watch():
        while proc.poll() is None:
            if mb := procs.peak_rss_mb(proc.pid):
                peak.append(mb)
            for child in procs.children(proc.pid):
                if mb := procs.peak_rss_mb(child):
                    workers[child] = mb
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    code = proc.wait()
    elapsed = time.perf_counter() - started
    watcher.join()
    if code != 0:
        raise RuntimeError(f"{REBUILD_MODULE} exited with code {code}")
    return elapsed, max(peak) if peak else None, max(workers.values()) if workers else None


def _prepare(env: dict[str, str], sizes, memory: dict) -> dict:
    """The topic of `scale_dossiers` dossiers' lives, rebuilt `reps` times into fresh databases."""
    if _prepared:
        return _prepared
    bootstrap = env["KAFKA_BOOTSTRAP_SERVERS"]
    asyncio.run(_recreate_topics(bootstrap))
    n_events = asyncio.run(topics.produce(bootstrap, LIFECYCLE_TOPIC, n_dossiers=sizes.scale_dossiers))
    _prepared.update(events=n_events, dossiers=sizes.scale_dossiers)
    urls = []
    if _rebuild_available():
        seconds, ceiling = [], []
        for rep in range(sizes.reps):
            bare = procs.run_worker("ceiling", [bootstrap, LIFECYCLE_TOPIC, str(n_events)], env, timeout=3600)
            ceiling.append(bare["seconds"])
            urls.append(asyncio.run(procs.create_database(env["STATS_DATABASE_URL"], "bench_rebuild")))
            elapsed, peak, worker_peak = _run_rebuild(env, urls[-1])
            seconds.append(elapsed)
            for name, mb in (("stats (rebuild)", peak), ("stats (rebuild worker)", worker_peak)):
                if mb:
                    memory[name] = max(memory.get(name, 0.0), mb)
            say(
                f"  rebuild: repetition {rep + 1}/{sizes.reps}: {elapsed:.1f} s for {n_events:,} events "
                f"({n_events / elapsed:,.0f}/s); bare read {bare['seconds']:.1f} s"
            )
        _prepared["rebuild"] = (seconds, ceiling)
        _prepared["scaling"] = _worker_scaling(env, n_events)
    else:  # no rebuild command yet: the service's own ingestion fills the database for figure 4
        urls.append(asyncio.run(procs.create_database(env["STATS_DATABASE_URL"], "bench_rebuild")))
        procs.run_worker("stats_ingest", [bootstrap, LIFECYCLE_TOPIC, str(n_events), urls[-1]], env, timeout=7200)
    for url in urls[:-1]:
        asyncio.run(procs.drop_database(url))
    _prepared["database_url"] = urls[-1]
    return _prepared


def _worker_scaling(env: dict[str, str], n_events: int) -> dict[int, float]:
    """Events/s of one rebuild per worker count (STATS_REBUILD_WORKERS), each into a fresh database."""
    rates = {}
    for workers in WORKER_COUNTS:
        url = asyncio.run(procs.create_database(env["STATS_DATABASE_URL"], "bench_rebuild"))
        try:
            elapsed, _, _ = _run_rebuild({**env, "STATS_REBUILD_WORKERS": str(workers)}, url)
        finally:
            asyncio.run(procs.drop_database(url))
        rates[workers] = n_events / elapsed
        say(f"  rebuild with {workers} worker process{'es' if workers > 1 else ''}: {rates[workers]:,.0f} events/s")
    return rates


def _national_year(rates: dict[int, float]) -> dict:
    """The projected rebuild of a national year from the scaling pass: at the best measured rate,
    and the cores it would take to finish within the hour if each core did what one worker
    process per core did here (PostgreSQL and Kafka shared those cores: an estimate, not a measure)."""
    cores = os.cpu_count() or 1
    best = max(rates.values())
    per_core = rates.get(cores, best) / cores
    return {
        "events/s by worker processes": ", ".join(f"{n}: {r:,.0f}" for n, r in rates.items()),
        "national year (300M events) at the best rate": f"{NATIONAL_YEAR_EVENTS / best / 3600:.1f} h",
        "cores for < 1 h at this machine's rate per core": -(-NATIONAL_YEAR_EVENTS // int(per_core * GOAL_NATIONAL_S)),
    }


def figure5(env, sizes, memory) -> Figure:
    if not _rebuild_available():
        return Figure(
            5,
            "Rebuild",
            goal=f"< {GOAL_REBUILD_S // 60} min",
            not_measured=f"no rebuild command ({REBUILD_MODULE}) on this branch yet",
        )
    prepared = _prepare(env, sizes, memory)
    seconds, ceiling = prepared["rebuild"]
    value = Summary.of(seconds)
    return Figure(
        5,
        "Rebuild of the stats projections",
        "s",
        value=value,
        reference=Summary.of(ceiling),
        reference_name="bare read of the topic",
        ratio=ratios(seconds, ceiling),
        goal=f"< {GOAL_REBUILD_S} s",
        met=value.median < GOAL_REBUILD_S,
        extra={
            "data": f"{prepared['dossiers']:,} dossiers, {prepared['events']:,} events, one year",
            "events/s": {"median": prepared["events"] / value.median, "unit": "events/s"},
            **_national_year(prepared["scaling"]),
        },
    )


NAIVE = """
SELECT {key} AS key,
  count(*) FILTER (WHERE received_at >= $1 AND received_at < $2 AND channel = 'online') AS received_online,
  count(*) FILTER (WHERE received_at >= $1 AND received_at < $2 AND channel <> 'online') AS received_counter_post,
  count(*) FILTER (WHERE received_at < $1 AND (resolved_at IS NULL OR resolved_at >= $1)
                   AND status NOT IN (3, 7, 8, 10)) AS carried_over,
  count(*) FILTER (WHERE resolved_at >= $1 AND resolved_at < $2 AND compliance = 'early') AS resolved_early,
  count(*) FILTER (WHERE resolved_at >= $1 AND resolved_at < $2 AND compliance = 'on_time') AS resolved_on_time,
  count(*) FILTER (WHERE resolved_at >= $1 AND resolved_at < $2 AND compliance = 'late') AS resolved_late,
  count(*) FILTER (WHERE received_at < $2 AND status IN (2, 4) AND due_at >= $2) AS processing_within,
  count(*) FILTER (WHERE received_at < $2 AND status IN (2, 4) AND due_at < $2) AS processing_overdue
FROM facts GROUP BY 1 ORDER BY 1"""


async def _naive_ms(url: str, group_by: str, times: int) -> float:
    from datetime import datetime, timedelta

    lo = datetime.fromisoformat(PERIOD[0]).replace(tzinfo=VN)
    hi = datetime.fromisoformat(PERIOD[1]).replace(tzinfo=VN) + timedelta(days=1)
    sql = NAIVE.format(key="agency_id" if group_by == "agency" else "procedure_code")
    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        await conn.execute(f"SET search_path TO {schema}, public")  # the facts the report reads
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            await conn.fetch(sql, lo, hi)
            samples.append((time.perf_counter() - started) * 1000)
        return statistics.median(samples)
    finally:
        await conn.close()


# The leaders' views over the same year: the grouped report reads the counters like the report;
# staffing scans the facts; the quality index adds a facts scan for the low ratings.
LEADERS_VIEWS = {
    "report by field": (REPORT, {"group_by": "field"}),
    "report by level": (REPORT, {"group_by": "level"}),
    "quality index": ("/api/v1/stats/quality", {}),
    "staffing": ("/api/v1/stats/staffing", {}),
    "online uptake": ("/api/v1/stats/online", {}),
}


def _leaders_views_ms(client: httpx.Client) -> dict[str, float]:
    out = {}
    for name, (path, extra) in LEADERS_VIEWS.items():
        params = {"from": PERIOD[0], "to": PERIOD[1], **extra}
        client.get(path, params=params).raise_for_status()  # warm
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(path, params=params).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
        out[name] = round(statistics.median(samples), 1)
        say(f"  {name}: {out[name]:.1f} ms")
    return out


RECONCILE_RUNS = "/api/v1/stats/reconciliation/runs"
BENCH_MONITOR = ("bench.monitor", "bench-monitor-password")
CHANGED = 1_000  # facts written between two runs over the changes
CHANGE_REPS = 5  # runs over no changes and over CHANGED changes at each history size (milliseconds each)
GOAL_CHANGES_MS = 1_000
COPY = "~"  # marks the code of a copied dossier (no generated code has it)


async def _touch(url: str, n: int) -> None:
    """Write the `n` latest dossiers' facts again (a new write number, nothing else), as the
    events of a quarter of an hour would: they are about recent dossiers."""
    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        await conn.execute(
            f"UPDATE {schema}.facts SET written = nextval('{schema}.fact_writes') "
            f"WHERE code IN (SELECT code FROM {schema}.facts ORDER BY received_at DESC LIMIT $1)",
            n,
        )
    finally:
        await conn.close()


async def _add_monitor(url: str) -> None:
    """Reconciliation is for monitoring accounts: one in the bench's stats database."""
    account = Account(BENCH_MONITOR[0], Role.MONITOR, None)
    await users.write_accounts({"stats": url}, [(account, hash_password(BENCH_MONITOR[1]), True)])


async def _mark_checked(url: str) -> None:
    """Reconciliation's mark moved past every fact written so far, as a run that found them right would."""
    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        await conn.execute(f"UPDATE {schema}.reconcile_marks SET written = (SELECT max(written) FROM {schema}.facts)")
    finally:
        await conn.close()


async def _grow(url: str, copies_now: int, copies: int) -> None:
    """Make the history `copies` times figure 4's generated one (it is `copies_now` times it): each
    generated dossier's fact, steps and reception elsewhere copied under a new code with the same
    times, and every counter multiplied to match, in SQL (replaying millions of dossiers' events would
    take hours here). The same year gets denser, as a larger generated history is: each month and
    its backlog grow with the size. The tally follows the inserted rows through its trigger."""
    conn = await asyncpg.connect(url)
    try:
        schema = await conn.fetchval("SELECT schema_name FROM projection_generations WHERE state = 'active'")
        await conn.execute(f"SET search_path TO {schema}, public")
        copy = f"code || '{COPY}' || i"
        base = f"code NOT LIKE '%{COPY}%'"
        for table, skip in (
            ("facts", ("code", "written")),
            ("fact_steps", ("code",)),
            ("received_on_behalf", ("code",)),
        ):
            names = await conn.fetchval(
                "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns "
                "WHERE table_schema = $1 AND table_name = $2 AND column_name <> ALL($3)",
                schema,
                table,
                list(skip),
            )
            await conn.execute(
                f"INSERT INTO {table} (code, {names}) SELECT {copy}, {names} FROM {table}, "
                f"generate_series($1::int, $2::int - 1) AS i WHERE {base}",
                copies_now,
                copies,
            )
        for table in ("board_counters", "daily_counters", "monthly_counters"):
            await conn.execute(f"UPDATE {table} SET n = n / $1 * $2", copies_now, copies)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


def _reconciliation_ms(client: httpx.Client, url: str, reps: int, base: int, sizes: tuple[int, ...]) -> dict:
    """On figure 4's history (`base` dossiers), a full sweep, a run over no changes and one over
    CHANGED facts, each `reps` times; then the history grown to each of `sizes`, the mark moved past
    the copies, and CHANGE_REPS runs over no changes and over CHANGED changes. Stats only. A
    request starts a run; its time is the run's own, from its record (started to finished)."""
    asyncio.run(_add_monitor(url))
    out: dict[str, list[float]] = {"full": [], "no changes": [], f"{CHANGED:,} changed": []}

    def timed(scope: str) -> float:
        started = client.post(RECONCILE_RUNS, json={"with_resolution": False, "scope": scope}, auth=BENCH_MONITOR)
        started.raise_for_status()
        deadline = time.monotonic() + 3600
        while (run := client.get(started.headers["location"], auth=BENCH_MONITOR).json())["state"] == "running":
            assert time.monotonic() < deadline, run
            time.sleep(0.05)
        assert run["state"] == "done" and run["result"]["mismatches"] == 0, run
        took = datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])
        return took.total_seconds() * 1000

    def changes(times: int, into: dict[str, list[float]]) -> None:
        for _ in range(times):
            into["no changes"].append(timed("changes"))
            asyncio.run(_touch(url, CHANGED))
            into[f"{CHANGED:,} changed"].append(timed("changes"))

    for _ in range(reps):
        out["full"].append(timed("full"))
        changes(1, out)
    for name, ms in out.items():
        say(f"  reconciliation, {name}: {statistics.median(ms):.0f} ms")
    by_size: dict[int, dict[str, list[float]]] = {}
    copies = 1
    for size in sorted(s for s in sizes if s >= base and s % base == 0):
        if size // base != copies:
            started = time.perf_counter()
            asyncio.run(_grow(url, copies, size // base))
            copies = size // base
            say(f"  history grown to {size:,} dossiers in {time.perf_counter() - started:.0f} s")
        # The copies agree with the counters by construction: marked checked, not swept (a sweep of a
        # million dossiers takes minutes, and more than the statement limit on a loaded machine).
        asyncio.run(_mark_checked(url))
        runs = by_size[size] = {"no changes": [], f"{CHANGED:,} changed": []}
        changes(CHANGE_REPS, runs)
        say(
            f"  reconciliation at {size:,} dossiers: no changes "
            f"{statistics.median(runs['no changes']):.1f} ms, {CHANGED:,} changed "
            f"{statistics.median(runs[f'{CHANGED:,} changed']):.1f} ms"
        )
    return {**out, "by size": by_size}


def figure8(env, sizes, memory) -> Figure:
    """Reconciliation over the changes against a full sweep, on figure 4's year of history."""
    if "reconcile" not in _prepared:
        figure4(env, sizes, memory)
    runs = _prepared["reconcile"]
    key = f"{CHANGED:,} changed"
    by_size = runs["by size"]
    largest = by_size[max(by_size)] if by_size else runs
    changed, full = largest[key], runs["full"]
    value = Summary.of(changed)
    medians = [statistics.median(r[key]) for r in by_size.values()] or [value.median]
    return Figure(
        8,
        f"Reconciliation of {CHANGED:,} changed dossiers"
        + (f" over {max(by_size):,} dossiers of history" if by_size else ""),
        "ms",
        value=value,
        reference=Summary.of(full),
        reference_name=f"full sweep of {_prepared['dossiers']:,} dossiers",
        ratio=Summary.of([statistics.median(full) / value.median]),
        goal=f"< {GOAL_CHANGES_MS} ms, whatever the history's size",
        met=max(medians) < GOAL_CHANGES_MS,
        extra={
            **{
                f"{size:,} dossiers{' (generated)' if size == _prepared['dossiers'] else ''}: {name}": {
                    **Summary.of(r[name]).__dict__,
                    "unit": "ms",
                }
                for size, r in {_prepared["dossiers"]: runs, **by_size}.items()
                for name in ("full", "no changes", key)
                if name in r
            },
            "data": f"one year of {_prepared['dossiers']:,} generated dossiers, then the same year copied to "
            "each size by SQL (marked checked, not swept); stats only, without resolution's lookup; ratio = full "
            "sweep of the generated history / changes at the largest size",
        },
    )


def figure4(env, sizes, memory) -> Figure:
    if REPORT not in stats_paths():
        return Figure(
            4,
            "Reports at scale",
            goal=f"< {GOAL_REPORT_MS} ms and >= {GOAL_SPEEDUP}x naive",
            not_measured=f"stats has no {REPORT} on this branch yet",
        )
    prepared = _prepare(env, sizes, memory)
    asyncio.run(_recreate_topics(env["KAFKA_BOOTSTRAP_SERVERS"]))  # nothing to replay while reporting
    stats = procs.Service("stats", PORTS["stats"], {**env, "STATS_DATABASE_URL": prepared["database_url"]})
    try:
        stats.wait_healthy()
        results = {}
        with httpx.Client(base_url=stats.url, timeout=120) as client:
            for group_by in ("agency", "procedure"):
                params = {"from": PERIOD[0], "to": PERIOD[1], "group_by": group_by}
                client.get(REPORT, params=params).raise_for_status()  # warm: plans, caches
                report_ms, naive_ms = [], []
                for _ in range(sizes.reps):
                    samples = []
                    for _ in range(5):
                        started = time.perf_counter()
                        client.get(REPORT, params=params).raise_for_status()
                        samples.append((time.perf_counter() - started) * 1000)
                    report_ms.append(statistics.median(samples))
                    naive_ms.append(asyncio.run(_naive_ms(prepared["database_url"], group_by, 5)))
                results[group_by] = (report_ms, naive_ms)
                say(
                    f"  report by {group_by}: {statistics.median(report_ms):.1f} ms, "
                    f"naive GROUP BY {statistics.median(naive_ms):.1f} ms"
                )
            leaders = _leaders_views_ms(client)
            _prepared["reconcile"] = _reconciliation_ms(
                client, prepared["database_url"], sizes.reps, prepared["dossiers"], sizes.reconcile_dossiers
            )
        stats.sample_memory()
    finally:
        stats.stop()
        if stats.peak_mb:
            memory["stats (reporting)"] = stats.peak_mb
        asyncio.run(procs.drop_database(prepared["database_url"]))
    worst = max(results, key=lambda g: statistics.median(results[g][0]))
    report_ms, naive_ms = results[worst]
    value, speedup = Summary.of(report_ms), ratios(naive_ms, report_ms)
    other = "procedure" if worst == "agency" else "agency"
    return Figure(
        4,
        f"Report over a year (slower grouping: by {worst})",
        "ms",
        value=value,
        reference=Summary.of(naive_ms),
        reference_name="naive GROUP BY over facts",
        ratio=speedup,
        goal=f"< {GOAL_REPORT_MS} ms and >= {GOAL_SPEEDUP}x faster than naive",
        met=value.median < GOAL_REPORT_MS and speedup.median >= GOAL_SPEEDUP,
        extra={
            f"by {other}": {**Summary.of(results[other][0]).__dict__, "unit": "ms"},
            f"naive by {other}": {**Summary.of(results[other][1]).__dict__, "unit": "ms"},
            "data": f"{prepared['dossiers']:,} dossiers over one year; HTTP round trip vs "
            "SQL round trip, ratio = naive / report",
            "leaders' views over the year, median ms": leaders,
        },
    )


def run(number: int, env, sizes, memory) -> Figure:
    return {5: figure5, 4: figure4, 8: figure8}[number](env, sizes, memory)
