"""The aiosqlite backend (``message_store_type = aiosqlite``): SQLite on aiosqlite's worker thread, so the
event
loop never waits on the disk and the next batch is packed while the previous one commits."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from pyfixmsg_plus.store.sql_base import SQLStoreBase


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
