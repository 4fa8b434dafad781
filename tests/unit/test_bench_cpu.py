"""The benchmarks' processor accounting: /proc read right, and CPU per event split by party."""

import os
import time

from bench.cpu import machine_busy_s, per_event, process_s


def _spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


def test_a_busy_process_and_the_machine_are_seen_to_spend_its_time():
    own, machine = process_s(os.getpid()), machine_busy_s()
    _spin(0.3)
    spent = process_s(os.getpid()) - own
    assert 0.2 <= spent <= 0.5  # clock ticks: a hundredth of a second each
    assert machine_busy_s() - machine >= 0.2


def test_a_process_that_is_gone_counts_nothing():
    assert process_s(None) == 0.0
    assert process_s(2**22 + 1) == 0.0  # above the kernel's largest pid


def test_cpu_per_event_by_party_and_the_rest_as_other():
    before = {"machine": 100.0, "broker": 10.0, "postgres": 20.0, "own": 1.0}
    after = {"machine": 103.0, "broker": 10.5, "postgres": 21.5, "own": 2.0}
    usage = per_event(before, after, seconds=2.0, events=10_000, consumers_s=0.75)
    assert usage == {
        "cores busy": 1.5,
        "consumers µs/event": 75.0,
        "broker µs/event": 50.0,
        "PostgreSQL µs/event": 150.0,
        "other µs/event": 25.0,
        "all µs/event": 300.0,
    }
