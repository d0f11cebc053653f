"""A corrupted, locked or foreign database file gives a clear error naming the file."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.store import (
    MessageStoreFactory,
    SessionKey,
    StoreCorruptError,
    StoreLockedError,
    StoreOpenError,
)

SQL_BACKENDS = ["database", "aiosqlite"]


def open_store(backend: str, path: Path, **options: Any) -> None:
    async def body() -> None:
        store = MessageStoreFactory.get_message_store(backend, path, **options)
        await store.open()
        await store.sequence_state(SessionKey("FIX.4.4", "A", "B"))
        await store.close()

    asyncio.run(body())


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_corrupted_file_names_the_file(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"this is not an sqlite database" * 200)
    with pytest.raises(StoreCorruptError, match=f"{path}.*corrupted or not an SQLite database"):
        open_store(backend, path)


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_locked_file_names_the_file_and_timeout(backend: str, tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    open_store(backend, path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreLockedError, match=f"{path}.*locked.*busy_timeout = 0.1 s"):
            open_store(backend, path, busy_timeout=0.1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("backend", SQL_BACKENDS)
def test_newer_schema_and_foreign_file_are_refused(backend: str, tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    open_store(backend, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreOpenError, match=f"{newer}: .*schema version 99 is newer"):
        open_store(backend, newer)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as connection:
        connection.execute("CREATE TABLE orders(id INTEGER)")
    with pytest.raises(StoreOpenError, match=f"{foreign}: .*other tables \\(orders\\)"):
        open_store(backend, foreign)


def test_missing_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "deeper" / "state.db"
    open_store("database", path)
    assert path.parent.is_dir()
    assert path.exists()


def test_directory_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreOpenError, match=r"cannot create directory .*a_file"):
        open_store("database", blocker / "state.db")


def test_bad_synchronous_setting_names_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="synchronous = 'SOMETIMES'"):
        open_store("database", tmp_path / "x.db", synchronous="SOMETIMES")


def test_failed_open_leaves_no_connection_behind(tmp_path: Path) -> None:
    """A failed open must close its connection: a leaked aiosqlite thread keeps the process from exiting."""
    path = tmp_path / "state.db"
    path.write_bytes(b"garbage" * 1000)

    async def body() -> None:
        store = MessageStoreFactory.get_message_store("aiosqlite", path)
        with pytest.raises(StoreCorruptError):
            await store.open()
        assert store._connection is None  # type: ignore[attr-defined]

    asyncio.run(body())
