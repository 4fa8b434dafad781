"""Logs: one JSON object a line with level, service, instance and the correlation id of what is
being handled (the HTTP request's `X-Request-ID`, or the event's), or plain text for a developer.

Messages never carry personal data (names, ID numbers, phones, addresses): log codes and counts.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

# Set by the HTTP middleware for a request and by the consumer for the events it applies.
correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class _Context(logging.Filter):
    """Adds who logs (service, instance) and what it is handling to every record."""

    def __init__(self, service: str, instance: str):
        super().__init__()
        self.service, self.instance = service, instance

    def filter(self, record: logging.LogRecord) -> bool:
        record.service, record.instance = self.service, self.instance
        record.correlation_id = correlation_id.get() or "-"
        context = trace.get_current_span().get_span_context()
        record.trace_id = format(context.trace_id, "032x") if context.is_valid else "-"
        return True


def configure_logging(service: str, instance: str, fmt: str = "json", level: str = "INFO") -> None:
    """Replace the root logger's handlers with one on stderr in `fmt`; uvicorn's loggers propagate to it."""
    handler = logging.StreamHandler()
    handler.addFilter(_Context(service, instance))
    if fmt == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(levelname)s %(name)s %(message)s %(service)s %(instance)s %(correlation_id)s %(trace_id)s",
                rename_fields={"levelname": "level", "name": "logger"},
                timestamp="time",  # ISO 8601, UTC
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(service)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s")
        )
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # FastStream's own logger writes coloured text to stdout by itself: send it through ours.
    own = logging.getLogger("faststream")
    for old in own.handlers[:]:
        own.removeHandler(old)
    own.propagate = True
