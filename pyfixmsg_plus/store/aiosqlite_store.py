"""The aiosqlite backend (``message_store_type = aiosqlite``): SQLite on aiosqlite's worker thread, so the
event loop never waits on the disk. Each write is one function on that thread (one hop); the store's lock is held
only while it is put there, and inbound batches can be queued straight from a receive callback, several in flight
(:meth:`~pyfixmsg_plus.store.sql_base.SQLStoreBase.queue_inbound`), so the thread commits while the loop
receives."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite

from pyfixmsg_plus.store.errors import StoreClosedError, StoreError
from pyfixmsg_plus.store.sql_base import SQLStoreBase, Step, execute_steps, is_lone_statement


class WriteChain:
    """Writes queued on the store's thread one behind another: the first failure is kept, and every later write
    of the chain is refused instead of applied."""

    __slots__ = ("failure",)

    def __init__(self) -> None:
        self.failure: BaseException | None = None


class ThreadWrite(asyncio.Future[None]):
    """The future of a write put on aiosqlite's thread, which also says, without an event-loop turn, whether the
    thread has finished the write: ``ended_on_thread`` is set there as soon as the job returns or raises, while
    the future itself is only settled when the loop runs aiosqlite's ``call_soon_threadsafe`` callback. During
    an inbound blast the loop may not turn for 100-200 ms (uvloop reads up to 32 chunks of a busy socket in one
    iteration, each delivered in the same iteration), so a writer that waited for the futures to settle would
    idle meanwhile (see :class:`~pyfixmsg_plus.store.pipelined.PipelinedFlusher`)."""

    ended_on_thread = False
    failed_on_thread = False


def run_and_mark(job: Callable[[], None], future: ThreadWrite) -> None:
    """Run ``job`` on the writer thread, then mark ``future`` as ended there, and as failed when it raised."""
    try:
        job()
    except BaseException:
        future.failed_on_thread = True
        raise
    finally:
        future.ended_on_thread = True


class AioSQLiteStore(SQLStoreBase):
    """A message store in one SQLite file, driven through aiosqlite."""

    _connection: aiosqlite.Connection | None = None
    queues_writes = True
    _chain: WriteChain | None = None
    #: futures of the chain's writes (the ended ones are dropped at the next queueing)
    _chain_futures: tuple[asyncio.Future[None], ...] = ()

    async def _connect(self) -> None:
        # isolation_level=None: transactions are the explicit BEGIN IMMEDIATE / COMMIT of SQLStoreBase
        self._connection = await aiosqlite.connect(self.path, isolation_level=None, timeout=self.busy_timeout)

    async def _disconnect(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    def _conn(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("the store is not open")
        return self._connection

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._conn().execute_fetchall(sql, params)]

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        cursor = await self._conn().execute(sql, params)
        try:
            return cursor.rowcount
        finally:
            await cursor.close()

    async def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        cursor = await self._conn().executemany(sql, rows)
        await cursor.close()

    async def _run_steps(self, steps: Sequence[Step]) -> None:
        """The whole transaction in one call on aiosqlite's thread: one hop instead of two per statement (a
        hop costs a queue put, a thread wake-up and a loop wake-up)."""
        connection = self._conn()
        execute = getattr(connection, "_execute", None)  # aiosqlite's own way to run a function on its thread
        if execute is None:
            await super()._run_steps(steps)
            return
        await execute(run_steps_in_thread, connection._conn, steps)

    def _put(self, job: Callable[[], None]) -> asyncio.Future[None] | None:
        """Put ``job`` on aiosqlite's thread now (what aiosqlite's ``_execute`` does, minus the await) and return
        its future (a :class:`ThreadWrite`, marked by the thread when the job has ended); None when the
        connection is closed or aiosqlite no longer has the queue this relies on."""
        connection = self._connection
        tx = getattr(connection, "_tx", None)
        if connection is None or tx is None or not getattr(connection, "_running", False):
            return None
        future = ThreadWrite(loop=asyncio.get_running_loop())
        tx.put_nowait((future, functools.partial(run_and_mark, job, future)))
        return future

    async def _write(self, operation: str, steps: Sequence[Step]) -> None:
        """As :meth:`SQLStoreBase._write`, holding the lock only while the transaction is put on aiosqlite's
        thread, not until it commits: writes run there in the order put, and the lock still keeps them out of a
        transaction another caller runs statement by statement. So a write whose end the busy event loop has
        not yet seen does not stop the inbound writer from queueing its next batch."""
        if not self._open:
            raise StoreClosedError(f"message store {self.path}: {operation} after close()")
        async with self._lock:
            connection = self._connection
            job = None if connection is None else functools.partial(run_steps_in_thread, connection._conn, steps)
            future = None if job is None else self._put(job)
        if future is None:
            await super()._write(operation, steps)
            return
        with self._translate(operation):
            await future

    def _can_queue(self) -> bool:
        return self._open and not self._lock.locked() and hasattr(self._connection, "_tx")

    def _queue_steps(self, operation: str, steps: Sequence[Step]) -> asyncio.Future[None] | None:
        """Put the transaction on aiosqlite's thread now, without waiting, chained behind the writes queued
        before it that are still in flight (see :meth:`SQLStoreBase.queue_inbound`); None when that cannot be
        done at once."""
        if not self._can_queue() or self._connection is None:
            return None
        self._chain_futures = tuple(future for future in self._chain_futures if not future.done())
        if self._chain is None or not self._chain_futures:
            self._chain = WriteChain()  # nothing in flight: a new chain, whatever became of the last one
        job = functools.partial(run_chained_in_thread, self._connection._conn, steps, self._chain, self, operation)
        future = self._put(job)
        if future is not None:
            self._chain_futures += (future,)
        return future


def run_chained_in_thread(
    connection: sqlite3.Connection, steps: Sequence[Step], chain: WriteChain, store: SQLStoreBase, operation: str
) -> None:
    """:func:`run_steps_in_thread`, unless an earlier write of ``chain`` failed: then nothing is applied and the
    error says so. A failure here refuses the chain's later writes. Errors are the store's (naming the file)."""
    if chain.failure is not None:
        raise StoreError(
            f"message store {store.path}: {operation}: not applied, a write queued before it failed: {chain.failure}"
        )
    try:
        run_steps_in_thread(connection, steps)
    except BaseException as exc:
        chain.failure = exc
        if isinstance(exc, sqlite3.Error):
            raise store._store_error(operation, exc) from exc
        raise


def run_steps_in_thread(connection: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """BEGIN IMMEDIATE, ``steps``, COMMIT on ``connection`` (ROLLBACK on any failure), in the calling thread; a
    lone statement runs as its own transaction."""
    if is_lone_statement(steps):
        connection.execute(steps[0][0], steps[0][1])
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        execute_steps(connection, steps)
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
