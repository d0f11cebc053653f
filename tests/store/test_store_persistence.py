"""Persistence modes: group commit, write-behind batching and reservation, failures surfaced."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.store import (
    BatchSettings,
    FrameRecord,
    InboundWriter,
    MemoryStore,
    MessageStore,
    PersistenceMode,
    SessionKey,
    SQLiteStore,
    StoreClosedError,
    StoreFlushError,
    make_writer,
)
from pyfixmsg_plus.store.contract import Direction, MessageQuery

SESSION = SessionKey("FIX.4.4", "SENDER", "TARGET")


def rec(seq: int) -> FrameRecord:
    return FrameRecord(seq, "D", 1000.0 + seq, f"8=FIX.4.4\x0134={seq}\x01".encode())


class RecordingStore(MemoryStore):
    """A memory store that records each transaction and can be told to fail."""

    def __init__(self) -> None:
        super().__init__()
        self.transactions: list[list[int]] = []
        self.saved_at: list[float] = []  # the event loop's clock (s) when each transaction was recorded
        self.fail_next = 0
        self.delay = 0.0

    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        await asyncio.sleep(self.delay)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("disk full")
        self.transactions.append([r.seq_num for r in records])
        self.saved_at.append(asyncio.get_running_loop().time())
        await super().save_outbound(session, records)


def run(coro):
    return asyncio.run(coro)


#: how long (s) a test waits for a background flush that must happen; generous for a slow or busy machine
ARRIVAL_TIMEOUT_S = 10.0


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` every 5 ms until it holds; fail naming ``what`` after ``ARRIVAL_TIMEOUT_S`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ARRIVAL_TIMEOUT_S
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not happen within {ARRIVAL_TIMEOUT_S} s")
        await asyncio.sleep(0.005)


def test_mode_names_parse_and_bad_name_lists_choices() -> None:
    assert PersistenceMode.parse(" Write_Behind ") is PersistenceMode.WRITE_BEHIND
    with pytest.raises(ValueError, match="persistence_mode = 'fast' is not one of sync, group, write_behind"):
        PersistenceMode.parse("fast")


def test_sync_stores_each_call_in_its_own_transaction_before_returning() -> None:
    async def body() -> None:
        store = RecordingStore()
        writer = make_writer("sync", store, SESSION)
        for seq in (1, 2, 3):
            await writer.before_send([rec(seq)])
            assert store.transactions[-1] == [seq]  # stored before the caller may write it
        assert store.transactions == [[1], [2], [3]]

    run(body())


def test_group_commit_stores_concurrent_callers_together_before_any_write() -> None:
    async def body() -> None:
        store = RecordingStore()
        store.delay = 0.01
        writer = make_writer("group", store, SESSION, BatchSettings(max_batch=30))
        written: list[int] = []

        async def send(seq: int) -> None:
            await writer.before_send([rec(seq)])
            stored = {s for t in store.transactions for s in t}
            assert seq in stored  # stored-before-sent
            written.append(seq)

        await asyncio.gather(*(send(seq) for seq in range(1, 101)))
        assert sorted(written) == list(range(1, 101))
        assert len(store.transactions) < 10  # 100 callers, a handful of transactions
        assert max(len(t) for t in store.transactions) <= 30  # max_batch caps a transaction

    run(body())


def test_group_commit_failure_reaches_every_caller_of_the_batch() -> None:
    async def body() -> None:
        store = RecordingStore()
        store.delay = 0.01
        errors: list[BaseException] = []
        writer = make_writer("group", store, SESSION, on_error=errors.append)
        store.fail_next = 1
        results = await asyncio.gather(*(writer.before_send([rec(s)]) for s in (1, 2, 3)), return_exceptions=True)
        assert all(isinstance(r, OSError) for r in results)
        assert len(errors) == 1
        await writer.before_send([rec(1)])  # the next transaction works again
        assert store.transactions == [[1]]

    run(body())


def test_write_behind_flushes_by_size_and_by_time() -> None:
    async def body() -> None:
        store = RecordingStore()
        writer = make_writer("write_behind", store, SESSION, BatchSettings(max_batch=10, flush_interval=0.02))
        await writer.recover()
        for seq in range(1, 11):
            await writer.before_send([rec(seq)])
            writer.after_send([rec(seq)])
        await asyncio.sleep(0)  # the size trigger starts a flush at once
        await asyncio.sleep(0)
        assert store.transactions == [list(range(1, 11))]
        await writer.before_send([rec(11)])
        queued_at = asyncio.get_running_loop().time()
        writer.after_send([rec(11)])
        # one record is under max_batch: it waits flush_interval, then goes alone. Checked by the loop's clock
        # (when the flush ran), not by sleeping a guessed time: a busy machine can run a due timer late.
        await wait_until(lambda: len(store.transactions) == 2, "the timed flush of record 11")
        assert store.transactions[-1] == [11]
        early = time.get_clock_info("monotonic").resolution  # asyncio runs a timer up to this much early
        assert store.saved_at[-1] - queued_at >= 0.02 - early  # not before flush_interval
        await writer.close()

    run(body())


def test_write_behind_failure_is_raised_to_next_caller_and_records_are_retried() -> None:
    async def body() -> None:
        store = RecordingStore()
        errors: list[BaseException] = []
        writer = make_writer("write_behind", store, SESSION, BatchSettings(flush_interval=0.001), errors.append)
        await writer.recover()
        store.fail_next = 1
        await writer.before_send([rec(1)])
        writer.after_send([rec(1)])
        await wait_until(lambda: bool(errors), "the failed flush's callback")
        assert len(errors) == 1 and isinstance(errors[0], OSError)
        with pytest.raises(StoreFlushError, match="disk full"):
            writer.after_send([rec(2)])  # queued, then the earlier failure is raised
        await writer.flush()
        assert [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)] == [1, 2]

    run(body())


def test_write_behind_reserves_durably_ahead_and_recovery_resumes_above() -> None:
    async def body() -> None:
        store = MemoryStore()
        settings = BatchSettings(reserve_block=10, flush_interval=60.0)
        writer = make_writer("write_behind", store, SESSION, settings)
        assert (await writer.recover()).resume_sender_seqnum == 1
        for seq in range(1, 9):
            await writer.before_send([rec(seq)])
            writer.after_send([rec(seq)])
            assert (await store.sequence_state(SESSION)).reserved_through >= seq  # durable before the write
        await asyncio.sleep(0)
        assert (await store.sequence_state(SESSION)).reserved_through >= 18  # next block reserved in background
        # "crash": nothing flushed (flush_interval is a minute); a new writer must not reuse 1..8
        state = await make_writer("write_behind", store, SESSION, settings).recover()
        assert state.resume_sender_seqnum > 8
        assert set(range(1, 9)) <= set(state.possibly_lost)
        assert await store.get_outbound(SESSION, 1, 0) == []  # answered with GapFill

    run(body())


#: a write-behind reservation far above the few numbers these tests send
WIDE_RESERVATION = BatchSettings(reserve_block=100, flush_interval=60.0)


async def write_behind_sent_through(store: MessageStore, last: int) -> Any:
    """A recovered write-behind writer over ``store`` that sent (and handed to after_send) numbers 1..last."""
    writer = make_writer("write_behind", store, SESSION, WIDE_RESERVATION)
    await writer.recover()
    for seq in range(1, last + 1):
        await writer.before_send([rec(seq)])
        writer.after_send([rec(seq)])
    return writer


async def resume_after(store: MessageStore) -> Any:
    """The sequence state a new write-behind writer recovers from ``store``."""
    return await make_writer("write_behind", store, SESSION, WIDE_RESERVATION).recover()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_write_behind_gives_back_its_unused_reservation_on_a_clean_close(backend: str, tmp_path: Path) -> None:
    """A clean close stores every number sent, so the next run resumes right after the last one sent (not a
    reserve_block later); without the close (a crash) it resumes above the reservation."""

    async def body() -> None:
        store: MessageStore = MemoryStore() if backend == "memory" else SQLiteStore(tmp_path / "wb.db")
        await store.open()
        writer = await write_behind_sent_through(store, 5)
        assert (await resume_after(store)).resume_sender_seqnum > 100  # a crash: the reservation holds
        await writer.close()
        state = await resume_after(store)
        assert (state.resume_sender_seqnum, list(state.possibly_lost)) == (6, [])
        assert [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)] == [1, 2, 3, 4, 5]
        await store.close()

    run(body())


def test_write_behind_refuses_a_send_once_close_began_and_never_gives_back_a_number_handed_out() -> None:
    """A send that starts while the writer closes is refused before it is written; one handed out before the
    close but never stored (its after_send refused) keeps its number out of reach of the next run."""

    class SlowState(MemoryStore):
        async def sequence_state(self, session: SessionKey) -> Any:
            await asyncio.sleep(0.01)  # the release's read: a moment for a send to slip in
            return await super().sequence_state(session)

    async def body() -> None:
        store = SlowState()
        writer = await write_behind_sent_through(store, 3)
        assert writer.before_send_now([rec(4)]) is None  # handed out, written, but its after_send comes late
        closing = asyncio.create_task(writer.close())
        await asyncio.sleep(0)
        with pytest.raises(StoreClosedError):
            writer.before_send_now([rec(5)])
        with pytest.raises(StoreClosedError):
            writer.after_send([rec(4)])
        await closing
        state = await resume_after(store)
        assert state.resume_sender_seqnum == 5  # 4 may have reached the peer: never reused
        assert [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)] == [1, 2, 3]

    run(body())


def test_inbound_writer_stores_expected_number_with_its_batch() -> None:
    async def body() -> None:
        store = MemoryStore()
        writer = InboundWriter(store, SESSION, BatchSettings(max_batch=2, flush_interval=0.001))
        writer.received([rec(1)], next_target_seqnum=2)
        writer.received([rec(2)], next_target_seqnum=3)
        writer.received([rec(3)])
        await writer.close()
        stored = await store.query(MessageQuery(direction=Direction.INBOUND))
        assert [m.seq_num for m in stored] == [1, 2, 3]
        assert (await store.sequence_state(SESSION)).next_target_seqnum == 3

    run(body())
