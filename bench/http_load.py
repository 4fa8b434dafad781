"""HTTP load: closed loop (as fast as N clients go) and open loop (a steady rate)."""
from __future__ import annotations

import asyncio
import time

import httpx

from bench.measure import Progress


def _client(concurrency: int, headers: dict | None) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(limits=limits, timeout=30, headers=headers)


async def closed_loop(url: str, bodies: list[dict], *, concurrency: int, seconds: float, what: str,
                      headers: dict | None = None, expect: int = 201) -> dict:
    """`concurrency` clients, each sending its next request as soon as the last is answered."""
    async with _client(concurrency, headers) as client:
        stop_at = time.perf_counter() + seconds
        state = {"next": 0, "ok": 0, "errors": 0, "last_error": ""}
        progress = Progress(what)

        async def worker():
            while time.perf_counter() < stop_at:
                body = bodies[state["next"] % len(bodies)]
                state["next"] += 1
                response = await client.post(url, json=body)
                if response.status_code == expect:
                    state["ok"] += 1
                    progress.add()
                else:
                    state["errors"] += 1
                    state["last_error"] = f"{response.status_code} {response.text[:300]}"

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        progress.done()
    # client_cpu near 1.0 would mean the client, not the server, sets the pace
    return {"ok": state["ok"], "errors": state["errors"], "seconds": elapsed, "rate": state["ok"] / elapsed,
            "last_error": state["last_error"], "client_cpu": (time.process_time() - cpu) / elapsed}


async def open_loop(url: str, bodies: list[dict], *, rate: float, seconds: float, what: str,
                    headers: dict | None = None, expect: int = 201, on_answer=None) -> dict:
    """One request every 1/rate s whatever the answers do; a latency runs from the planned
    send time, so a stalled server is charged for the requests that queue behind it."""
    async with _client(512, headers) as client:
        latencies: list[float] = []
        errors = []
        progress = Progress(what, int(rate * seconds))

        async def one(planned: float, body: dict):
            response = await client.post(url, json=body)
            answered = time.perf_counter()
            if response.status_code == expect:
                latencies.append(answered - planned)
                progress.add()
                if on_answer:
                    on_answer(response, answered)
            else:
                errors.append(f"{response.status_code} {response.text[:300]}")

        tasks = []
        started = time.perf_counter()
        for i in range(int(rate * seconds)):
            planned = started + i / rate
            delay = planned - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(planned, bodies[i % len(bodies)])))
        await asyncio.gather(*tasks)
        progress.done()
    return {"latencies": latencies, "errors": len(errors), "last_error": errors[-1] if errors else "",
            "achieved_rate": len(latencies) / (time.perf_counter() - started)}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
