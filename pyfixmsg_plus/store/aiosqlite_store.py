"""The aiosqlite backend (``message_store_type = aiosqlite``): SQLite on aiosqlite's worker thread, so the
event
loop never waits on the disk and the next batch is packed while the previous one commits."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from pyfixmsg_plus.store.sql_base import SQLStoreBase, Step, execute_steps


class AioSQLiteStore(SQLStoreBase):
    """A message store in one SQLite file, driven through aiosqlite."""

    _connection: aiosqlite.Connection | None = None

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


def run_steps_in_thread(connection: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """BEGIN IMMEDIATE, ``steps``, COMMIT on ``connection`` (ROLLBACK on any failure), in the calling thread."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        execute_steps(connection, steps)
        connection.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise
