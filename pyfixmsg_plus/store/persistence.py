"""Persistence modes: how outbound messages reach the store relative to the socket write.

The engine drives every mode the same way::

    await writer.before_send(records)   # sync/group: stored here; write_behind: numbers durably reserved
    transport.write(...)                 # the exact bytes of the records
    writer.after_send(records)           # write_behind: queued for a batch; sync/group: nothing to do

or, on its hot path, ``pending = writer.before_send_now(records)`` then ``await pending`` only when it is not
None: a writer that can store (or reserve) without waiting does so in that plain call, with no coroutine or
future of its own (group mode over the memory store, write_behind inside its reservation).

- ``sync``: each call is its own transaction, committed before the write (QuickFIX's behaviour).
- ``group`` (group commit): concurrent callers are stored together in one transaction, then all released to
  write; stored-before-sent holds at batched cost.
- ``write_behind``: written at once and stored in batches shortly after. MsgSeqNum(34) values are reserved
  durably in blocks ahead of use, so after a crash :meth:`OutboundWriter.recover` resumes above every number
  that may have been sent, and reports the possibly lost range for SequenceReset-GapFill answers.

The invariant of every mode: a sequence number is never reused, an acknowledged message is never lost.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from pyfixmsg_plus.eager import start_eagerly
from pyfixmsg_plus.store.batching import BatchFlusher, BatchSettings, ErrorCallback
from pyfixmsg_plus.store.contract import MAX_SEQ_NUM, FrameRecord, MessageStore, SequenceState, SessionKey
from pyfixmsg_plus.store.errors import StoreClosedError, StoreFlushError
from pyfixmsg_plus.store.pipelined import PipelinedFlusher
from pyfixmsg_plus.store.runs import FrameRun
from pyfixmsg_plus.store.sequence_only import SequenceOnlyStore


class PersistenceMode(enum.StrEnum):
    """The ``persistence_mode`` setting."""

    SYNC = "sync"
    GROUP = "group"
    WRITE_BEHIND = "write_behind"

    @classmethod
    def parse(cls, value: str | PersistenceMode) -> PersistenceMode:
        """The mode named ``value``, or ValueError listing the valid names."""
        try:
            return cls(str(value.value if isinstance(value, PersistenceMode) else value).strip().lower())
        except ValueError:
            valid = ", ".join(mode.value for mode in cls)
            raise ValueError(f"persistence_mode = {value!r} is not one of {valid}") from None


class OutboundWriter:
    """Stores one session's outbound frames according to a persistence mode (see the module docstring)."""

    mode: PersistenceMode

    def __init__(
        self,
        store: MessageStore,
        session: SessionKey,
        settings: BatchSettings | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        self.store = store
        self.session = session
        self.settings = settings or BatchSettings()
        self.on_error = on_error
        self._closed = False

    async def recover(self) -> SequenceState:
        """The session's durable state on startup; ``resume_sender_seqnum`` is the next number to send and
        ``possibly_lost`` the numbers to answer with GapFill if the peer asks for them."""
        return await self.store.sequence_state(self.session)

    async def before_send(self, records: Sequence[FrameRecord]) -> None:
        """Await this before writing ``records`` to the socket."""
        raise NotImplementedError

    def before_send_now(self, records: Sequence[FrameRecord]) -> Coroutine[Any, Any, None] | None:
        """:meth:`before_send` without a coroutine when none is needed: None when ``records`` are stored
        (write_behind: their numbers reserved) already, so they may be written at once; else the coroutine to
        await (or start eagerly) before writing them, at once: a writer may queue the records only when it
        starts. Raises what ``before_send`` would raise, here or from the coroutine."""
        return self.before_send(records)

    def after_send(self, records: Sequence[FrameRecord]) -> None:
        """Call this once ``records`` were written to the socket."""

    async def flush(self) -> None:
        """Store everything still queued; raises StoreFlushError when that fails."""

    async def close(self) -> None:
        """Flush and refuse further records (the store itself stays open: the caller owns it)."""
        await self.flush()
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosedError(f"{self.mode.value} writer of session {self.session} used after close()")


class SyncWriter(OutboundWriter):
    """``sync``: one transaction per call, committed before the socket write."""

    mode = PersistenceMode.SYNC

    async def before_send(self, records: Sequence[FrameRecord]) -> None:
        self._check_open()
        try:
            await self.store.save_outbound(self.session, records)
        except Exception as exc:
            if self.on_error is not None:
                self.on_error(exc)
            raise


class GroupCommitWriter(OutboundWriter):
    """``group``: callers waiting at the same moment share one transaction (up to ``max_batch`` records).

    While a transaction commits, new callers queue; when it ends they are all stored by the next one. Each
    caller's records stay together, and a failure is raised to every caller of the failed transaction.
    With a store that commits without waiting (the memory store), a caller that finds no transaction running
    stores its records at once, eagerly, and costs no event-loop iteration; a store that does I/O commits from
    a task, so that the callers of the same moment join the transaction. Which kind the store is, the writer
    learns from each commit (the first one goes through a task), except the memory store's own, known from the
    start: its sends are stored by a plain call (``MemoryStore.save_outbound_now``), with no coroutine at all.
    """

    mode = PersistenceMode.GROUP

    def __init__(
        self,
        store: MessageStore,
        session: SessionKey,
        settings: BatchSettings | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        super().__init__(store, session, settings, on_error)
        self._waiting: list[tuple[Sequence[FrameRecord], asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None  # the task finishing a commit that had to wait
        self._committing = False  # a commit runs (eagerly in a caller's frame, or in ``_task``)
        # the memory store's plain-call save (None for any other store, or a subclass with its own save_outbound)
        self._save_now = _plain_save(store)
        self._plain_store = store  # the store _save_now belongs to (``store`` may be replaced later)
        # the last commit had to wait for the store (I/O): group through a task; a plain-call save never waits
        self._store_waits = self._save_now is None

    async def before_send(self, records: Sequence[FrameRecord]) -> None:
        pending = self.before_send_now(records)
        if pending is not None:
            await pending

    def before_send_now(self, records: Sequence[FrameRecord]) -> Coroutine[Any, Any, None] | None:
        if self._closed:  # tested here: one call less per send
            self._check_open()
        if self._committing or self._store_waits or not records:
            return self._join(records)
        # a store that committed the last transaction without waiting (the memory store), and no transaction
        # running (so nobody queued ahead of these records): one transaction of their own, in this call
        save_now = self._save_now
        store = self.store
        try:
            # the memory store's own save, unless the store or its save_outbound was replaced since
            if save_now is not None and store is self._plain_store and "save_outbound" not in store.__dict__:
                save_now(self.session, records)  # no coroutine, no eager step: the memory store's usual send
                return None
            pending = start_eagerly(store.save_outbound(self.session, records))
        except Exception as exc:
            if self.on_error is not None:
                self.on_error(exc)
            raise
        if pending is None:
            return None
        # the store waited after all: this is now the running transaction; callers arriving meanwhile queue
        # behind it and are committed together once it ends
        self._store_waits = self._committing = True
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.get_running_loop().create_task(self._finish_commit(pending, [(records, future)]))
        return _wait(future)

    def _join(self, records: Sequence[FrameRecord]) -> Coroutine[Any, Any, None]:
        """Queue ``records`` for the next transaction (starting one unless one runs); the coroutine waits for
        it. They are queued in this call, so callers keep their order however late they await."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((records, future))
        if not self._committing:
            self._committing = True
            if self._store_waits:
                self._task = asyncio.get_running_loop().create_task(self._commit_all())
            else:
                self._task = start_eagerly(self._commit_all())
        return _wait(future)  # done already when the store committed without waiting

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def _finish_commit(
        self, pending: asyncio.Task[None], group: list[tuple[Sequence[FrameRecord], asyncio.Future[None]]]
    ) -> None:
        """A transaction started by :meth:`before_send_now` that had to wait: settle its caller once it ends,
        then commit whoever queued meanwhile."""
        try:
            await self._settle_when_done(pending, group)
        except BaseException:  # cancelled: no commit runs any more
            self._committing = False
            self._task = None
            raise
        await self._commit_all()

    async def _settle_when_done(
        self, commit: Awaitable[None], group: list[tuple[Sequence[FrameRecord], asyncio.Future[None]]]
    ) -> None:
        """Await one transaction, then settle the callers of ``group`` with its outcome (an error is also reported
        to ``on_error``)."""
        try:
            await commit
        except Exception as exc:
            if self.on_error is not None:
                self.on_error(exc)
            _settle(group, exc)
        else:
            _settle(group, None)

    async def _commit_all(self) -> None:
        try:
            while self._waiting:
                count, records = self._take_group()
                group = self._waiting[:count]
                del self._waiting[:count]
                await self._settle_when_done(self._save(records), group)
        finally:
            self._committing = False
            self._task = None

    async def _save(self, records: list[FrameRecord]) -> None:
        """One transaction; notes whether the store had to wait (then later commits go through a task)."""
        pending = start_eagerly(self.store.save_outbound(self.session, records))
        self._store_waits = pending is not None
        if pending is not None:
            await pending

    def _take_group(self) -> tuple[int, list[FrameRecord]]:
        records: list[FrameRecord] = []
        count = 0
        for waiting_records, _ in self._waiting:
            if records and len(records) + len(waiting_records) > self.settings.max_batch:
                break
            records.extend(waiting_records)
            count += 1
        return count, records


def _plain_save(store: MessageStore) -> Callable[[SessionKey, Sequence[FrameRecord]], None] | None:
    """The store's ``save_outbound`` as a plain call when it offers one (``plain_save()``: the memory store while
    its ``save_outbound`` is its own, the PersistMessages=N wrapper over such a store); None otherwise."""
    plain_save = getattr(store, "plain_save", None)
    save_now: Callable[[SessionKey, Sequence[FrameRecord]], None] | None = plain_save() if plain_save else None
    return save_now


async def _wait(future: asyncio.Future[None]) -> None:
    await future


def _settle(group: list[tuple[Sequence[FrameRecord], asyncio.Future[None]]], exc: Exception | None) -> None:
    for _, future in group:
        if future.done():  # the caller was cancelled: its records are stored (or not) all the same
            continue
        if exc is None:
            future.set_result(None)
        else:
            future.set_exception(exc)


class WriteBehindWriter(OutboundWriter):
    """``write_behind``: sent at once, stored in batches by size and time, numbers reserved durably ahead.

    ``before_send`` only waits when the records' highest MsgSeqNum(34) is above the durable reservation; the
    next block is reserved in the background once half of the current one is used, so in steady state it never
    waits. A failed flush or reservation is raised to the next caller (and told to ``on_error``).
    """

    mode = PersistenceMode.WRITE_BEHIND

    def __init__(
        self,
        store: MessageStore,
        session: SessionKey,
        settings: BatchSettings | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        super().__init__(store, session, settings, on_error)
        self._batches = BatchFlusher(
            self._save, self.settings, f"write-behind store of session {session}", on_error
        )
        self._reserved = -1  # unknown until recover() or the first reservation
        self._top_sent = 0  # the highest number handed to before_send*: it may have reached the peer
        self._extension: asyncio.Task[None] | None = None
        self._extension_failure: BaseException | None = None

    @property
    def reserved_through(self) -> int:
        """The highest outbound number durably reserved (usable without waiting)."""
        return self._reserved

    async def recover(self) -> SequenceState:
        state = await super().recover()
        self._reserved = state.reserved_through
        self._top_sent = state.resume_sender_seqnum - 1
        return state

    async def before_send(self, records: Sequence[FrameRecord]) -> None:
        self._check_open()
        self._raise_extension_failure()
        self._batches.raise_failure()
        if records:
            top = max(record.seq_num for record in records)
            self._top_sent = max(self._top_sent, top)
            await self.reserve(top)

    def before_send_now(self, records: Sequence[FrameRecord]) -> Coroutine[Any, Any, None] | None:
        self._check_open()
        self._raise_extension_failure()
        self._batches.raise_failure()
        if not records:
            return None
        top = max(record.seq_num for record in records)
        if top > self._top_sent:
            self._top_sent = top
        if top > self._reserved:
            return self.reserve(top)  # beyond the durable reservation: wait for the store
        self._extend_ahead(top)
        return None

    def after_send(self, records: Sequence[FrameRecord]) -> None:
        self._check_open()
        self._batches.add(records)

    async def reserve(self, seq_num: int) -> None:
        """Make sure outbound numbers up to ``seq_num`` are durably reserved; waits only when they are not."""
        if seq_num > self._reserved:
            await self._wait_extension()
            if seq_num > self._reserved:
                await self._extend(seq_num + self.settings.reserve_block - 1)
        else:
            self._extend_ahead(seq_num)

    def _extend_ahead(self, seq_num: int) -> None:
        """``seq_num`` is reserved: once it is past half the block, reserve the next block in the background."""
        if seq_num > self._reserved - self.settings.reserve_block // 2 and self._extension is None:
            target = self._reserved + self.settings.reserve_block
            self._extension = asyncio.get_running_loop().create_task(self._extend_in_background(target))

    async def flush(self) -> None:
        await self._wait_extension()
        self._raise_extension_failure()
        await self._batches.flush()

    async def close(self) -> None:
        self._closed = True  # from now on before_send* refuse: no number is handed out while the release runs
        await self._wait_extension()
        await self._batches.close()
        await self._release_unused_reservation()

    async def _release_unused_reservation(self) -> None:
        """After a clean close every number handed out is stored or was never written, so the numbers reserved
        above the highest one handed out were never used: give them back, so that the next run resumes right after
        the last message sent instead of a reserve_block later (a crash skips this, and recovery then resumes
        above the reservation)."""
        state = await self.store.sequence_state(self.session)
        # the highest number handed out counts even when the store's own next number did not move (a store
        # whose advance_sender_seqnum only reserves, a send whose after_send never came)
        resume = max(state.next_sender_seqnum, self._top_sent + 1)
        if resume <= MAX_SEQ_NUM and state.reserved_through >= resume:
            # SET_SENDER semantics: the next number becomes ``resume``, the reservation drops to just below it
            await self.store.set_sequence_numbers(self.session, outgoing_seqnum=resume)
            self._reserved = resume - 1

    @property
    def queued(self) -> int:
        """Records sent but not yet stored."""
        return self._batches.queued

    async def _save(self, records: Sequence[FrameRecord], _tag: object) -> None:
        await self.store.save_outbound(self.session, records)

    async def _extend(self, through: int) -> None:
        await self.store.reserve_through(self.session, through)
        self._reserved = max(self._reserved, through)

    async def _extend_in_background(self, through: int) -> None:
        try:
            await self._extend(through)
        except Exception as exc:
            self._extension_failure = exc
            if self.on_error is not None:
                self.on_error(exc)
        finally:
            self._extension = None

    async def _wait_extension(self) -> None:
        if self._extension is not None:
            await asyncio.shield(self._extension)

    def _raise_extension_failure(self) -> None:
        failure, self._extension_failure = self._extension_failure, None
        if failure is not None:
            raise StoreFlushError(
                f"write-behind store of session {self.session}: reserving outbound numbers failed: {failure}"
            ) from failure


class InboundWriter:
    """Stores one session's inbound frames and expected inbound number in batches (by size and time).

    After a crash the stored expected number may trail what was processed; the session then asks for the gap
    with ResendRequest(2) and the duplicates arrive with PossDupFlag(43)=Y, as FIX intends.
    """

    def __init__(
        self,
        store: MessageStore,
        session: SessionKey,
        settings: BatchSettings | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        self.store = store
        self.session = session
        what = f"inbound store of session {session}"
        self._batches: BatchFlusher
        if getattr(store, "queues_writes", False):
            # full batches start on the store's writer thread as they fill, a few in flight (see pipelined.py)
            self._batches = PipelinedFlusher(self._save, self._queue, settings or BatchSettings(), what, on_error)
        else:
            self._batches = BatchFlusher(self._save, settings or BatchSettings(), what, on_error)

    @property
    def queued(self) -> int:
        """Received frames not yet stored."""
        return self._batches.queued

    def received(self, records: Sequence[FrameRecord], next_target_seqnum: int | None = None) -> None:
        """Queue received frames and, when given, the next expected inbound number after them."""
        self._batches.add(records, next_target_seqnum)

    @property
    def received_hook(self) -> Callable[[Sequence[FrameRecord], int | None], None]:
        """:meth:`received` without its own call (the batcher's ``add``): for the engine's per-message lane."""
        return self._batches.add

    def received_run(self, index: Any, start: int, count: int, first_seqnum: int, received_time: float) -> None:
        """Queue ``count`` accepted frames of ``index`` from span ``start`` on, numbered from ``first_seqnum``
        (one :class:`~pyfixmsg_plus.store.runs.FrameRun`, no object per frame unless the store asks)."""
        self._batches.add(FrameRun(index, start, count, first_seqnum, received_time))

    async def flush(self) -> None:
        """Store everything queued; raises StoreFlushError when that fails."""
        await self._batches.flush()

    async def close(self) -> None:
        """Flush and refuse further records."""
        await self._batches.close()

    async def _save(self, records: Sequence[FrameRecord], next_target_seqnum: int | None) -> None:
        await self.store.save_inbound(self.session, records, next_target_seqnum)

    def _queue(self, records: Sequence[FrameRecord], next_target_seqnum: int | None) -> asyncio.Future[None] | None:
        queue: Any = getattr(self.store, "queue_inbound", None)
        return None if queue is None else queue(self.session, records, next_target_seqnum)


_WRITERS: dict[PersistenceMode, type[OutboundWriter]] = {
    PersistenceMode.SYNC: SyncWriter,
    PersistenceMode.GROUP: GroupCommitWriter,
    PersistenceMode.WRITE_BEHIND: WriteBehindWriter,
}


def make_writer(
    mode: str | PersistenceMode,
    store: MessageStore,
    session: SessionKey,
    settings: BatchSettings | None = None,
    on_error: ErrorCallback | None = None,
    *,
    persist_messages: bool = True,
) -> OutboundWriter:
    """The outbound writer of ``mode`` (``sync``, ``group`` or ``write_behind``) for one session.

    ``persist_messages`` False (``PersistMessages = N``): the writer keeps the sent MsgSeqNum(34)s durable as
    ``mode`` says but stores no message (see :class:`~pyfixmsg_plus.store.sequence_only.SequenceOnlyStore`), so a
    ResendRequest(2) is answered with SequenceReset-GapFill. This is the only place that setting is read.
    """
    outbound_store = store if persist_messages else SequenceOnlyStore(store)
    return _WRITERS[PersistenceMode.parse(mode)](outbound_store, session, settings, on_error)
