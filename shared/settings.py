"""Process settings from the environment, with the local defaults of `make run`."""
from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_PORTS = {"intake": 8001, "resolution": 8002, "stats": 8003}


@dataclass(frozen=True)
class Settings:
    service: str
    database_url: str
    kafka_bootstrap: str
    http_host: str
    http_port: int
    instance: str
    resolution_url: str  # where stats reaches resolution's export for reconciliation


    @classmethod
    def from_env(cls, service: str) -> "Settings":
        env = os.environ
        return cls(
            service=service,
            database_url=env.get(f"{service.upper()}_DATABASE_URL", f"postgresql://dvc@127.0.0.1:54320/{service}"),
            kafka_bootstrap=env.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
            http_host=env.get(f"{service.upper()}_HOST", env.get("HTTP_HOST", "127.0.0.1")),
            http_port=int(env.get(f"{service.upper()}_PORT", DEFAULT_PORTS[service])),
            instance=env.get("INSTANCE_ID", f"{service}-{os.getpid()}"),
            resolution_url=env.get("RESOLUTION_URL", f"http://127.0.0.1:{DEFAULT_PORTS['resolution']}"),
        )
