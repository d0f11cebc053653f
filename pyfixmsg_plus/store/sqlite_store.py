"""The sqlite3 backend (``message_store_type = database``).

Statements run directly on the event loop's thread: each is short (a batch insert of a few hundred rows takes
about a millisecond), and running them inline avoids a thread hop per statement. Use the aiosqlite backend
when the loop must never wait on the disk.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from pyfixmsg_plus.store.sql_base import SQLStoreBase


class SQLiteStore(SQLStoreBase):
    """A message store in one SQLite file, driven through the standard library's sqlite3 module."""

    _connection: sqlite3.Connection | None = None

    async def _connect(self) -> None:
        # isolation_level=None: transactions are the explicit BEGIN IMMEDIATE / COMMIT of SQLStoreBase
        self._connection = sqlite3.connect(self.path, isolation_level=None, timeout=self.busy_timeout)

    async def _disconnect(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()

    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            raise sqlite3.ProgrammingError("the store is not open")
        return self._connection

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._conn().execute(sql, params).fetchall()

    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._conn().execute(sql, params).rowcount

    async def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn().executemany(sql, rows)
