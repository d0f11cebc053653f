"""Batching machinery shared by the write-behind and inbound writers: flush by size and by time, in order,
with
failures surfaced to the next caller and to a callback, never swallowed."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyfixmsg_plus.store.contract import FrameRecord
from pyfixmsg_plus.store.errors import StoreClosedError, StoreFlushError
from pyfixmsg_plus.store.runs import RecordChunks

#: called with the exception of a failed flush (from the event loop)
ErrorCallback = Callable[[BaseException], None]
#: stores one batch: the records of whole groups in order, and the tag of the batch's last group
SaveBatch = Callable[[Sequence[FrameRecord], Any], Awaitable[None]]


@dataclass(frozen=True)
class BatchSettings:
    """How writers batch. ``max_batch``: records per transaction; ``flush_interval``: seconds a queued record
    may wait before its batch is flushed; ``reserve_block``: outbound numbers a write-behind writer reserves
    durably at a time."""

    max_batch: int = 2000
    flush_interval: float = 0.005
    reserve_block: int = 10_000

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError(f"max_batch = {self.max_batch} must be at least 1")
        if self.flush_interval < 0:
            raise ValueError(f"flush_interval = {self.flush_interval} s must not be negative")
        if self.reserve_block < 1:
            raise ValueError(f"reserve_block = {self.reserve_block} must be at least 1")


class BatchFlusher:
    """A queue of record groups flushed in order by one background task.

    A flush starts when the queue holds ``max_batch`` records or ``flush_interval`` seconds after the first
    queued record, whichever comes first; records queued while a flush runs go in the next one. A group is
    never
    split across transactions. When a flush fails its records stay queued (retried by the next flush), the
    callback is told at once, and the next :meth:`add`, :meth:`raise_failure` or :meth:`flush` raises
    :class:`StoreFlushError` from the original error.
    """

    def __init__(
        self, save: SaveBatch, settings: BatchSettings, what: str, on_error: ErrorCallback | None = None
    ):
        self._save = save
        self._settings = settings
        self._what = what
        self._on_error = on_error
        self._groups: list[tuple[Sequence[FrameRecord], Any]] = []
        self._queued = 0
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None
        self._closed = False

    @property
    def queued(self) -> int:
        """Records waiting to be stored."""
        return self._queued

    def add(self, records: Sequence[FrameRecord], tag: Any = None) -> None:
        """Queue ``records`` (stored after every group queued before them), then raise any earlier failure."""
        if self._closed:
            raise StoreClosedError(f"{self._what}: add after close()")
        if records or tag is not None:
            self._groups.append((records, tag))
            self._queued += len(records)
            if self._queued >= self._settings.max_batch:
                self._start_flush()
            elif self._timer is None and not self._running():
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self._settings.flush_interval, self._start_flush)
        if self._failure is not None:  # tested here: one call less per received frame
            self.raise_failure()

    def raise_failure(self) -> None:
        """Raise (once) the failure of an earlier flush, if there was one."""
        failure, self._failure = self._failure, None
        if failure is not None:
            raise StoreFlushError(f"{self._what}: storing a batch failed: {failure}") from failure

    async def flush(self) -> None:
        """Store everything queued now; raises StoreFlushError when that (or an earlier flush) failed."""
        while self._groups or self._running():
            if not self._running():
                self._start_flush()
            assert self._task is not None
            await asyncio.shield(self._task)
            if self._failure is not None:
                break
        self.raise_failure()

    async def close(self) -> None:
        """Flush and stop; the writer refuses records afterwards."""
        try:
            await self.flush()
        finally:
            self._closed = True
            self._cancel_timer()

    def _running(self) -> bool:
        return self._task is not None and not self._task.done()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _start_flush(self) -> None:
        self._cancel_timer()
        if not self._running() and self._groups:
            self._task = asyncio.get_running_loop().create_task(self._flush_all())

    async def _flush_all(self) -> None:
        while self._groups:
            count, records, tag = self._take_batch()
            try:
                await self._save(records, tag)
            except Exception as exc:  # any failure is kept for the next caller and told to the callback
                self._failure = exc
                if self._on_error is not None:
                    self._on_error(exc)
                return
            del self._groups[:count]
            self._queued -= len(records)

    def _take_batch(self, skip: int = 0, limit: int = 0) -> tuple[int, Sequence[FrameRecord], Any]:
        """The next batch from queued group ``skip`` on, of up to ``limit`` records (``max_batch`` when 0; a
        group larger than that is taken whole): (groups taken, their records, the batch's tag)."""
        parts: list[Sequence[FrameRecord]] = []
        sizes: list[int] = []
        size = 0
        tag: Any = None
        max_batch = limit or self._settings.max_batch
        for group, group_tag in self._groups[skip:] if skip else self._groups:
            group_size = len(group)  # once: a FrameRun's len is a Python call
            if size and size + group_size > max_batch:
                break
            parts.append(group)  # kept whole: a FrameRun becomes records only if the store asks
            sizes.append(group_size)
            size += group_size
            if group_tag is not None:
                tag = group_tag  # the latest tag given wins
        return len(parts), RecordChunks(parts, sizes), tag
