"""PipelinedFlusher without event-loop turns: a batch the writer thread has finished (``ended_on_thread``) frees
its slot at once, the full batches that piled up while the thread was busy start as one transaction, and nothing
starts behind a batch that failed on the thread until the loop has settled it.

During an inbound blast the loop may not turn for 100-200 ms (uvloop reads a busy socket many times in one
iteration), so these are the cases the aiosqlite inbound writer meets while messages are delivered with fromApp.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from test_store_contract import SESSION, record
from test_store_runs import index_of

from pyfixmsg_plus.store import BatchSettings, FrameRecord, InboundWriter, MessageStoreFactory
from pyfixmsg_plus.store.aiosqlite_store import ThreadWrite
from pyfixmsg_plus.store.pipelined import PipelinedFlusher


def rec(seq: int) -> FrameRecord:
    return FrameRecord(seq, "X", 1.0, b"%d" % seq)


class MarkingThread:
    """A writer thread the test drives: each queued batch gets a ThreadWrite the test marks as ended (as the
    real thread does, without settling the future) or settles."""

    def __init__(self) -> None:
        self.queued: list[tuple[list[int], ThreadWrite]] = []
        self.saved: list[list[int]] = []

    def queue(self, records: Sequence[FrameRecord], tag: Any) -> asyncio.Future[None] | None:
        future = ThreadWrite(loop=asyncio.get_running_loop())
        self.queued.append(([r.seq_num for r in records], future))
        return future

    async def save(self, records: Sequence[FrameRecord], tag: Any) -> None:
        self.saved.append([r.seq_num for r in records])

    def batches(self) -> list[list[int]]:
        return [seqs for seqs, _ in self.queued]


def flusher(thread: MarkingThread, depth: int, merge: int = 16) -> PipelinedFlusher:
    settings = BatchSettings(max_batch=3, flush_interval=60)
    return PipelinedFlusher(thread.save, thread.queue, settings, "test writer", None, depth, merge)


def test_a_batch_ended_on_the_thread_frees_its_slot_without_a_loop_turn() -> None:
    async def body() -> None:
        thread = MarkingThread()
        batches = flusher(thread, depth=1)
        for seq in range(1, 7):
            batches.add([rec(seq)])
        assert thread.batches() == [[1, 2, 3]]  # the thread is busy with the first: the second waits
        thread.queued[0][1].ended_on_thread = True  # the thread finished it; the loop has not turned
        batches.add([rec(7)])
        assert thread.batches() == [[1, 2, 3], [4, 5, 6]]
        assert batches.queued == 7  # nothing leaves the queue before the loop settles the futures
        for _, future in thread.queued:
            future.set_result(None)
        thread.queued[1][1].ended_on_thread = True
        await batches.close()
        assert thread.saved == [[7]] and batches.queued == 0

    asyncio.run(body())


def test_full_batches_piled_up_behind_a_busy_thread_start_as_one_transaction() -> None:
    async def body() -> None:
        thread = MarkingThread()
        batches = flusher(thread, depth=2, merge=3)
        for seq in range(1, 25):
            batches.add([rec(seq)])
        # idle thread: one batch; busy with it: the next full batch; then both slots are taken
        assert thread.batches() == [[1, 2, 3], [4, 5, 6]]
        thread.queued[0][1].ended_on_thread = True
        batches.add([rec(25)])
        # six full batches wait (7..24): at most merge=3 of them go as one transaction
        assert thread.batches()[2:] == [list(range(7, 16))]
        for _, future in thread.queued:
            future.ended_on_thread = True
        batches.add([rec(26)])
        # the thread idle again: one batch alone, then, behind it, the rest that waits as one
        assert thread.batches()[3:] == [[16, 17, 18], list(range(19, 25))]
        for _, future in thread.queued:
            future.set_result(None)
        await batches.close()
        assert thread.saved == [[25, 26]] and batches.queued == 0

    asyncio.run(body())


def test_nothing_starts_behind_a_batch_that_failed_on_the_thread_until_the_loop_settles_it() -> None:
    async def body() -> None:
        thread = MarkingThread()
        errors: list[BaseException] = []
        batches = PipelinedFlusher(thread.save, thread.queue, BatchSettings(max_batch=3, flush_interval=60),
                                   "test writer", errors.append, 2, 16)  # fmt: skip
        for seq in range(1, 7):
            batches.add([rec(seq)])
        first = thread.queued[0][1]
        first.ended_on_thread = first.failed_on_thread = True
        for seq in range(7, 13):
            batches.add([rec(seq)])
        assert thread.batches() == [[1, 2, 3], [4, 5, 6]]  # a slot is free, but a batch before it failed
        first.set_exception(OSError("disk full"))
        thread.queued[1][1].set_exception(OSError("not applied: an earlier write failed"))
        await asyncio.sleep(0)
        assert len(errors) == 1 and batches.queued == 12  # all kept for the retry

    asyncio.run(body())


def stored(path: Path) -> tuple[int, int]:
    connection = sqlite3.connect(path)
    try:
        (rows,) = connection.execute("SELECT count(*) FROM messages").fetchone()
        (target,) = connection.execute("SELECT next_target_seqnum FROM sessions").fetchone()
    finally:
        connection.close()
    return int(rows), int(target)


def wait_for_thread(futures: Sequence[Any], timeout: float = 10.0) -> None:
    """Block this thread (the loop's: no loop turn) until the writer thread has ended every write given."""
    deadline = time.monotonic() + timeout
    while not all(getattr(f, "ended_on_thread", True) for f in futures) and time.monotonic() < deadline:
        time.sleep(0.001)


def test_the_aiosqlite_inbound_writer_commits_batch_after_batch_while_the_loop_does_not_turn(tmp_path: Path) -> None:
    async def body() -> None:
        path = tmp_path / "s.db"
        store = MessageStoreFactory.get_message_store("aiosqlite", path, "FIX.4.4", "SENDER", "TARGET")
        await store.open()
        writer = InboundWriter(store, SESSION, BatchSettings(max_batch=10, flush_interval=60))
        records = [record(n, "X") for n in range(1, 102)]
        index = index_of(records)
        writer.received([records[0]], 2)
        await writer.flush()  # registers the session; from here on no await until every run is handed over
        for first in range(1, 101, 10):
            writer.received_run(index, first, 10, first + 1, 5.0)
            writer.received([], first + 11)
            wait_for_thread(store._chain_futures)  # type: ignore[attr-defined]
        # ten batches committed by the thread in the same loop iteration (before: two, then a wait for the loop);
        # each carries the next expected number queued before its run, the last one's (102) is still queued
        assert stored(path) == (101, 92)
        await writer.close()
        await store.close()
        assert stored(path) == (101, 102)

    asyncio.run(body())
