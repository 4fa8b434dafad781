"""The unit of work: one use case's connection, the service's repository and the outbox on it,
and the transaction that makes the use case atomic.

    async with units() as uow, uow.transaction():
        dossier = await uow.repo.lock_dossier(code)
        ...
        await uow.outbox.append(LIFECYCLE_TOPIC, code, event)

Use cases take `units` (a factory) instead of a pool, so the same use case runs on PostgreSQL
(`PgUnitOfWork`) or in memory (the tests' fakes) without knowing which.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
from pydantic import BaseModel

from shared import outbox

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Outbox(Protocol):
    async def append(self, topic: str, key: str, message: BaseModel) -> None: ...

    async def append_many(self, rows: list[tuple[str, str, BaseModel]]) -> None: ...


class UnitOfWork(Protocol[R_co]):
    @property
    def repo(self) -> R_co: ...

    @property
    def outbox(self) -> Outbox: ...

    def transaction(self) -> AbstractAsyncContextManager[Any]: ...

    async def __aenter__(self) -> UnitOfWork[R_co]: ...

    async def __aexit__(self, *exc: object) -> None: ...


Units = Callable[[], UnitOfWork[R]]


Prepare = Callable[[BaseModel], BaseModel]


def _as_is(message: BaseModel) -> BaseModel:
    return message


class PgOutbox:
    """`prepare` turns each message into what leaves (intake and resolution seal staff's words)."""

    def __init__(self, conn: asyncpg.Connection, prepare: Prepare = _as_is):
        self._conn, self._prepare = conn, prepare

    async def append(self, topic: str, key: str, message: BaseModel) -> None:
        await outbox.append(self._conn, topic, key, self._prepare(message))

    async def append_many(self, rows: list[tuple[str, str, BaseModel]]) -> None:
        await outbox.append_many(self._conn, [(topic, key, self._prepare(m)) for topic, key, m in rows])


class PgUnitOfWork(Generic[R]):
    """A connection from the pool for the use case's length; its transaction is `transaction()`,
    so a use case may also read outside one."""

    repo: R
    outbox: PgOutbox

    def __init__(self, pool: asyncpg.Pool, repository: Callable[[asyncpg.Connection], R], prepare: Prepare = _as_is):
        self._pool, self._repository, self._prepare = pool, repository, prepare
        self._conn: asyncpg.Connection | None = None

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        assert self._conn is not None, "unit of work used outside `async with`"
        return self._conn.transaction()

    async def __aenter__(self) -> PgUnitOfWork[R]:
        self._conn = await self._pool.acquire()
        self.repo, self.outbox = self._repository(self._conn), PgOutbox(self._conn, self._prepare)
        return self

    async def __aexit__(self, *exc: object) -> None:
        conn, self._conn = self._conn, None
        await self._pool.release(conn)


def pg_units(
    pool_of: Callable[[], asyncpg.Pool], repository: Callable[[asyncpg.Connection], R], prepare: Prepare = _as_is
) -> Units[R]:
    """The factory a service hands its use cases: `pool_of()` is read at each use (the pool exists
    only once the service has started); `prepare` is applied to each message it queues."""
    return lambda: PgUnitOfWork(pool_of(), repository, prepare)
