"""The three services as processes on the bench servers, with fresh databases and topics."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient

from bench import procs
from bench.measure import say
from deploy.local import servers
from deploy.settings import ToolSettings
from shared.kafka import client_options

SHIFT = ToolSettings().bench_port_shift
PORTS = {"intake": 8701 + SHIFT, "resolution": 8702 + SHIFT, "stats": 8703 + SHIFT}


async def _recreate_topics(bootstrap: str) -> None:
    """Empty application topics, so the services start from nothing (the bench broker is ours)."""
    admin = AIOKafkaAdminClient(**client_options(bootstrap))
    await admin.start()
    try:
        existing = [t for t in await admin.list_topics() if t in servers.TOPICS]
        if existing:
            await admin.delete_topics(existing)
        for _ in range(100):
            if not set(existing) & set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()
    servers.create_topics(bootstrap)


class System:
    """Fresh topics, three fresh databases, the three services; `stop()` undoes it all."""

    def __init__(self, env: dict[str, str], extra_env: dict[str, str] | None = None):
        self.base_env = env
        self.extra_env = extra_env or {}
        self.urls: dict[str, str] = {}
        self.services: dict[str, procs.Service] = {}

    def start(self) -> System:
        asyncio.run(_recreate_topics(self.base_env["KAFKA_BOOTSTRAP_SERVERS"]))
        for name in PORTS:
            self.urls[name] = asyncio.run(procs.create_database(self.base_env["STATS_DATABASE_URL"], f"bench_{name}"))
        env = {
            **self.base_env,
            **self.extra_env,
            **{f"{n.upper()}_DATABASE_URL": u for n, u in self.urls.items()},
            "RESOLUTION_URL": f"http://127.0.0.1:{PORTS['resolution']}",
        }
        say(f"  starting intake, resolution, stats on :{PORTS['intake']}-{PORTS['stats']}…")
        self.services = procs.start_services(PORTS, env)
        return self

    def url(self, name: str) -> str:
        return self.services[name].url

    def sample_memory(self) -> None:
        for s in self.services.values():
            s.sample_memory()

    def stop(self, memory: dict | None = None) -> None:
        for s in self.services.values():
            s.stop()
            if memory is not None and s.peak_mb is not None:
                memory[s.name] = max(memory.get(s.name, 0.0), s.peak_mb)
        for url in self.urls.values():
            asyncio.run(procs.drop_database(url))
