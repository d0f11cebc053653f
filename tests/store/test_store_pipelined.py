"""PipelinedFlusher: full batches start on the store's thread as they fill, a few in flight, leave the queue in order,
and after a failure stay queued (with those behind them) for the next flush; the aiosqlite store chains them."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from test_store_contract import SESSION, record
from test_store_runs import index_of

from pyfixmsg_plus.store import (
    BatchSettings,
    FrameRecord,
    InboundWriter,
    MessageStoreFactory,
    StoreFlushError,
    aiosqlite_store,
)
from pyfixmsg_plus.store.pipelined import PipelinedFlusher


def rec(seq: int) -> FrameRecord:
    return FrameRecord(seq, "X", 1.0, b"%d" % seq)


class FakeThread:
    """A writer thread the test drives: each queued batch is a future the test ends."""

    def __init__(self, refuse: bool = False) -> None:
        self.queued: list[tuple[list[int], Any, asyncio.Future[None]]] = []
        self.saved: list[list[int]] = []
        self.refuse = refuse

    def queue(self, records: Sequence[FrameRecord], tag: Any) -> asyncio.Future[None] | None:
        if self.refuse:
            return None
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queued.append(([r.seq_num for r in records], tag, future))
        return future

    async def save(self, records: Sequence[FrameRecord], tag: Any) -> None:
        await asyncio.sleep(0)
        self.saved.append([r.seq_num for r in records])


def flusher(thread: FakeThread, errors: list[BaseException] | None = None, depth: int = 2) -> PipelinedFlusher:
    settings = BatchSettings(max_batch=3, flush_interval=0.001)
    on_error = None if errors is None else errors.append
    return PipelinedFlusher(thread.save, thread.queue, settings, "test writer", on_error, depth)


def test_full_batches_start_inside_add_up_to_depth_and_leave_in_order() -> None:
    async def body() -> None:
        thread = FakeThread()
        batches = flusher(thread)
        for seq in range(1, 10):
            batches.add([rec(seq)], seq + 1)
        # started synchronously by add, no loop turn needed; the third full batch waits for a free slot
        assert [(seqs, tag) for seqs, tag, _ in thread.queued] == [([1, 2, 3], 4), ([4, 5, 6], 7)]
        thread.queued[1][2].set_result(None)  # ends out of order: nothing leaves before the first
        await asyncio.sleep(0)
        assert batches.queued == 9
        thread.queued[0][2].set_result(None)
        await asyncio.sleep(0)
        assert batches.queued == 3
        batches.add([rec(10)])
        assert [seqs for seqs, _, _ in thread.queued][2] == [7, 8, 9]
        thread.queued[2][2].set_result(None)
        await batches.flush()  # the partial rest goes through save once nothing is in flight
        assert thread.saved == [[10]] and batches.queued == 0

    asyncio.run(body())


def test_a_failure_keeps_the_failed_batch_and_those_behind_it_queued_for_the_retry() -> None:
    async def body() -> None:
        thread = FakeThread()
        errors: list[BaseException] = []
        batches = flusher(thread, errors)
        for seq in range(1, 7):
            batches.add([rec(seq)])
        first, second = (future for _, _, future in thread.queued)
        first.set_exception(OSError("disk full"))
        second.set_exception(OSError("not applied: an earlier write failed"))
        await asyncio.sleep(0)
        assert len(errors) == 1 and "disk full" in str(errors[0])
        assert batches.queued == 6
        with pytest.raises(StoreFlushError, match="test writer: storing a batch failed: disk full"):
            batches.add([rec(7)])
        # the next full batch starts again from the failed one, in order
        assert [seqs for seqs, _, _ in thread.queued][2:] == [[1, 2, 3], [4, 5, 6]]
        for _, _, future in thread.queued[2:]:
            future.set_result(None)
        await batches.flush()
        assert thread.saved == [[7]] and batches.queued == 0

    asyncio.run(body())


def test_without_a_thread_to_queue_on_batches_go_through_save_one_at_a_time() -> None:
    async def body() -> None:
        thread = FakeThread(refuse=True)
        batches = flusher(thread)
        for seq in range(1, 8):
            batches.add([rec(seq)])
        await batches.close()
        assert thread.saved == [[1, 2, 3], [4, 5, 6], [7]]
        with pytest.raises(ValueError, match="depth = 0"):
            flusher(thread, depth=0)

    asyncio.run(body())


def stored_seqs(path: Path) -> tuple[list[int], int]:
    connection = sqlite3.connect(path)
    try:
        keys = [key & 0xFFFFFFFF for (key,) in connection.execute("SELECT key FROM messages ORDER BY key")]
        (target,) = connection.execute("SELECT next_target_seqnum FROM sessions").fetchone()
    finally:
        connection.close()
    return keys, int(target)


def test_the_aiosqlite_inbound_writer_keeps_batches_in_flight_and_stores_them_all(tmp_path: Path) -> None:
    async def body() -> None:
        store = MessageStoreFactory.get_message_store("aiosqlite", tmp_path / "s.db", "FIX.4.4", "SENDER", "TARGET")
        await store.open()
        writer = InboundWriter(store, SESSION, BatchSettings(max_batch=20, flush_interval=0.001))
        assert isinstance(writer._batches, PipelinedFlusher)
        records = [record(n, "X") for n in range(1, 202)]
        index = index_of(records)
        writer.received([records[0]], 2)  # registers the session (save), then runs are queued as they fill
        for first in range(1, 201, 10):
            writer.received_run(index, first, 10, first + 1, 5.0)
            writer.received([], first + 11)
        await writer.close()
        await store.close()
        assert stored_seqs(tmp_path / "s.db") == (list(range(1, 202)), 202)

    asyncio.run(body())


def test_a_batch_queued_behind_a_failed_one_is_not_applied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next expected inbound MsgSeqNum(34) never gets ahead of what is stored: when a batch fails on the
    thread, the batches queued behind it are refused there, and the retry stores them all in order."""
    real = aiosqlite_store.run_steps_in_thread
    failures = [1]

    def fail_once(connection: sqlite3.Connection, steps: Any) -> None:
        if failures and "inbound_runs" in steps[0][0]:
            failures.pop()
            raise sqlite3.OperationalError("disk I/O error")
        real(connection, steps)

    monkeypatch.setattr(aiosqlite_store, "run_steps_in_thread", fail_once)

    async def body() -> None:
        store = MessageStoreFactory.get_message_store("aiosqlite", tmp_path / "s.db", "FIX.4.4", "SENDER", "TARGET")
        await store.open()
        errors: list[BaseException] = []
        writer = InboundWriter(store, SESSION, BatchSettings(max_batch=10, flush_interval=60), errors.append)
        records = [record(n, "X") for n in range(1, 41)]
        index = index_of(records)
        writer.received([records[0]], 2)
        await writer.flush()
        for first in range(1, 31, 10):  # three full batches queued at once; the first of them fails
            writer.received_run(index, first, 10, first + 1, 5.0)
            writer.received([], first + 11)
        with pytest.raises(StoreFlushError, match="disk I/O error"):
            await writer.flush()
        assert len(errors) == 1
        assert stored_seqs(tmp_path / "s.db") == ([1], 2)  # nothing behind the failed batch was applied
        await writer.close()  # the retry
        await store.close()
        assert stored_seqs(tmp_path / "s.db") == (list(range(1, 32)), 32)

    asyncio.run(body())
