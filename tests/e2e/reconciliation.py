"""Run a reconciliation through stats' API as an operator would: start a run (waiting out one in
progress), then read its outcome until it is done."""

from __future__ import annotations

import asyncio
import time

import httpx


async def reconcile_over_http(stats_url: str, auth, scope: str = "full", timeout: float = 300) -> dict:
    """The findings of a new run of `scope`; fails if it does not end in `timeout` seconds or fails."""
    return (await reconciliation_run(stats_url, auth, scope, timeout))["result"]


async def reconciliation_run(stats_url: str, auth, scope: str = "full", timeout: float = 300) -> dict:
    """A new run of `scope`, once done (its record: id, who asked, result)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(auth=auth, timeout=30) as client:
        while True:
            started = await client.post(f"{stats_url}/api/v1/stats/reconciliation/runs", json={"scope": scope})
            if started.status_code == 202:
                break
            assert started.status_code == 409, started.text  # another run: wait for it to end
            assert time.monotonic() < deadline, f"a run in progress did not end in {timeout} s: {started.text}"
            await asyncio.sleep(0.5)
        while True:
            run = (await client.get(stats_url + started.headers["location"])).json()
            if run["state"] != "running":
                break
            assert time.monotonic() < deadline, f"run {run['id']} not done in {timeout} s"
            await asyncio.sleep(0.2)
    assert run["state"] == "done", run
    return run
