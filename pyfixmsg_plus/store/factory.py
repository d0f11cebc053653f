"""Choosing a store from configuration: ``message_store_type`` = database | aiosqlite | memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pyfixmsg_plus.store.aiosqlite_store import AioSQLiteStore
from pyfixmsg_plus.store.contract import MessageStore, SessionKey
from pyfixmsg_plus.store.memory import MemoryStore
from pyfixmsg_plus.store.sqlite_store import SQLiteStore

#: ``message_store_type`` values (the original's names; ``sqlite3``/``sqlite`` are accepted for ``database``)
STORE_TYPES: dict[str, type[MessageStore]] = {
    "database": SQLiteStore,
    "sqlite": SQLiteStore,
    "sqlite3": SQLiteStore,
    "aiosqlite": AioSQLiteStore,
    "memory": MemoryStore,
}

DEFAULT_DB_PATH = "fix_state.db"


class MessageStoreFactory:
    """Builds stores by type name, as the original ``MessageStoreFactory.get_message_store`` did."""

    @staticmethod
    def get_message_store(
        store_type: str,
        db_path: str | Path | None = DEFAULT_DB_PATH,
        beginstring: str | None = None,
        sendercompid: str | None = None,
        targetcompid: str | None = None,
        **options: Any,
    ) -> MessageStore:
        """A new, not yet opened, store of ``store_type`` (``await store.open()`` before use).

        With ``beginstring``, ``sendercompid`` and ``targetcompid`` the store is bound to that session for the
        original single-session methods. ``options`` go to the SQLite backends (``busy_timeout``,
        ``synchronous``).
        """
        key = str(store_type).strip().lower()
        cls = STORE_TYPES.get(key)
        if cls is None:
            raise ValueError(f"message_store_type = {store_type!r} is not one of database, aiosqlite, memory")
        session = None
        if beginstring and sendercompid and targetcompid:
            session = SessionKey(beginstring, sendercompid, targetcompid)
        if cls is MemoryStore:
            return MemoryStore(default_session=session)
        if db_path is None:
            raise ValueError(f"message_store_type = {store_type!r} needs a database file (state_file)")
        return cls(db_path, default_session=session, **options)  # type: ignore[call-arg]


async def open_store(
    store_type: str, db_path: str | Path | None = DEFAULT_DB_PATH, **options: Any
) -> MessageStore:
    """A store of ``store_type``, opened."""
    store = MessageStoreFactory.get_message_store(store_type, db_path, **options)
    await store.open()
    return store
