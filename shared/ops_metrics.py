"""Gauges an operator watches besides the ones the code paths count: the database pool's use and
each consumer's assignment and lag. Names are fixed (alert rules and dashboards use them)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)


class PoolCollector(Collector):
    """`db_pool_connections{state=in_use|idle}` and `db_pool_max_connections`, read at scrape time."""

    def __init__(self, service: str, pool: Callable[[], asyncpg.Pool | None]):
        self.service, self.pool = service, pool

    def collect(self) -> Iterable[GaugeMetricFamily]:
        pool = self.pool()
        size, idle, most = (pool.get_size(), pool.get_idle_size(), pool.get_max_size()) if pool else (0, 0, 0)
        use = GaugeMetricFamily("db_pool_connections", "Database pool connections", labels=["service", "state"])
        use.add_metric([self.service, "in_use"], size - idle)
        use.add_metric([self.service, "idle"], idle)
        yield use
        cap = GaugeMetricFamily("db_pool_max_connections", "Database pool's size limit", labels=["service"])
        cap.add_metric([self.service], most)
        yield cap


class ConsumerGauges:
    """Partitions held (at scrape time) and records behind (the partition's end minus the next
    record to apply, refreshed every `interval_s`), both from the consumers' own state, without a
    request to the broker: a rebalance or an outage shows here, not as a failed readiness probe."""

    def __init__(self, service: str, registry: CollectorRegistry, interval_s: float = 5.0):
        self.service, self.interval_s = service, interval_s
        self.subscribers: list[Any] = []  # FastStream subscribers; their aiokafka consumer exists once started
        self.lag = Gauge(
            "kafka_consumer_lag",
            "Records on the partition not yet applied by this instance",
            ["service", "topic", "partition"],
            registry=registry,
        )
        self.assigned = Gauge(
            "kafka_consumer_assigned_partitions",
            "Partitions assigned to this instance's consumers",
            ["service"],
            registry=registry,
        )
        # Read at scrape time (no network: the consumer's own view), so a rebalance shows at once.
        self.assigned.labels(service).set_function(self._assigned)
        self._shown: set[tuple[str, str]] = set()

    async def refresh(self) -> None:
        shown: set[tuple[str, str]] = set()
        for subscriber in self.subscribers:
            consumer = getattr(subscriber, "consumer", None)
            if consumer is None:
                continue
            for tp in consumer.assignment():
                end = consumer.highwater(tp)
                if end is None:  # nothing fetched yet from this partition
                    continue
                try:
                    position = await asyncio.wait_for(consumer.position(tp), 1)
                except Exception:
                    continue
                key = (tp.topic, str(tp.partition))
                self.lag.labels(self.service, *key).set(max(0, end - position))
                shown.add(key)
        for key in self._shown - shown:  # revoked: this instance no longer answers for it
            self.lag.remove(self.service, *key)
        self._shown = shown

    def _assigned(self) -> float:
        return sum(len(s.consumer.assignment()) for s in self.subscribers if getattr(s, "consumer", None))

    async def run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("consumer gauges failed; going on")
            await asyncio.sleep(self.interval_s)
