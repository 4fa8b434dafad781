"""Where the machine's processor time goes during a measurement: the whole machine, the Kafka
broker and the PostgreSQL server of the bench profile, read from /proc before and after.

A figure that is a ratio of two rates on one box (figure 1) says little about the hardware it
would need elsewhere; CPU time per event, per party, does: the broker and the database share
these cores with what is measured.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import procs
from deploy.local import kafka_broker
from deploy.local.servers import PROFILES

_TICK = os.sysconf("SC_CLK_TCK")


def machine_busy_s() -> float:
    """Seconds the machine's cores have spent not idle since boot (all cores added up)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / _TICK  # user..steal; guest time is already inside user


def process_s(pid: int | None, with_reaped_children: bool = False) -> float:
    """CPU seconds of a process (all its threads), optionally with its children that have exited."""
    if pid is None:
        return 0.0
    try:
        # The command name (field 2) may hold spaces: count the fields after its closing parenthesis.
        after = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    utime, stime, cutime, cstime = (int(v) for v in after[11:15])
    return (utime + stime + (cutime + cstime if with_reaped_children else 0)) / _TICK


def _postmaster_pid() -> int | None:
    try:
        return int((PROFILES["bench"].pg_home / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _postgres_s() -> float:
    """The server and every backend it started, those still running and those it has reaped."""
    pid = _postmaster_pid()
    return process_s(pid, with_reaped_children=True) + sum(process_s(c) for c in procs.children(pid or 0))


def sample() -> dict[str, float]:
    """Taken by a measured process itself, at its first record and at each point that may end the
    measurement: `own` is its own CPU time, so its startup and group joining are left out."""
    broker = kafka_broker.running_pid(PROFILES["bench"].kafka_home)
    return {
        "machine": machine_busy_s(),
        "broker": process_s(broker),
        "postgres": _postgres_s(),
        "own": time.process_time(),
    }


def per_event(before: dict, after: dict, seconds: float, events: int, consumers_s: float) -> dict:
    """CPU µs per event of each party between two `sample()`s, and the cores the
    machine kept busy. `consumers_s`: CPU seconds of the measured processes (their `own`)."""
    machine = after["machine"] - before["machine"]
    parts = {
        "consumers": consumers_s,
        "broker": after["broker"] - before["broker"],
        "PostgreSQL": after["postgres"] - before["postgres"],
    }
    parts["other"] = max(0.0, machine - sum(parts.values()))
    return {
        "cores busy": round(machine / seconds, 2),
        **{f"{name} µs/event": round(s / events * 1e6, 1) for name, s in parts.items()},
        "all µs/event": round(machine / events * 1e6, 1),
    }
