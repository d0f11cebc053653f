"""A batching writer that keeps several batches in flight on the store's writer thread.

During an inbound blast the event loop runs long receive callbacks back to back, and a batch saved the usual way
(a task that packs, awaits the store's lock, hands the transaction to the writer thread, awaits its end) waits a
loop turn at each step: the writer thread idles most of the blast and the rows trickle in afterwards.
:class:`PipelinedFlusher` hands each full batch to the thread from inside :meth:`~BatchFlusher.add`, in the
receive callback that completed it, so the thread commits while the loop keeps receiving, and the next batch is
already waiting when a commit ends.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Sequence
from typing import Any

from pyfixmsg_plus.store.batching import BatchFlusher, BatchSettings, ErrorCallback, SaveBatch
from pyfixmsg_plus.store.contract import FrameRecord

#: starts storing one batch (records, tag) now and returns its future, or None when it cannot start at once
QueueBatch = Callable[[Sequence[FrameRecord], Any], "asyncio.Future[None] | None"]


class PipelinedFlusher(BatchFlusher):
    """A :class:`BatchFlusher` whose full batches start at once through ``queue`` (``store.queue_inbound``), up
    to ``depth`` unfinished on the writer thread; a partial batch, or one ``queue`` cannot start, goes through
    ``save`` once nothing is in flight. ``queue`` must commit batches in the order given and refuse one whose
    predecessor in flight failed. Groups leave the queue in order as their batches commit; after a failure the
    failed batch and those behind it stay queued, and the failure is raised to the next caller, as with
    BatchFlusher.

    A batch counts as unfinished until its future is done or, for a future with an ``ended_on_thread``
    attribute (:class:`~pyfixmsg_plus.store.aiosqlite_store.ThreadWrite`), until the thread says it ended: the
    next batch then starts from the receive callback even when the loop has not turned since. With ``merge`` > 1,
    while the thread is busy with an earlier batch, the full batches that piled up start as one transaction of
    up to ``merge`` batches (the thread then hands the GIL back less often). Measured on a 200k inbound blast,
    merging 16 cost the onBatch write-behind row ~8% and bought the fromApp rows nothing the early start had not
    already bought (docs/performance.md, entry 44), so the default is 1.
    """

    def __init__(
        self,
        save: SaveBatch,
        queue: QueueBatch,
        settings: BatchSettings,
        what: str,
        on_error: ErrorCallback | None = None,
        depth: int = 2,
        merge: int = 1,
    ) -> None:
        if depth < 1:
            raise ValueError(f"{what}: depth = {depth} batches in flight must be at least 1")
        if merge < 1:
            raise ValueError(f"{what}: merge = {merge} batches per transaction must be at least 1")
        super().__init__(save, settings, what, on_error)
        self._queue_batch = queue
        self._depth = depth
        self._merge = merge
        #: (future, groups, records) of each batch in flight, oldest first
        self._in_flight: collections.deque[tuple[asyncio.Future[None], int, int]] = collections.deque()
        self._in_flight_records = 0
        self._saving = False  # a batch is going through ``save``: nothing may start before it ends
        self._chain_broken = False  # a batch in flight failed: those behind it fail too, and stay queued
        self._failures = 0

    def _start_flush(self) -> None:
        self._cancel_timer()
        self._queue_full_batches()
        if not self._in_flight and not self._running() and self._groups:
            self._task = asyncio.get_running_loop().create_task(self._flush_all())

    def _queue_full_batches(self) -> None:
        """Start the full batches of the groups not in flight yet, up to ``depth`` unfinished on the thread:
        one batch when the thread is idle, else as many full batches as wait, up to ``merge``, as one."""
        max_batch = self._settings.max_batch
        while not self._saving and not self._chain_broken:
            waiting = self._queued - self._in_flight_records
            if waiting < max_batch:
                return
            busy = self._unfinished()
            if busy >= self._depth or busy < 0:
                return
            limit = max_batch if not busy else max_batch * min(self._merge, waiting // max_batch)
            taken = sum(count for _, count, _ in self._in_flight)
            count, records, tag = self._take_batch(taken, limit)
            future = self._queue_batch(records, tag)
            if future is None:
                return
            self._in_flight.append((future, count, len(records)))
            self._in_flight_records += len(records)
            future.add_done_callback(self._settle)

    def _unfinished(self) -> int:
        """Batches in flight that the writer thread has not finished (see the class docstring); -1 when one of
        them failed and is not settled yet: nothing may start before the loop settles it (the batches behind a
        failed one must not commit, lest the stored next expected MsgSeqNum(34) pass unstored messages)."""
        busy = 0
        for future, _, _ in self._in_flight:
            if future.done():
                if future.cancelled() or future.exception() is not None:
                    return -1
            elif getattr(future, "failed_on_thread", False):
                return -1
            elif not getattr(future, "ended_on_thread", False):
                busy += 1
        return busy

    def _settle(self, _: object = None) -> None:
        """Take the ended batches at the head of the flight out of the queue (or keep them, after a failure)."""
        while self._in_flight and self._in_flight[0][0].done():
            future, count, size = self._in_flight.popleft()
            self._in_flight_records -= size
            failure = asyncio.CancelledError() if future.cancelled() else future.exception()
            if failure is not None and not self._chain_broken:
                self._chain_broken = True
                self._record_failure(failure)
            if self._chain_broken:
                continue
            del self._groups[:count]
            self._queued -= size
        if self._in_flight:
            return
        if self._chain_broken:
            self._chain_broken = False  # the failed batches stay queued, retried by the next flush
        elif self._groups and self._failure is None and not self._running():
            self._start_flush()  # what arrived meanwhile (a partial batch: the blast is over)

    def _record_failure(self, failure: BaseException) -> None:
        self._failure = failure
        self._failures += 1
        if self._on_error is not None:
            self._on_error(failure)

    async def _drain(self) -> None:
        """Until every batch in flight has ended and been settled."""
        if self._in_flight:
            await asyncio.wait([future for future, _, _ in self._in_flight])
        self._settle()

    async def _flush_all(self) -> None:
        failures = self._failures
        while self._groups and self._failures == failures:
            if self._in_flight:
                await self._drain()
                continue
            self._queue_full_batches()
            if self._in_flight:
                continue
            count, records, tag = self._take_batch()
            self._saving = True
            try:
                await self._save(records, tag)
            except Exception as exc:  # kept for the next caller and told to the callback, as BatchFlusher does
                self._record_failure(exc)
                return
            finally:
                self._saving = False
            del self._groups[:count]
            self._queued -= len(records)

    async def flush(self) -> None:
        failures = self._failures
        while (self._groups or self._running() or self._in_flight) and self._failures == failures:
            if not self._running() and not self._in_flight:
                self._task = asyncio.get_running_loop().create_task(self._flush_all())
            if self._task is not None and self._running():
                await asyncio.shield(self._task)
            else:
                await self._drain()
        self.raise_failure()
