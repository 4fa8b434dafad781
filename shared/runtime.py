"""The process of one service: settings, clock, calendar, pool, migrations, outbox relay, Kafka
consumers, background jobs and the HTTP app, started in order and stopped within bounds.

Each service's `create_app()` (services/<name>/entrypoints/main.py) builds its runtime (a subclass
that declares what else the service holds), wires its consumers, jobs and routes onto it, and
asks it for the app. Building starts nothing: the pool, the relay, the consumers and the jobs
start in the app's lifespan.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from fastapi import APIRouter, FastAPI
from faststream.specification import AsyncAPI
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector

from shared import auth
from shared.auth import signouts
from shared.auth.routes import router as session_router
from shared.calendar import WorkingCalendar, default_calendar
from shared.clock import Clock, clock_with_offset
from shared.consumer import BatchProcessor, Item, subscribe_batches
from shared.db import create_pool, migrate
from shared.docs import install_offline_docs
from shared.events import DEAD_LETTER_TOPIC
from shared.http import HealthCheck, database_check, install_error_handlers, install_probes_and_metrics
from shared.http_limits import BodySizeLimit
from shared.http_telemetry import TELEMETRY, HttpTelemetry
from shared.kafka import bounded, make_broker
from shared.ops_access import OpsNetworksOnly, parse_networks
from shared.ops_metrics import ConsumerGauges, PoolCollector
from shared.outbox import OutboxGauges, OutboxRelay
from shared.retention import purge_sent_outbox
from shared.security_headers import SecurityHeaders
from shared.settings import ServiceSettings
from shared.web import mount_assets

log = logging.getLogger(__name__)
SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
# SIGTERM to exit, worst case, with Kafka gone: uvicorn lets open requests finish for
# HTTP_DRAIN_S (shared/serve.py), then stop() takes at most STOP_BUDGET_S, then the tracing SDK
# exports its last spans (shared/tracing.py, EXPORT_TIMEOUT_S). Together they stay under 25 s,
# inside Kubernetes' default 30 s grace (docs/observability.md has the measured figures).
HTTP_DRAIN_S = 5.0
STOP_BUDGET_S = 15.0
BackgroundJob = Callable[[], Coroutine[Any, Any, None]]


def tune_gc() -> None:
    """Call once start-up is done. What start-up built (modules, schemas, the app) lives as long
    as the process: frozen, the collector's full passes no longer walk it. A batch of thousands
    of events allocates millions of objects that reference counting frees; with the default
    threshold (700) the collector ran thousands of times a batch. Measured: a rebuild of 250k
    events went from 19.2 s to 12.3 s."""
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)


class Runtime:
    """What every service process holds. A service's subclass adds its own state as attributes
    set in its `__init__`, so each is declared in one place with its type."""

    def __init__(self, settings: ServiceSettings, migrations: Path, *, with_outbox: bool):
        self.settings = settings
        self.migrations = migrations
        self.with_outbox = with_outbox
        self.clock: Clock = clock_with_offset(settings.clock_offset_seconds)
        self.calendar: WorkingCalendar = default_calendar(settings.office_hours)
        self.registry = CollectorRegistry()
        self.broker = make_broker(settings.kafka_bootstrap, settings.service, self.registry, settings)
        self.pool: asyncpg.Pool | None = None
        self.relay: OutboxRelay | None = None
        self.ready_checks: dict[str, HealthCheck] = {}  # besides the database's
        self.consumer_gauges = ConsumerGauges(settings.service, self.registry)
        self.registry.register(PoolCollector(settings.service, lambda: self.pool))
        # The process's memory, CPU, open files, Python's garbage collector (the default registry's, here).
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.body_limits: dict[str, int] = {}  # path prefix -> bytes, instead of HTTP_MAX_BODY_BYTES
        self.jobs: list[BackgroundJob] = []
        self.on_started: list[BackgroundJob] = []
        # Schema work after the migrations, on the owner's connections (the service's role may not).
        self.on_migrated: list[Callable[[asyncpg.Pool], Awaitable[object]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._follow_sign_outs()

    def _follow_sign_outs(self) -> None:
        """Staff sign in at every service, so a sign-out anywhere must end the session here too."""
        self.consume(
            signouts.SESSIONS_TOPIC,
            signouts.SESSIONS_GROUPS[self.settings.service],
            signouts.parse_session_ended,
            lambda items: signouts.record(self.db, items),
            max_records=500,
            description="Records the sessions signed out at any service, so their cookies are refused here too",
        )
        if self.with_outbox:
            self.document_publication(
                signouts.SESSIONS_TOPIC, signouts.SessionEnded, "Sessions signed out here (via the outbox)"
            )
        # Every service consumes (sign-outs at least), and every consumer dead-letters what it cannot apply.
        self.document_publication(
            DEAD_LETTER_TOPIC, bytes, "Messages that can never be applied, with the reason and origin in headers"
        )

    @property
    def db(self) -> asyncpg.Pool:
        assert self.pool is not None, "database pool used before start-up"
        return self.pool

    def consume(
        self,
        topic: str,
        group_id: str,
        decode: Callable[[bytes], T],
        apply: Callable[[list[Item[T]]], Awaitable[list[tuple[Item[T], str]]]],
        *,
        max_records: int,
        description: str,
    ) -> None:
        """A batch consumer of `topic` in `group_id`: decoded by `decode`, applied by `apply` in one
        transaction per batch, poison to the dead-letter topic, offsets committed after the
        transaction; its partitions and lag in the metrics (not in readiness: a rebalance or a
        Kafka outage is no reason to take the instance out of service or restart it)."""
        processor = BatchProcessor(self.settings.service, self.broker, self.registry, decode, apply)
        subscriber = subscribe_batches(
            self.broker,
            topic,
            group_id,
            processor,
            max_records=max_records,
            description=description,
        )
        self.consumer_gauges.subscribers.append(subscriber)

    async def purge_sent_outbox(self) -> int:
        """One batch of the outbox rows sent longer ago than OUTBOX_KEEP_SENT_S; how many went."""
        return await purge_sent_outbox(self.db, self.clock() - timedelta(seconds=self.settings.outbox_keep_sent_s))

    def track(self, task: asyncio.Task[Any]) -> None:
        """A task started after start-up (by a request, say) that stopping must cancel like the jobs."""
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(task)

    def document_publication(self, topic: str, schema: Any, description: str) -> None:
        """Declare what this service writes to `topic` (through its outbox) for the AsyncAPI document."""
        self.broker.publisher(topic, title=f"{self.settings.service}:{topic}", description=description, schema=schema)

    def asyncapi(self, description: str) -> str:
        spec = AsyncAPI(self.broker, title=f"{self.settings.service} events", version="1.0", description=description)
        return spec.to_specification().to_json()

    async def start(self) -> None:
        self.pool = await create_pool(self.settings.database_url, max_size=10)
        await self._migrate()
        for hook in self.on_started:
            await hook()
        if self.with_outbox:
            self.relay = OutboxRelay(
                self.pool,
                self.settings.database_url,
                self.settings.kafka_bootstrap,
                self.settings.service,
                self.registry,
                kafka=self.settings,
            )
            self.relay.start()
        await self.broker.start()
        jobs = [*self.jobs, self.consumer_gauges.run]
        if self.with_outbox:
            jobs.append(OutboxGauges(self.pool, self.settings.service, self.registry).run)
        self._tasks = [asyncio.create_task(job(), name=getattr(job, "__name__", "job")) for job in jobs]
        tune_gc()
        log.info("%s started", self.settings.service)

    async def _migrate(self) -> None:
        """As the tables' owner (MIGRATION_DATABASE_URL) when it is not the service's own role."""
        owner_url = self.settings.owner_database_url
        owner = self.db if owner_url == self.settings.database_url else await create_pool(owner_url, max_size=1)
        try:
            # Every service keeps the staff accounts, so any of them can sign staff in.
            for directory in (auth.MIGRATIONS, *([SHARED_MIGRATIONS] if self.with_outbox else []), self.migrations):
                await migrate(owner, directory)
            for step in self.on_migrated:
                await step(owner)
        finally:
            if owner is not self.pool:
                await owner.close()

    async def stop(self) -> None:
        """Each step bounded, the whole within STOP_BUDGET_S even with Kafka or the database gone:
        what a step leaves undone is safe to drop (offsets are committed only after a batch's
        transaction, outbox rows stay unsent until Kafka acknowledged them)."""
        deadline = time.monotonic() + STOP_BUDGET_S

        def left(most: float) -> float:
            return max(0.1, min(most, deadline - time.monotonic()))

        for task in self._tasks:
            task.cancel()
        await bounded(asyncio.gather(*self._tasks, return_exceptions=True), left(2), "background jobs stop")
        # The broker drains in-flight handlers (its graceful_timeout) before its consumers leave.
        await bounded(self.broker.stop(), left(9), "broker stop")
        if self.relay:
            await bounded(self.relay.stop(), left(3), "outbox relay stop")
        if self.pool:
            pool = self.pool
            if not await bounded(pool.close(), left(2), "pool close"):
                pool.terminate()  # connections still busy: cut them rather than overrun the grace period
        log.info("%s stopped", self.settings.service)

    def create_app(self, title: str, description: str, routers: Iterable[APIRouter], static: Path) -> FastAPI:
        """The HTTP app: errors in both languages, the body cap, request telemetry, the probes,
        /metrics, sign-in, the service's routers, its pages' static files and the offline API
        documentation."""

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            try:
                yield
            finally:
                await self.stop()

        app = FastAPI(
            title=title,
            description=description,
            version="1.0",
            lifespan=lifespan,
            docs_url=None,
            redoc_url=None,
            telemetry=TELEMETRY,
        )
        install_error_handlers(app)
        app.add_middleware(BodySizeLimit, limit=self.settings.http_max_body_bytes, per_path=self.body_limits)
        if self.settings.ops_allowed_networks:
            app.add_middleware(OpsNetworksOnly, networks=parse_networks(self.settings.ops_allowed_networks))
        app.add_middleware(SecurityHeaders)
        # Added last, so outermost: it counts and times the refusals of the middlewares above too.
        app.add_middleware(HttpTelemetry, service=self.settings.service, registry=self.registry)
        install_probes_and_metrics(app, self.registry, {"database": self._db_check, **self.ready_checks})
        app.state.runtime = self
        app.state.auth = auth.Authenticator(
            lambda: self.db,
            self.settings.session_secret.get_secret_value() if self.settings.session_secret else None,
            cookie_secure=self.settings.session_cookie_secure,
            limits=auth.throttle.Limits(
                self.settings.sign_in_account_failures,
                self.settings.sign_in_account_lock_s,
                self.settings.sign_in_address_failures,
                self.settings.sign_in_address_window_s,
            ),
            trusted_origins=frozenset(self.settings.trusted_origins),
            service_token=self.settings.service_credential,
            service=self.settings.service if self.with_outbox else None,
        )
        app.include_router(session_router)
        for router in routers:
            app.include_router(router)
        install_offline_docs(app)
        mount_assets(app, static)
        return app

    async def _db_check(self) -> tuple[bool, str]:
        if self.pool is None:
            return False, "not started"
        return await database_check(self.pool)()
