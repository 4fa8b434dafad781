"""Repetitions, medians with their spread, pairwise ratios, and progress lines."""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import asdict, dataclass, field


@dataclass
class Summary:
    median: float
    low: float
    high: float
    samples: list[float]

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        return cls(statistics.median(samples), min(samples), max(samples), list(samples))

    def spread(self) -> str:
        return f"{_num(self.low)}–{_num(self.high)}" if len(self.samples) > 1 else ""


def ratios(values: list[float], references: list[float]) -> Summary:
    """Pair by pair: repetition i of the subject against repetition i of its reference, measured
    back to back, so a drift of the shared machine hits both sides of each ratio alike."""
    return Summary.of([v / r for v, r in zip(values, references, strict=False) if r])


@dataclass
class Figure:
    """One line of the table: what was measured, against what, and whether the goal is met."""

    number: int
    title: str
    unit: str = ""
    value: Summary | None = None
    reference: Summary | None = None
    reference_name: str = ""
    ratio: Summary | None = None
    goal: str = ""
    met: bool | None = None
    extra: dict = field(default_factory=dict)  # other measured values (latencies, sizes, ...)
    not_measured: str = ""  # the reason, when this figure could not be measured

    def to_json(self) -> dict:
        return asdict(self)


def _num(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.3g}"


fmt = _num


class Progress:
    """A running count on stderr, rewritten in place, with a summary line at the end."""

    def __init__(self, what: str, total: int | None = None, every: float | None = None):
        # In a terminal the line is rewritten twice a second; in a log file, one line every 5 s.
        self.tty = sys.stderr.isatty()
        self.what, self.total, self.every = what, total, every or (0.5 if self.tty else 5.0)
        self.count, self.started = 0, time.monotonic()
        self._shown = self.started

    def add(self, n: int = 1) -> None:
        self.count += n
        now = time.monotonic()
        if now - self._shown >= self.every:
            self._shown = now
            of = f"/{self.total:,}" if self.total else ""
            rate = self.count / max(1e-9, now - self.started)
            print(
                f"\r  {self.what}: {self.count:,}{of} ({rate:,.0f}/s)   ",
                end="" if self.tty else "\n",
                file=sys.stderr,
                flush=True,
            )

    def done(self, note: str = "") -> float:
        elapsed = time.monotonic() - self.started
        rate = self.count / max(1e-9, elapsed)
        print(
            f"\r  {self.what}: {self.count:,} in {elapsed:.1f} s ({rate:,.0f}/s){' ' + note if note else ''}   ",
            file=sys.stderr,
            flush=True,
        )
        return elapsed


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
