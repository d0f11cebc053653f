"""What the sqlite3 and aiosqlite backends share: the contract written once over four SQL primitives.

Subclasses provide ``_connect``/``_disconnect`` and ``_fetch``/``_run``/``_run_many`` (one statement each);
this class adds transactions, the session-id cache, error translation (every error names the file) and every
contract method. Each write is one ``BEGIN IMMEDIATE`` transaction; WAL mode makes a committed transaction
survive the process being killed (``synchronous = NORMAL``) or the machine losing power (``synchronous =
FULL``).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.store import schema
from pyfixmsg_plus.store.contract import (
    MAX_SEQ_NUM,
    Direction,
    FrameRecord,
    MessageQuery,
    MessageStore,
    ReplayFrame,
    SequenceState,
    SessionKey,
    StoredMessage,
    check_next_sender,
    check_seq_num,
)
from pyfixmsg_plus.store.errors import (
    SequenceReuseError,
    StoreClosedError,
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreOpenError,
)
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks, as_list, merge_summaries

_pack = _impl.load("storepack")
#: one statement of a transaction: SQL, its parameters (rows when the third item is True: executemany)
Step = tuple[str, Any, bool]

SYNCHRONOUS_LEVELS = ("OFF", "NORMAL", "FULL", "EXTRA")


def insert_steps(insert: str, rows: Sequence[Sequence[Any]]) -> list[Step]:
    """Steps storing ``rows`` with ``insert``: full groups of :data:`schema.ROWS_PER_INSERT` rows as one
    multi-row statement each, the rest through ``executemany``.

    SQLite inserts a multi-row statement in one step, and the sqlite3 module releases the GIL once per step: a
    row per step makes the store's thread wait for the GIL once per row while the event loop thread is busy
    receiving, and takes about 1.4x the time even when it is not (SQLite 3.40, rows of ~300 bytes).
    """
    groups, rest = _pack.statement_params(rows, schema.ROWS_PER_INSERT)
    steps: list[Step] = []
    if groups:
        group_sql = schema.insert_rows_sql(insert, schema.ROWS_PER_INSERT)
        steps += [(group_sql, params, False) for params in groups]
    if rest:
        steps.append((insert, rest, True))
    return steps


def insert_run_steps(run_blobs: Sequence[Any], tail: Sequence[Any] | None = None) -> list[Step]:
    """Steps inserting runs packed by ``storepack.pack_run_blob`` into ``temp.inbound_runs``
    (:data:`schema.RUNS_PER_INSERT` runs per statement). ``tail``: the batch summary, session id and next
    expected inbound MsgSeqNum(34) (or None) the last run carries, so that its trigger stores them in the same
    statement; without it those columns are NULL."""
    steps: list[Step] = []
    count = len(run_blobs)
    for start in range(0, count, schema.RUNS_PER_INSERT):
        group = run_blobs[start : start + schema.RUNS_PER_INSERT]
        params: list[Any] = []
        for number, (first_key, frame_count, frames, index, stride, sending_time) in enumerate(group):
            params += (first_key, frame_count, frames, index, stride, sending_time)
            last = start + number == count - 1
            params += tail if last and tail is not None else _NO_TAIL
        steps.append((schema.insert_runs_sql(len(group)), params, False))
    return steps


#: the columns of ``temp.inbound_runs`` after a run's own, on every run but the one that ends a batch
_NO_TAIL = (None,) * 8


def inbound_steps(
    stream: int, records: Sequence[FrameRecord], session_id: int, next_target_seqnum: int | None
) -> list[Step]:
    """The statements storing a non-empty inbound batch with its block-range row and next expected MsgSeqNum(34).

    Runs of a read buffer (:class:`FrameRun`) go through ``temp.inbound_runs`` (SQLite cuts the frames out of
    one blob per run), other records as rows; parts keep their order, so a later copy of a MsgSeqNum replaces an
    earlier one as INSERT OR REPLACE does. A batch of runs alone is one statement: one step, one GIL hand-back.
    """
    parts = records.parts if isinstance(records, RecordChunks) else [records]
    steps: list[Step] = []
    summaries: list[tuple[Any, ...]] = []
    pending: list[Any] = []  # runs not yet in a step: consecutive runs share statements
    for part in parts:
        if isinstance(part, FrameRun):
            for (first_key, count, frames, index, stride), summary in part.pack_blobs(
                _pack, stream, schema.RUN_ROWS_MAX
            ):
                pending.append((first_key, count, frames, index, stride, summary[2]))
                summaries.append(summary)
            continue
        steps += insert_run_steps(pending)
        pending = []
        rows, summary = _pack.pack_records(stream, as_list(part))
        steps += insert_steps(schema.INSERT_INBOUND, rows)
        summaries.append(summary)
    summary = merge_summaries(summaries)
    if pending and not steps:
        return insert_run_steps(pending, (stream, *summary, session_id, next_target_seqnum))
    steps += insert_run_steps(pending)
    steps.append((schema.INSERT_BATCH, (stream, *summary), False))
    if next_target_seqnum is not None:
        steps.append((schema.SET_TARGET, (next_target_seqnum, session_id), False))
    return steps


def is_lone_statement(steps: Sequence[Step]) -> bool:
    """Whether ``steps`` is one statement (not an executemany), which needs no BEGIN / COMMIT: in autocommit
    mode SQLite runs it as a transaction of its own, all or nothing, taking the write lock when it starts (as
    BEGIN IMMEDIATE does) and committing with the same durability. It saves the writer two GIL hand-backs."""
    return len(steps) == 1 and not steps[0][2]


def execute_steps(connection: sqlite3.Connection, steps: Sequence[Step]) -> None:
    """Run ``steps`` (statement, parameters, executemany?) on a plain sqlite3 connection, in this thread; the
    caller opens and ends the transaction."""
    for sql, params, many in steps:
        if many:
            connection.executemany(sql, params)
        else:
            connection.execute(sql, params)


def stream_of(session_id: int, direction: Direction) -> int:
    """The stream number of one direction of a session (the high part of a message key)."""
    return session_id * 2 + int(direction)


def key_range(stream: int, first_seq: int, last_seq: int) -> tuple[int, int]:
    """Inclusive message-key bounds of sequence numbers first_seq..last_seq in ``stream``."""
    base = stream << 32
    return base | max(first_seq, 0), base | min(last_seq, MAX_SEQ_NUM)


class SQLStoreBase(MessageStore):
    """A message store in one SQLite file.

    ``path``: the database file (created when missing). ``busy_timeout``: seconds to wait for a lock held by
    another connection before :class:`StoreLockedError`. ``synchronous``: SQLite's durability level, NORMAL
    (survives kill -9) or FULL (survives power loss, slower).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        default_session: SessionKey | None = None,
        busy_timeout: float = 5.0,
        synchronous: str = "NORMAL",
    ) -> None:
        if synchronous.upper() not in SYNCHRONOUS_LEVELS:
            raise ValueError(f"synchronous = {synchronous!r} is not one of {', '.join(SYNCHRONOUS_LEVELS)}")
        self.path = Path(path)
        self.default_session = default_session
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous.upper()
        self._session_ids: dict[SessionKey, int] = {}
        self._lock = asyncio.Lock()
        self._open = False

    #: whether :meth:`queue_inbound` can start batches on a writer thread (backends with one say so)
    queues_writes = False

    # -- primitives the backends provide ---------------------------------------------------------------------
    @abc.abstractmethod
    async def _connect(self) -> None: ...

    @abc.abstractmethod
    async def _disconnect(self) -> None: ...

    @abc.abstractmethod
    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abc.abstractmethod
    async def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute one statement; returns the number of rows it changed."""

    @abc.abstractmethod
    async def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    # -- lifecycle -------------------------------------------------------------------------------------------
    async def open(self) -> None:
        if self._open:
            return
        try:
            # as QuickFIX does with FileStorePath: the store's directory is created when missing
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreOpenError(
                f"message store {self.path}: cannot create directory {self.path.parent} ({exc.strerror or exc})"
            ) from exc
        try:
            with self._translate("open"):
                await self._connect()
                await self._run(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                await self._fetch("PRAGMA journal_mode = WAL")
                await self._run(f"PRAGMA synchronous = {self.synchronous}")
            self._open = True
            async with self._transaction("open"):
                await self._create_or_migrate()
            with self._translate("open"):
                for statement in schema.CREATE_RUN_HELPERS:
                    await self._run(statement)
        except BaseException:
            # a half-opened connection would keep aiosqlite's worker thread (and the process) alive
            await self.close()
            raise

    async def close(self) -> None:
        self._open = False
        self._session_ids.clear()
        with self._translate("close"):
            await self._disconnect()

    async def _create_or_migrate(self) -> None:
        version = (await self._fetch("PRAGMA user_version"))[0][0]
        if version > schema.SCHEMA_VERSION:
            raise StoreOpenError(
                f"message store {self.path}: schema version {version} is newer than this pyfixmsg-plus "
                f"supports ({schema.SCHEMA_VERSION}); upgrade pyfixmsg-plus"
            )
        if version == 0:
            tables = await self._fetch("SELECT name FROM sqlite_master WHERE type = 'table'")
            if tables:
                raise StoreOpenError(
                    f"message store {self.path}: the file holds other tables "
                    f"({', '.join(sorted(t[0] for t in tables))}) and no pyfixmsg-plus schema version"
                )
            for statement in schema.CREATE_SCHEMA:
                await self._run(statement)
            return
        for step in range(version, schema.SCHEMA_VERSION):
            for statement in schema.MIGRATIONS[step]:
                await self._run(statement)
        await self._run(f"PRAGMA user_version = {schema.SCHEMA_VERSION}")

    # -- transactions and errors -----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _translate(self, operation: str) -> Iterator[None]:
        """Turn sqlite3 errors into store errors that name the file and the operation."""
        try:
            yield
        except sqlite3.Error as exc:
            raise self._store_error(operation, exc) from exc

    def _store_error(self, operation: str, exc: sqlite3.Error) -> StoreError:
        text = str(exc)
        where = f"message store {self.path}: {operation}"
        if "locked" in text or "busy" in text:
            return StoreLockedError(
                f"{where}: the file is locked by another connection or process "
                f"(waited busy_timeout = {self.busy_timeout} s): {text}"
            )
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return StoreCorruptError(f"{where}: the file is corrupted or not an SQLite database: {text}")
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
            return StoreOpenError(f"{where}: cannot open the file: {text}")
        return StoreError(f"{where}: {text}")

    @contextlib.asynccontextmanager
    async def _transaction(self, operation: str) -> AsyncIterator[None]:
        if not self._open:
            raise StoreClosedError(f"message store {self.path}: {operation} after close()")
        async with self._lock:
            with self._translate(operation):
                async with self._atomic():
                    yield

    @contextlib.asynccontextmanager
    async def _atomic(self) -> AsyncIterator[None]:
        """BEGIN IMMEDIATE, the body, COMMIT; ROLLBACK when anything fails (the caller holds the lock)."""
        await self._run("BEGIN IMMEDIATE")
        try:
            yield
            await self._run("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                await self._run("ROLLBACK")
            raise

    async def _write(self, operation: str, steps: Sequence[Step]) -> None:
        """Run ``steps`` (statement, parameters, executemany?) as one transaction, as :meth:`_transaction` would."""
        if not self._open:
            raise StoreClosedError(f"message store {self.path}: {operation} after close()")
        async with self._lock:
            with self._translate(operation):
                await self._run_steps(steps)

    def _can_queue(self) -> bool:
        """Whether :meth:`_queue_steps` could start a transaction now (checked before packing a batch)."""
        return False

    def _queue_steps(self, operation: str, steps: Sequence[Step]) -> asyncio.Future[None] | None:
        """Start the transaction ``steps`` now on a writer thread and return its future, or None when this
        backend cannot (this one runs statements in the caller's thread: it never can)."""
        return None

    async def _run_steps(self, steps: Sequence[Step]) -> None:
        """BEGIN IMMEDIATE, the steps, COMMIT (ROLLBACK on any failure); a backend may do it in one call. A lone
        statement runs as its own transaction (see :func:`is_lone_statement`)."""
        if is_lone_statement(steps):
            await self._run(steps[0][0], steps[0][1])
            return
        async with self._atomic():
            for sql, params, many in steps:
                if many:
                    await self._run_many(sql, params)
                else:
                    await self._run(sql, params)

    @contextlib.asynccontextmanager
    async def _reading(self, operation: str) -> AsyncIterator[None]:
        if not self._open:
            raise StoreClosedError(f"message store {self.path}: {operation} after close()")
        async with self._lock:
            with self._translate(operation):
                yield

    async def _session_id(self, session: SessionKey) -> int:
        found = self._session_ids.get(session)
        if found is not None:
            return found
        identity = (session.begin_string, session.sender_comp_id, session.target_comp_id, session.qualifier)
        async with self._transaction(f"register session {session}"):
            await self._run(schema.INSERT_SESSION, (*identity, time.time()))
            rows = await self._fetch(schema.SELECT_SESSION_ID, identity)
        self._session_ids[session] = rows[0][0]
        return int(rows[0][0])

    async def _existing_session_id(self, session: SessionKey) -> int | None:
        found = self._session_ids.get(session)
        if found is not None:
            return found
        identity = (session.begin_string, session.sender_comp_id, session.target_comp_id, session.qualifier)
        async with self._reading("find session"):
            rows = await self._fetch(schema.SELECT_SESSION_ID, identity)
        return int(rows[0][0]) if rows else None

    # -- messages --------------------------------------------------------------------------------------------
    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        if not records:
            return
        session_id = await self._session_id(session)
        rows, summary = _pack.pack_records(stream_of(session_id, Direction.OUTBOUND), as_list(records))
        operation = f"store outbound MsgSeqNum(34) {summary[0]}..{summary[1]} of session {session}"
        steps: list[Step] = [
            *insert_steps(schema.INSERT_OUTBOUND, rows),
            (schema.INSERT_BATCH, (stream_of(session_id, Direction.OUTBOUND), *summary), False),
            (schema.ADVANCE_SENDER, (summary[1] + 1, session_id), False),
        ]
        try:
            await self._write(operation, steps)
        except StoreError as exc:
            if isinstance(exc.__cause__, sqlite3.IntegrityError):
                raise SequenceReuseError(
                    f"message store {self.path}: session {session}: an outbound MsgSeqNum(34) in "
                    f"{summary[0]}..{summary[1]} is already stored (FIX never reuses a sequence number)"
                ) from exc
            raise

    async def save_inbound(
        self, session: SessionKey, records: Sequence[FrameRecord], next_target_seqnum: int | None = None
    ) -> None:
        if next_target_seqnum is not None:
            check_seq_num(next_target_seqnum, "next target MsgSeqNum(34)")
        session_id = await self._session_id(session)
        stream = stream_of(session_id, Direction.INBOUND)
        steps: list[Step] = []
        if records:
            steps = inbound_steps(stream, records, session_id, next_target_seqnum)
        elif next_target_seqnum is not None:
            steps.append((schema.SET_TARGET, (next_target_seqnum, session_id), False))
        await self._write(f"store inbound messages of session {session}", steps)

    def queue_inbound(
        self, session: SessionKey, records: Sequence[FrameRecord], next_target_seqnum: int | None = None
    ) -> asyncio.Future[None] | None:
        """:meth:`save_inbound` started at once, without waiting: the batch is packed and queued on the store's
        writer thread now, and the returned future ends when it is committed (or failed, with the store's
        error). None when that is not possible now (nothing is queued then; use :meth:`save_inbound`): the
        session is not registered yet, the backend has no writer thread, or the store is busy.

        Batches queued while earlier ones are in flight are committed in the order queued, and one is not
        applied when an earlier one still in flight fails: a later batch must never advance the next
        expected inbound MsgSeqNum(34) past messages that were not stored.
        """
        session_id = self._session_ids.get(session)
        if session_id is None or not records or not self._can_queue():
            return None
        if next_target_seqnum is not None:
            check_seq_num(next_target_seqnum, "next target MsgSeqNum(34)")
        steps = inbound_steps(stream_of(session_id, Direction.INBOUND), records, session_id, next_target_seqnum)
        return self._queue_steps(f"store inbound messages of session {session}", steps)

    async def get_outbound(self, session: SessionKey, first_seq: int, last_seq: int) -> list[StoredMessage]:
        rows = await self._outbound_rows(schema.SELECT_RANGE, session, first_seq, last_seq)
        return [_message(session, Direction.OUTBOUND, row) for row in rows]

    async def get_outbound_frames(self, session: SessionKey, first_seq: int, last_seq: int) -> list[ReplayFrame]:
        # the rows come back as the tuples a replay takes: no object per message
        return await self._outbound_rows(schema.SELECT_REPLAY, session, first_seq, last_seq)

    async def _outbound_rows(self, select: str, session: SessionKey, first_seq: int, last_seq: int) -> list[Any]:
        """Rows of ``select`` (over a key range) for outbound first_seq..last_seq (0: through the last stored)."""
        session_id = await self._existing_session_id(session)
        if session_id is None:
            return []
        low, high = key_range(stream_of(session_id, Direction.OUTBOUND), first_seq, last_seq or MAX_SEQ_NUM)
        async with self._reading(f"read outbound {first_seq}..{last_seq} of session {session}"):
            return await self._fetch(select, (low, high))

    async def query(self, query: MessageQuery) -> list[StoredMessage]:
        found: list[StoredMessage] = []
        for session, session_id in await self._matching_sessions(query.session):
            for direction in (Direction.OUTBOUND, Direction.INBOUND):
                if query.direction is None or query.direction == direction:
                    found.extend(await self._query_stream(session, session_id, direction, query))
                if query.limit is not None and len(found) >= query.limit:
                    return found[: query.limit]
        return found

    async def _matching_sessions(self, session: SessionKey | None) -> list[tuple[SessionKey, int]]:
        async with self._reading("list sessions"):
            rows = await self._fetch(schema.SELECT_SESSIONS)
        known = sorted((SessionKey(*row[1:]), int(row[0])) for row in rows)
        return [(key, ident) for key, ident in known if session is None or key == session]

    async def _query_stream(
        self, session: SessionKey, session_id: int, direction: Direction, query: MessageQuery
    ) -> list[StoredMessage]:
        stream = stream_of(session_id, direction)
        first = query.first_seq if query.first_seq is not None else 1
        last = query.last_seq if query.last_seq is not None else MAX_SEQ_NUM
        since = query.since if query.since is not None else float("-inf")
        until = query.until if query.until is not None else float("inf")
        async with self._reading(f"query session {session}"):
            if query.since is None and query.until is None and query.msg_type is None:
                rows = await self._fetch(schema.SELECT_RANGE, key_range(stream, first, last))
            else:
                rows = await self._filtered_rows(stream, (first, last), (since, until), query.msg_type)
        messages = [_message(session, direction, row) for row in rows]
        return messages if query.limit is None else messages[: query.limit]

    async def _filtered_rows(
        self, stream: int, seqs: tuple[int, int], times: tuple[float, float], msg_type: str | None
    ) -> list[tuple[Any, ...]]:
        fenced = None if msg_type is None else f",{msg_type},"
        batches = await self._fetch(
            schema.SELECT_CANDIDATE_BATCHES, (stream, times[0], times[1], fenced, fenced)
        )
        rows: list[tuple[Any, ...]] = []
        for low, high in _merge_ranges(batches, seqs):
            rows.extend(
                await self._fetch(
                    schema.SELECT_FILTERED, (*key_range(stream, low, high), *times, msg_type, msg_type)
                )
            )
        return rows

    async def prune(self, older_than: float, session: SessionKey | None = None) -> int:
        removed = 0
        for key, session_id in await self._matching_sessions(session):
            async with self._transaction(f"prune messages before {older_than} of session {key}"):
                for direction in (Direction.OUTBOUND, Direction.INBOUND):
                    removed += await self._prune_stream(stream_of(session_id, direction), older_than)
        return removed

    async def _prune_stream(self, stream: int, older_than: float) -> int:
        removed = 0
        batches = await self._fetch(schema.SELECT_PRUNABLE_BATCHES, (stream, older_than))
        for low, high in _merge_ranges(batches, (1, MAX_SEQ_NUM)):
            removed += await self._run(schema.DELETE_OLD_ROWS, (*key_range(stream, low, high), older_than))
        await self._run(schema.DELETE_OLD_BATCHES, (stream, older_than))
        return removed

    # -- sequence numbers ------------------------------------------------------------------------------------
    async def sequence_state(self, session: SessionKey) -> SequenceState:
        session_id = await self._session_id(session)
        async with self._reading(f"read sequence numbers of session {session}"):
            row = (await self._fetch(schema.SELECT_STATE, (session_id,)))[0]
        return SequenceState(int(row[0]), int(row[1]), int(row[2]), float(row[3]))

    async def set_sequence_numbers(
        self, session: SessionKey, *, incoming_seqnum: int | None = None, outgoing_seqnum: int | None = None
    ) -> None:
        if incoming_seqnum is not None:
            check_seq_num(incoming_seqnum, "incoming_seqnum")
        if outgoing_seqnum is not None:
            check_seq_num(outgoing_seqnum, "outgoing_seqnum")
        session_id = await self._session_id(session)
        async with self._transaction(f"set sequence numbers of session {session}"):
            if incoming_seqnum is not None:
                await self._run(schema.SET_TARGET, (incoming_seqnum, session_id))
            if outgoing_seqnum is not None:
                await self._run(schema.SET_SENDER, (outgoing_seqnum, outgoing_seqnum, session_id))
                # an explicit reset of the outbound number re-opens the numbers above it: their old copies go
                stream = stream_of(session_id, Direction.OUTBOUND)
                await self._run(schema.DELETE_RANGE, key_range(stream, outgoing_seqnum, MAX_SEQ_NUM))

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        check_next_sender(next_sender_seqnum)
        session_id = await self._session_id(session)
        operation = f"advance the next outbound MsgSeqNum(34) to {next_sender_seqnum} for session {session}"
        # one statement, so one autocommit transaction (see is_lone_statement); max() never lowers the number
        await self._write(operation, [(schema.ADVANCE_SENDER, (next_sender_seqnum, session_id), False)])

    async def reserve_through(self, session: SessionKey, seq_num: int) -> None:
        check_seq_num(seq_num, "reserved MsgSeqNum(34)")
        session_id = await self._session_id(session)
        async with self._transaction(f"reserve outbound numbers through {seq_num} for session {session}"):
            await self._run(schema.RESERVE, (seq_num, session_id))

    async def reset(self, session: SessionKey) -> None:
        session_id = await self._session_id(session)
        async with self._transaction(f"reset session {session}"):
            for direction in (Direction.OUTBOUND, Direction.INBOUND):
                stream = stream_of(session_id, direction)
                await self._run(schema.DELETE_RANGE, key_range(stream, 0, MAX_SEQ_NUM))
                await self._run(schema.DELETE_STREAM_BATCHES, (stream,))
            await self._run(schema.RESET_SESSION, (time.time(), session_id))

    async def sessions(self) -> list[SessionKey]:
        return [key for key, _ in await self._matching_sessions(None)]

    async def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` result: ``'ok'`` for a sound file."""
        async with self._reading("integrity check"):
            rows = await self._fetch("PRAGMA integrity_check")
        return "; ".join(str(row[0]) for row in rows)


def _message(session: SessionKey, direction: Direction, row: tuple[Any, ...]) -> StoredMessage:
    return StoredMessage(session, direction, int(row[0]) & MAX_SEQ_NUM, row[1], float(row[2]), bytes(row[3]))


def _merge_ranges(batches: Sequence[tuple[Any, ...]], bounds: tuple[int, int]) -> list[tuple[int, int]]:
    """The sequence ranges of ``batches`` clipped to ``bounds`` and coalesced where they touch or overlap."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted((max(int(b[0]), bounds[0]), min(int(b[1]), bounds[1])) for b in batches):
        if first > last:
            continue
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged
