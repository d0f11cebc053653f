"""The raw batched SQLite ceiling: how fast plain ``sqlite3`` stores rows on this machine, to judge our stores by.

Rows go into a fresh file with the schema of our SQLite stores (:mod:`pyfixmsg_plus.store.schema`: the
``messages`` table keyed by ``(stream << 32) | MsgSeqNum``), in WAL mode with the store's ``synchronous``
level, ``batch`` rows per transaction, written by ``executemany``, by INSERT statements of
:data:`~pyfixmsg_plus.store.schema.ROWS_PER_INSERT` rows each, or by one INSERT per transaction that binds each run
of consecutive rows as one blob of frames and one index for SQLite to split (``temp.inbound_runs``, what our SQL
stores do with received runs). The rows, and the statements' parameters, are built before the clock starts, so
the figure is SQLite's own insert rate, with no FIX work at all. :func:`measure_best_ceiling` times every way and
keeps the fastest: the most any store of ours could reach.

Used by ``benchmarks/bench_store.py`` and by the inbound blast of ``pyfixmsg-plus bench``, which also reads the
frames our store kept back from its file (:func:`stored_rows`, :func:`count_stored`).
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pyfixmsg_plus import _impl
from pyfixmsg_plus.store.batching import BatchSettings
from pyfixmsg_plus.store.schema import CREATE_RUN_HELPERS, CREATE_SCHEMA, INSERT_OUTBOUND, RUN_ROWS_MAX
from pyfixmsg_plus.store.sql_base import (
    SYNCHRONOUS_LEVELS,
    Step,
    execute_steps,
    insert_run_steps,
    insert_steps,
    is_lone_statement,
)

#: rows per transaction of the ceiling: what our engine's writers put in one transaction at most
CEILING_BATCH = BatchSettings().max_batch
#: what our stores use unless configured otherwise (survives kill -9)
DEFAULT_SYNCHRONOUS = "NORMAL"
#: stream of the first session's inbound direction (session id 1 * 2 + Direction.INBOUND)
FIRST_INBOUND_STREAM = 3

#: one row of the messages table: key, MsgType(35), sending time (epoch seconds), the frame
MessageRow = tuple[int, str, float, bytes]

#: how the ceiling writes a transaction's rows: one executemany, multi-row INSERT statements, or run blobs split by
#: SQLite (one statement per transaction; what our stores do with received runs)
EXECUTEMANY, MULTI_ROW, RUN_BLOBS = "executemany", "multi-row INSERT", "run blobs"
CEILING_METHODS = (EXECUTEMANY, MULTI_ROW, RUN_BLOBS)


@dataclass(frozen=True)
class CeilingResult:
    """``rows`` inserted in ``seconds`` (first BEGIN to last COMMIT), ``batch`` rows per transaction, at
    SQLite's ``synchronous`` level, written by ``method`` (one of :data:`CEILING_METHODS`)."""

    rows: int
    seconds: float
    batch: int
    synchronous: str
    method: str = EXECUTEMANY

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def message_key(stream: int, seqnum: int) -> int:
    """The ``messages`` primary key of MsgSeqNum(34) ``seqnum`` in ``stream`` (as our stores number rows)."""
    return (stream << 32) | seqnum


def synthetic_rows(count: int, row_bytes: int, stream: int = FIRST_INBOUND_STREAM) -> list[MessageRow]:
    """``count`` rows of ``row_bytes`` zero bytes each, MsgSeqNum 1..count, MsgType "D"."""
    payload = bytes(row_bytes)
    now = time.time()
    return [(message_key(stream, seqnum), "D", now, payload) for seqnum in range(1, count + 1)]


def frame_rows(
    frames: Sequence[bytes], msg_type: str, first_seqnum: int = 1, stream: int = FIRST_INBOUND_STREAM
) -> list[MessageRow]:
    """``frames`` as rows numbered from ``first_seqnum``, all of ``msg_type``, dated now."""
    now = time.time()
    return [(message_key(stream, first_seqnum + i), msg_type, now, frame) for i, frame in enumerate(frames)]


def _check_synchronous(synchronous: str) -> str:
    level = synchronous.upper()
    if level not in SYNCHRONOUS_LEVELS:
        raise ValueError(f"synchronous = {synchronous!r} is not one of {', '.join(SYNCHRONOUS_LEVELS)}")
    return level


def create_store_file(path: Path, synchronous: str = DEFAULT_SYNCHRONOUS) -> sqlite3.Connection:
    """A new SQLite file at ``path`` with our stores' schema, WAL and ``synchronous``, in autocommit mode
    (transactions are explicit). A file already there is a ValueError naming it."""
    level = _check_synchronous(synchronous)
    if path.exists():
        raise ValueError(f"ceiling database {path}: already exists (the ceiling needs an empty file)")
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {level}")
    for statement in (*CREATE_SCHEMA, *CREATE_RUN_HELPERS):
        connection.execute(statement)
    return connection


def _transactions(rows: Sequence[MessageRow], batch: int, method: str) -> list[list[Step]]:
    """The statements of each transaction of ``batch`` rows, parameters ready (built before the clock starts)."""
    if method not in CEILING_METHODS:
        raise ValueError(f"ceiling method = {method!r} is not one of {', '.join(CEILING_METHODS)}")
    chunks = [rows[first : first + batch] for first in range(0, len(rows), batch)]
    if method == EXECUTEMANY:
        return [[(INSERT_OUTBOUND, chunk, True)] for chunk in chunks]
    if method == RUN_BLOBS:
        return [insert_run_steps(run_blobs(chunk)) for chunk in chunks]
    return [insert_steps(INSERT_OUTBOUND, chunk) for chunk in chunks]


def run_blobs(rows: Sequence[MessageRow]) -> list[tuple[int, int, bytes, bytes, int, float]]:
    """``rows`` as runs for ``temp.inbound_runs`` (first key, count, frames, index, stride, sending time): each
    run is rows of consecutive keys and one sending time, at most RUN_ROWS_MAX of them."""
    pack = _impl.load("storepack")
    runs: list[tuple[int, int, bytes, bytes, int, float]] = []
    start = 0
    while start < len(rows):
        end = _run_end(rows, start)
        run = rows[start:end]
        lengths = [len(row[3]) for row in run]
        offsets = list(itertools.accumulate(lengths, initial=0))[:-1]
        stream, seqnum = run[0][0] >> 32, run[0][0] & 0xFFFFFFFF
        (first_key, count, frames, index, stride), _ = pack.pack_run_blob(
            stream, b"".join(row[3] for row in run), offsets, lengths, seqnum, [row[1] for row in run], run[0][2]
        )
        runs.append((first_key, count, frames, index, stride, run[0][2]))
        start = end
    return runs


def _run_end(rows: Sequence[MessageRow], start: int) -> int:
    """The end of the run of ``rows`` from ``start``: consecutive keys, one sending time, RUN_ROWS_MAX at most."""
    end = start + 1
    while (
        end < len(rows) and end - start < RUN_ROWS_MAX
        and rows[end][0] == rows[end - 1][0] + 1 and rows[end][2] == rows[start][2]
    ):  # fmt: skip
        end += 1
    return end


def _run_transactions(connection: sqlite3.Connection, transactions: Sequence[Sequence[Step]]) -> None:
    for steps in transactions:
        if is_lone_statement(steps):
            # one statement is a transaction of its own (as in our stores): no BEGIN / COMMIT
            connection.execute(steps[0][0], steps[0][1])
            continue
        connection.execute("BEGIN")
        execute_steps(connection, steps)
        connection.execute("COMMIT")


def insert_in_batches(
    connection: sqlite3.Connection, rows: Sequence[MessageRow], batch: int, method: str = EXECUTEMANY
) -> None:
    """``rows`` into ``messages``, ``batch`` per transaction, written by ``method``."""
    _run_transactions(connection, _transactions(rows, batch, method))


def measure_ceiling(
    path: Path, rows: Sequence[MessageRow], batch: int = CEILING_BATCH, synchronous: str = DEFAULT_SYNCHRONOUS,
    method: str = EXECUTEMANY,
) -> CeilingResult:  # fmt: skip
    """Time inserting ``rows`` into a new file at ``path`` by ``method`` (see the module's docstring)."""
    if batch < 1:
        raise ValueError(f"ceiling batch = {batch} rows must be at least 1")
    transactions = _transactions(rows, batch, method)
    connection = create_store_file(path, synchronous)
    try:
        start = time.perf_counter()
        _run_transactions(connection, transactions)
        seconds = time.perf_counter() - start
    finally:
        connection.close()
    return CeilingResult(len(rows), seconds, batch, _check_synchronous(synchronous), method)


def measure_best_ceiling(
    directory: Path, rows: Sequence[MessageRow], batch: int = CEILING_BATCH, synchronous: str = DEFAULT_SYNCHRONOUS
) -> CeilingResult:
    """The fastest of every method in :data:`CEILING_METHODS`, each timed into its own new file in ``directory``
    (``ceiling-<n>.db``; the directory must not hold them already)."""
    results = [
        measure_ceiling(directory / f"ceiling-{number}.db", rows, batch, synchronous, method)
        for number, method in enumerate(CEILING_METHODS)
    ]
    return max(results, key=lambda result: result.rows_per_second)


def _existing(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise FileNotFoundError(f"message store {path}: no such file")
    # a plain connection (not mode=ro): a read-only one cannot open a WAL file whose -shm is gone
    return sqlite3.connect(path)


def count_stored(path: Path, msg_type: str) -> int:
    """Rows of MsgType(35) ``msg_type`` committed in the store file ``path`` (read by a separate connection, so
    only what a transaction of the store committed counts)."""
    connection = _existing(path)
    try:
        (count,) = connection.execute("SELECT count(*) FROM messages WHERE msg_type = ?", (msg_type,)).fetchone()
    finally:
        connection.close()
    return int(count)


def stored_rows(path: Path, msg_type: str) -> list[MessageRow]:
    """Every committed row of MsgType(35) ``msg_type`` in the store file ``path``, in key order."""
    connection = _existing(path)
    try:
        rows = connection.execute(
            "SELECT key, msg_type, sending_time, data FROM messages WHERE msg_type = ? ORDER BY key", (msg_type,)
        ).fetchall()
    finally:
        connection.close()
    return [(int(key), str(kind), float(when), bytes(data)) for key, kind, when, data in rows]


__all__ = [
    "CEILING_BATCH",
    "CEILING_METHODS",
    "DEFAULT_SYNCHRONOUS",
    "EXECUTEMANY",
    "MULTI_ROW",
    "RUN_BLOBS",
    "CeilingResult",
    "MessageRow",
    "count_stored",
    "create_store_file",
    "frame_rows",
    "measure_best_ceiling",
    "measure_ceiling",
    "message_key",
    "stored_rows",
    "synthetic_rows",
]
