"""HTTP load: closed loop (as fast as N clients go) and open loop (a steady rate).

A minimal HTTP/1.1 keep-alive client on asyncio streams, not httpx: on this 2-core machine
httpx's per-request cost (and its pool's scan of every waiting request) made the client, not
the server, set the pace; this one costs a few tens of microseconds a request.
"""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlsplit

from bench.measure import Progress


class Connection:
    """One keep-alive connection: a request out, its whole response in."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: bytes = b"") -> tuple[int, bytes]:
        reused = self.writer is not None
        if not reused:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(
            b"POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
            b"%s\r\n%s" % (path.encode(), self.host.encode(), len(body), headers, body)
        )
        first = await self.reader.readline()
        if not first and reused:
            # The server closed the idle connection (keep-alive timeout) before reading this
            # request, so nothing was done: send it again on a new connection.
            self.close()
            return await self.post(path, body, headers)
        status = int(first.split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        parts = []
        while size := int((await self.reader.readline()).strip(), 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return status, b"".join(parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def _target(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"


def encode_bodies(bodies: list[dict]) -> list[bytes]:
    return [json.dumps(b, ensure_ascii=False).encode() for b in bodies]


async def closed_loop(
    url: str,
    bodies: list[bytes],
    *,
    concurrency: int,
    seconds: float,
    what: str,
    headers: bytes = b"",
    expect: int = 201,
) -> dict:
    """`concurrency` clients, each sending its next request as soon as the last is answered."""
    host, port, path = _target(url)
    stop_at = time.perf_counter() + seconds
    state = {"next": 0, "ok": 0, "errors": 0, "last_error": ""}
    progress = Progress(what)

    async def client():
        conn = Connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                body = bodies[state["next"] % len(bodies)]
                state["next"] += 1
                status, answer = await conn.post(path, body, headers)
                if status == expect:
                    state["ok"] += 1
                    progress.add()
                else:
                    state["errors"] += 1
                    state["last_error"] = f"{status} {answer[:300].decode(errors='replace')}"
        finally:
            conn.close()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    progress.done()
    # client_cpu near 1.0 would mean the client, not the server, sets the pace
    return {
        "ok": state["ok"],
        "errors": state["errors"],
        "seconds": elapsed,
        "rate": state["ok"] / elapsed,
        "last_error": state["last_error"],
        "client_cpu": (time.process_time() - cpu) / elapsed,
    }


async def open_loop(
    url: str,
    bodies: list[bytes],
    *,
    rate: float,
    seconds: float,
    what: str,
    headers: bytes = b"",
    expect: int = 201,
    on_answer=None,
    max_connections: int = 256,
) -> dict:
    """One request every 1/rate s whatever the answers do; a latency runs from the planned
    send time, so a stalled server is charged for the requests that queue behind it."""
    host, port, path = _target(url)
    idle: list[Connection] = []
    slots = asyncio.Semaphore(max_connections)
    latencies: list[float] = []
    errors: list[str] = []
    progress = Progress(what, int(rate * seconds))

    async def one(planned: float, body: bytes):
        async with slots:
            conn = idle.pop() if idle else Connection(host, port)
            try:
                status, answer = await conn.post(path, body, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                conn.close()
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            idle.append(conn)
        answered = time.perf_counter()
        if status == expect:
            latencies.append(answered - planned)
            progress.add()
            if on_answer:
                on_answer(answer, answered)
        else:
            errors.append(f"{status} {answer[:300].decode(errors='replace')}")

    tasks = []
    started = time.perf_counter()
    for i in range(int(rate * seconds)):
        planned = started + i / rate
        delay = planned - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(planned, bodies[i % len(bodies)])))
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.close()
    progress.done()
    return {
        "latencies": latencies,
        "errors": len(errors),
        "last_error": errors[-1] if errors else "",
        "achieved_rate": len(latencies) / (time.perf_counter() - started),
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
