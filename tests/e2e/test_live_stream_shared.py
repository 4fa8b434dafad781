"""The live board's streams: however many screens watch one board, it is computed once per
change; beyond the cap a new stream is refused with 503 and a message in both languages, and a
closed stream frees its place."""

from __future__ import annotations

import queue
import re
import threading
import time

import httpx
import pytest

from tests.e2e.conftest import LIVE_STREAM_CAP

pytestmark = pytest.mark.e2e
FILTER = {"agency": "000.00.31.H26"}


def _metric(stats: str, name: str) -> float:
    text = httpx.get(f"{stats}/metrics", timeout=10, follow_redirects=True).text
    found = re.search(rf"^{name} (\S+)$", text, re.M)
    assert found, f"{name} not on /metrics"
    return float(found.group(1))


def _listen(url: str, out: queue.Queue, stop: threading.Event) -> None:
    with httpx.stream("GET", url, params=FILTER, timeout=httpx.Timeout(10.0, read=30.0)) as r:
        out.put(r.status_code)
        for line in r.iter_lines():
            if line.startswith("data: "):
                out.put("board")
            if stop.is_set():
                return


def _wait_for(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.1)
    return value


def test_many_listeners_share_one_computation_and_the_cap_refuses_the_next(services):
    stats = services["stats"]
    url = f"{stats}/api/v1/stats/live/stream"
    # Streams of earlier tests may still be closing: wait until none is open.
    _wait_for(lambda: _metric(stats, "stats_live_listeners") == 0, "earlier streams closed", 40)
    queries_before = _metric(stats, "stats_live_board_queries_total")
    stops = [threading.Event() for _ in range(LIVE_STREAM_CAP)]
    outs: list[queue.Queue] = [queue.Queue() for _ in stops]
    for out, stop in zip(outs, stops, strict=True):
        threading.Thread(target=_listen, args=(url, out, stop), daemon=True).start()
    try:
        for out in outs:
            assert out.get(timeout=15) == 200
            assert out.get(timeout=15) == "board"
        _wait_for(lambda: _metric(stats, "stats_live_listeners") == LIVE_STREAM_CAP, "all streams counted")
        queries = _metric(stats, "stats_live_board_queries_total") - queries_before
        assert 1 <= queries <= 3, f"{LIVE_STREAM_CAP} listeners of one board took {queries} computations"

        refused = httpx.get(url, params=FILTER, timeout=10)
        assert refused.status_code == 503
        error = refused.json()["error"]
        assert "quá nhiều người xem" in error["message_vi"] and "too many listeners" in error["message_en"]

        stops[0].set()  # the reader returns at its next line (a board or a heartbeat) and hangs up
        _wait_for(lambda: _metric(stats, "stats_live_listeners") < LIVE_STREAM_CAP, "a closed stream freed", 40)
        again: queue.Queue = queue.Queue()
        stop_again = threading.Event()
        stops.append(stop_again)
        threading.Thread(target=_listen, args=(url, again, stop_again), daemon=True).start()
        assert again.get(timeout=15) == 200
        assert again.get(timeout=15) == "board"
    finally:
        for stop in stops:
            stop.set()
        # Readers hang up at their next line (a heartbeat at the latest): the screens' tests after
        # this one need their places back.
        _wait_for(lambda: _metric(stats, "stats_live_listeners") == 0, "every stream closed", 40)
