"""A reader of the live board's server-sent events: (arrival time, board) for each one."""

from __future__ import annotations

import json
import time

import httpx


async def read_board_events(url: str, into: list[tuple[float, dict]], ready=None) -> None:
    """Append (perf_counter at arrival, decoded board) for every `data:` event until cancelled."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
        client.stream("GET", url, headers={"accept": "text/event-stream"}) as response,
    ):
        response.raise_for_status()
        if ready is not None:
            ready.set()
        data: list[str] = []
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif not line and data:  # a blank line ends one event
                into.append((time.perf_counter(), json.loads("\n".join(data))))
                data = []
