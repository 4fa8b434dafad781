"""Run one service's ASGI app with uvicorn on its configured host and port."""
from __future__ import annotations

import logging

import uvicorn

from shared.settings import Settings


def serve(app_path: str, service: str) -> None:
    settings = Settings.from_env(service)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s")
    uvicorn.run(app_path, host=settings.http_host, port=settings.http_port, log_level="info",
                access_log=False, timeout_graceful_shutdown=20)
