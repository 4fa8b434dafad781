"""Run one service with uvicorn on its configured address: `python -m services.<name>`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared.logs import configure_logging
from shared.runtime import HTTP_DRAIN_S
from shared.settings import ServiceSettings
from shared.tracing import configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def serve(create_app: Callable[[S], FastAPI], settings: S) -> None:
    configure_logging(settings.service, settings.instance, settings.log_format, settings.log_level)
    configure_tracing(settings.service, settings.instance, settings.otlp_endpoint)
    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.port,
        log_config=None,  # uvicorn's records go to the root logger configured above (JSON or text)
        log_level=settings.log_level.lower(),
        access_log=False,  # the metrics count requests; the request id is in the lines that matter
        timeout_graceful_shutdown=int(HTTP_DRAIN_S),
    )
