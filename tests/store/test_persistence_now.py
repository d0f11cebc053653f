"""``OutboundWriter.before_send_now``: stored (or reserved) in the call when no wait is needed, else a coroutine
to await; either way what was acknowledged is stored once, and a MsgSeqNum(34) is never reused."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.store import BatchSettings, FrameRecord, MemoryStore, SessionKey, StoreClosedError, make_writer
from pyfixmsg_plus.store.errors import SequenceReuseError
from pyfixmsg_plus.store.persistence import GroupCommitWriter, OutboundWriter

SESSION = SessionKey("FIX.4.4", "SENDER", "TARGET")


def rec(seq: int) -> FrameRecord:
    return FrameRecord(seq, "D", 1000.0 + seq, f"8=FIX.4.4\x0134={seq}\x01".encode())


class SwitchableStore(MemoryStore):
    """A memory store whose commits wait one loop iteration (as I/O would) while ``waits`` is set, and fail
    while ``fail_next`` counts down; every transaction is recorded."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = False
        self.fail_next = 0
        self.transactions: list[list[int]] = []

    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        if self.waits:
            await asyncio.sleep(0)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError("disk full")
        self.transactions.append([r.seq_num for r in records])
        await super().save_outbound(session, records)

    def saved(self) -> list[int]:
        return [seq for transaction in self.transactions for seq in transaction]


async def stored_numbers(store: MemoryStore) -> list[int]:
    return [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)]


async def acknowledge(writer: OutboundWriter, records: list[FrameRecord]) -> None:
    """What the runner does before writing: the plain call, and the coroutine only when one is returned."""
    pending = writer.before_send_now(records)
    if pending is not None:
        await pending


async def learnt_group_writer(store: SwitchableStore) -> GroupCommitWriter:
    """A group writer that has seen the store commit without waiting (its first commit goes through a task)."""
    writer = make_writer("group", store, SESSION)
    assert isinstance(writer, GroupCommitWriter)
    await writer.before_send([rec(1)])
    return writer


def test_group_over_a_store_that_does_not_wait_stores_in_the_call() -> None:
    async def body() -> None:
        store = SwitchableStore()
        writer = await learnt_group_writer(store)
        assert writer.before_send_now([rec(2), rec(3)]) is None
        assert await stored_numbers(store) == [1, 2, 3]  # stored before anything was awaited
        assert store.transactions == [[1], [2, 3]]

    asyncio.run(body())


def test_group_over_a_store_that_waits_returns_the_wait() -> None:
    async def body() -> None:
        store = SwitchableStore()
        store.waits = True
        writer = make_writer("group", store, SESSION)
        pending = writer.before_send_now([rec(1)])
        assert pending is not None
        assert await stored_numbers(store) == []  # not acknowledged yet: not to be written yet
        await pending
        assert await stored_numbers(store) == [1]

    asyncio.run(body())


def test_a_store_that_waits_after_all_becomes_the_running_transaction() -> None:
    """The fast path started a commit and the store waited: callers of that moment queue behind it, every
    record is stored once and in order, and the writer groups through a task from then on."""

    async def body() -> None:
        store = SwitchableStore()
        writer = await learnt_group_writer(store)
        store.waits = True
        first = writer.before_send_now([rec(2)])
        assert first is not None
        second = writer.before_send_now([rec(3)])  # a transaction runs: this one queues
        third = asyncio.ensure_future(writer.before_send([rec(4)]))
        assert second is not None
        await asyncio.gather(first, second, third)
        assert store.transactions == [[1], [2], [3, 4]]
        assert await stored_numbers(store) == [1, 2, 3, 4]
        await writer.flush()
        store.waits = False
        await acknowledge(writer, [rec(5)])  # through a task once (it learns the store no longer waits)
        assert writer.before_send_now([rec(6)]) is None
        assert store.saved() == [1, 2, 3, 4, 5, 6]

    asyncio.run(body())


def test_a_failed_commit_in_the_call_raises_and_is_reported_once() -> None:
    async def body() -> None:
        store = SwitchableStore()
        errors: list[BaseException] = []
        writer = make_writer("group", store, SESSION, on_error=errors.append)
        await writer.before_send([rec(1)])
        store.fail_next = 1
        with pytest.raises(OSError, match="disk full"):
            writer.before_send_now([rec(2)])
        assert len(errors) == 1 and await stored_numbers(store) == [1]
        assert writer.before_send_now([rec(2)]) is None  # the next attempt goes through
        assert await stored_numbers(store) == [1, 2]

    asyncio.run(body())


def test_a_closed_writer_refuses_in_the_call_or_the_coroutine() -> None:
    async def body() -> None:
        store = SwitchableStore()
        writer = await learnt_group_writer(store)
        await writer.close()
        with pytest.raises(StoreClosedError, match="used after close"):
            await acknowledge(writer, [rec(2)])
        assert await stored_numbers(store) == [1]

    asyncio.run(body())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.booleans(), st.booleans(), st.booleans()), min_size=1, max_size=25))
def test_group_acknowledges_only_what_is_stored_and_stores_it_once(
    steps: list[tuple[int, bool, bool, bool]],
) -> None:
    """Callers of random sizes, some in the same moment, over a store that waits or fails at random: every
    acknowledged record is stored, none twice, and a failed one is not acknowledged."""

    async def body() -> None:
        store = SwitchableStore()
        writer = make_writer("group", store, SESSION)
        next_seq = 1
        calls: list[tuple[list[int], asyncio.Future[None]]] = []
        for size, waits, fails, same_moment in steps:
            store.waits = waits
            store.fail_next = int(fails)
            numbers = list(range(next_seq, next_seq + size))
            next_seq += size
            task = asyncio.ensure_future(acknowledge(writer, [rec(n) for n in numbers]))
            calls.append((numbers, task))
            if not same_moment:
                await asyncio.wait([task])
        await asyncio.wait([task for _, task in calls])
        await writer.flush()
        saved = store.saved()
        assert len(saved) == len(set(saved))
        assert saved == sorted(saved)  # MsgSeqNum order, as the callers came
        acknowledged = [n for numbers, task in calls if task.exception() is None for n in numbers]
        assert set(acknowledged) <= set(saved)
        assert set(saved) == set(await stored_numbers(store))

    asyncio.run(body())


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 20), st.lists(st.integers(1, 7), min_size=1, max_size=30))
def test_write_behind_never_reuses_a_number_after_a_crash(block: int, sizes: list[int]) -> None:
    """Sends acknowledged by ``before_send_now`` (within the reservation: in the call, no store access) are
    above nothing the next run may reuse: after a crash that lost every queued record, a new writer resumes
    above each of them."""

    async def body() -> None:
        store = SwitchableStore()
        settings_ = BatchSettings(max_batch=1000, flush_interval=60.0, reserve_block=block)
        writer = make_writer("write_behind", store, SESSION, settings_)
        await writer.recover()
        sent, next_seq = 0, 1
        for size in sizes:
            records = [rec(n) for n in range(next_seq, next_seq + size)]
            next_seq += size
            await acknowledge(writer, records)
            sent = records[-1].seq_num  # written to the socket from here on
            writer.after_send(records)
        # crash: the queued records never reach the store, the writer is abandoned
        assert store.saved() == []
        state = await make_writer("write_behind", store, SESSION, settings_).recover()
        assert state.resume_sender_seqnum > sent
        assert sent in state.possibly_lost

    asyncio.run(body())


def test_write_behind_inside_its_reservation_needs_no_wait() -> None:
    async def body() -> None:
        store = SwitchableStore()
        writer = make_writer("write_behind", store, SESSION, BatchSettings(reserve_block=100))
        await writer.recover()
        first = writer.before_send_now([rec(1)])
        assert first is not None  # nothing reserved yet: the store is asked
        await first
        assert writer.before_send_now([rec(2), rec(3)]) is None
        beyond = writer.before_send_now([rec(101)])
        assert beyond is not None  # beyond the block: wait for the reservation
        await beyond
        await writer.close()

    asyncio.run(body())


def test_group_over_the_memory_store_saves_by_a_plain_call_from_the_first_send() -> None:
    # no event loop runs here: a coroutine, task or future would need one (MemoryStore.save_outbound_now)
    store = MemoryStore()
    errors: list[BaseException] = []
    writer = make_writer("group", store, SESSION, on_error=errors.append)
    assert writer.before_send_now([rec(1)]) is None
    assert writer.before_send_now([rec(2), rec(3)]) is None
    with pytest.raises(SequenceReuseError, match="2"):
        writer.before_send_now([rec(2)])  # a reused MsgSeqNum(34) is refused by the plain call as by the coroutine
    assert len(errors) == 1
    assert asyncio.run(stored_numbers(store)) == [1, 2, 3]


def test_a_replaced_store_or_save_outbound_is_used_instead_of_the_plain_call() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        writer = make_writer("group", store, SESSION)
        waiting = SwitchableStore()
        waiting.waits = True
        writer.store = waiting  # replaced after the writer was made: its own save_outbound (which waits) is used
        pending = writer.before_send_now([rec(1)])
        assert pending is not None
        await pending
        assert waiting.saved() == [1] and await stored_numbers(store) == []
        other = MemoryStore()
        calls: list[int] = []

        async def counting(session: SessionKey, records: Sequence[FrameRecord]) -> None:
            calls.extend(r.seq_num for r in records)
            await MemoryStore.save_outbound(other, session, records)

        other.save_outbound = counting  # type: ignore[method-assign]
        replaced = make_writer("group", other, SESSION)
        await acknowledge(replaced, [rec(1)])
        assert calls == [1] and await stored_numbers(other) == [1]

    asyncio.run(scenario())
