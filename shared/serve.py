"""Run one service with uvicorn on its configured address: `python -m services.<name>`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import uvicorn
from fastapi import FastAPI

from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


def serve(create_app: Callable[[S], FastAPI], settings: S) -> None:
    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s {settings.service} %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.bind_host,
        port=settings.port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=20,
    )
