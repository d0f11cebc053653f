"""PersistMessages=N at the store layer: writers made with ``persist_messages=False`` store no outbound message
but keep the next sender MsgSeqNum(34) durable, in every persistence mode and over every bundled backend."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.store import (
    AioSQLiteStore,
    BatchSettings,
    FrameRecord,
    MemoryStore,
    MessageStore,
    PersistenceMode,
    SessionKey,
    SQLiteStore,
    make_writer,
)
from pyfixmsg_plus.store.contract import MAX_SEQ_NUM, Direction, MessageQuery
from pyfixmsg_plus.store.sequence_only import SequenceOnlyStore

SESSION = SessionKey("FIX.4.4", "SENDER", "TARGET")
MODES = [mode.value for mode in PersistenceMode]
BACKENDS = ["memory", "sqlite", "aiosqlite"]
#: write-behind batches flush after this many seconds: short, so its tests do not wait
BATCH = BatchSettings(max_batch=3, flush_interval=0.001, reserve_block=4)


def rec(seq: int) -> FrameRecord:
    return FrameRecord(seq, "D", 1000.0 + seq, f"8=FIX.4.4\x0135=D\x0134={seq}\x01".encode())


def make_store(backend: str, path: Path) -> MessageStore:
    if backend == "memory":
        return MemoryStore()
    if backend == "sqlite":
        return SQLiteStore(path)
    return AioSQLiteStore(path)


async def outbound_rows(store: MessageStore) -> list[int]:
    """MsgSeqNum(34)s of every outbound message the store holds."""
    found = await store.query(MessageQuery(session=SESSION, direction=Direction.OUTBOUND))
    return [message.seq_num for message in found]


async def send(writer_mode: str, store: MessageStore, numbers: list[list[int]], persist: bool) -> None:
    """Drive a writer as the engine does (before_send_now, the write, after_send) over groups of numbers, then
    close it (which flushes write-behind batches)."""
    writer = make_writer(writer_mode, store, SESSION, BATCH, persist_messages=persist)
    await writer.recover()
    for group in numbers:
        records = [rec(seq) for seq in group]
        pending = writer.before_send_now(records)
        if pending is not None:
            await pending
        writer.after_send(records)
    await writer.close()


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 30))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", MODES)
def test_no_message_is_stored_but_the_sender_number_advances(mode: str, backend: str, tmp_path: Path) -> None:
    async def body() -> None:
        store = make_store(backend, tmp_path / "n.db")
        await store.open()
        try:
            await send(mode, store, [[1], [2, 3], [4], [5, 6, 7]], persist=False)
            assert await outbound_rows(store) == []
            assert await store.get_outbound_frames(SESSION, 1, 0) == []
            state = await store.sequence_state(SESSION)
            assert state.next_sender_seqnum == 8
            assert state.resume_sender_seqnum >= 8  # write_behind may hold a reservation above it
        finally:
            await store.close()

    run(body)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", MODES)
def test_persist_messages_y_still_stores_every_message(mode: str, backend: str, tmp_path: Path) -> None:
    async def body() -> None:
        store = make_store(backend, tmp_path / "y.db")
        await store.open()
        try:
            await send(mode, store, [[1], [2, 3], [4]], persist=True)
            assert await outbound_rows(store) == [1, 2, 3, 4]
            assert (await store.sequence_state(SESSION)).next_sender_seqnum == 5
        finally:
            await store.close()

    run(body)


@pytest.mark.parametrize("backend", ["sqlite", "aiosqlite"])
@pytest.mark.parametrize("mode", MODES)
def test_the_sender_number_survives_reopening_the_file(mode: str, backend: str, tmp_path: Path) -> None:
    async def body() -> None:
        path = tmp_path / "restart.db"
        first = make_store(backend, path)
        await first.open()
        await send(mode, first, [[1, 2], [3]], persist=False)
        await first.close()
        second = make_store(backend, path)
        await second.open()
        try:
            state = await second.sequence_state(SESSION)
            assert state.next_sender_seqnum == 4
            assert await outbound_rows(second) == []
            # the next run continues the numbering and still stores nothing
            await send(mode, second, [[state.resume_sender_seqnum]], persist=False)
            assert (await second.sequence_state(SESSION)).next_sender_seqnum == state.resume_sender_seqnum + 1
            assert await outbound_rows(second) == []
        finally:
            await second.close()

    run(body)


def test_inbound_messages_are_still_stored_through_the_wrapper() -> None:
    async def body() -> None:
        inner = MemoryStore()
        wrapped = SequenceOnlyStore(inner)
        await wrapped.save_inbound(SESSION, [rec(1), rec(2)], next_target_seqnum=3)
        found = await inner.query(MessageQuery(session=SESSION, direction=Direction.INBOUND))
        assert [message.seq_num for message in found] == [1, 2]
        assert (await inner.sequence_state(SESSION)).next_target_seqnum == 3

    run(body)


def test_the_wrapper_refuses_an_unstorable_number_naming_the_field() -> None:
    async def body() -> None:
        wrapped = SequenceOnlyStore(MemoryStore())
        with pytest.raises(ValueError, match=r"MsgSeqNum\(34\) = 0 is outside"):
            await wrapped.save_outbound(SESSION, [FrameRecord(0, "D", 0.0, b"")])
        with pytest.raises(ValueError, match=rf"MsgSeqNum\(34\) = {MAX_SEQ_NUM + 1} is outside"):
            await wrapped.save_outbound(SESSION, [FrameRecord(MAX_SEQ_NUM + 1, "D", 0.0, b"")])
        assert (await wrapped.sequence_state(SESSION)).next_sender_seqnum == 1  # nothing moved

    run(body)


@pytest.mark.parametrize("backend", BACKENDS)
def test_advance_sender_seqnum_never_lowers_and_checks_its_range(backend: str, tmp_path: Path) -> None:
    async def body() -> None:
        store = make_store(backend, tmp_path / "advance.db")
        await store.open()
        try:
            await store.advance_sender_seqnum(SESSION, 10)
            await store.advance_sender_seqnum(SESSION, 4)
            assert (await store.sequence_state(SESSION)).next_sender_seqnum == 10
            await store.advance_sender_seqnum(SESSION, MAX_SEQ_NUM + 1)  # after the last storable number
            for bad in (0, MAX_SEQ_NUM + 2):
                with pytest.raises(ValueError, match=rf"next sender MsgSeqNum\(34\) = {bad} is outside"):
                    await store.advance_sender_seqnum(SESSION, bad)
        finally:
            await store.close()

    run(body)


class _ContractOnlyStore(MemoryStore):
    """A store that keeps the contract's default ``advance_sender_seqnum`` (as a third-party backend would)."""

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        await MessageStore.advance_sender_seqnum(self, session, next_sender_seqnum)


@pytest.mark.parametrize("mode", MODES)
def test_the_contract_default_reserves_so_recovery_resumes_above(mode: str) -> None:
    """Whatever the mode, a store whose advance only reserves never lets a restart reuse a number sent: the
    write-behind writer's clean close gives back only what lies above the highest number it handed out."""

    async def body() -> None:
        store = _ContractOnlyStore()
        await send(mode, store, [[1, 2, 3]], persist=False)
        state = await store.sequence_state(SESSION)
        assert await outbound_rows(store) == []
        assert state.resume_sender_seqnum == 4
        # reserved, not stored: a ResendRequest for them is gap-filled (write_behind's clean close moved the next
        # number itself past them instead, with the same answer: nothing stored to resend)
        assert list(state.possibly_lost) == ([] if mode == "write_behind" else [1, 2, 3])

    run(body)


@settings(max_examples=30, deadline=None)
@given(groups=st.lists(st.lists(st.integers(1, 50), min_size=1, max_size=5), min_size=1, max_size=8))
def test_the_next_sender_number_is_one_above_the_highest_sent(groups: list[list[int]]) -> None:
    """Any groups of numbers (even out of order or repeated: the wrapper has no copies to compare) leave the
    next sender number one above the highest, and the memory store empty of outbound messages."""

    async def body() -> None:
        store = MemoryStore()
        await send("sync", store, groups, persist=False)
        assert await outbound_rows(store) == []
        expected = max(max(group) for group in groups) + 1
        assert (await store.sequence_state(SESSION)).next_sender_seqnum == expected

    run(body)


def test_group_mode_over_the_memory_store_advances_in_a_plain_call() -> None:
    async def body() -> None:
        store = MemoryStore()
        writer = make_writer("group", store, SESSION, persist_messages=False)
        for seq in (1, 2, 3):
            assert writer.before_send_now([rec(seq)]) is None  # nothing to await: the number moved already
            assert (await store.sequence_state(SESSION)).next_sender_seqnum == seq + 1
        assert await outbound_rows(store) == []

    run(body)


class _CountingStore(MemoryStore):
    """A memory store whose ``advance_sender_seqnum`` is its own (counted): the writer must keep calling it."""

    def __init__(self) -> None:
        super().__init__()
        self.advances: list[int] = []

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        self.advances.append(next_sender_seqnum)
        await super().advance_sender_seqnum(session, next_sender_seqnum)


def test_a_store_overriding_advance_sender_seqnum_is_still_called_in_group_mode() -> None:
    async def body() -> None:
        store = _CountingStore()
        await send("group", store, [[1], [2, 3], [4]], persist=False)
        assert store.advances == [2, 4, 5]
        assert await outbound_rows(store) == []

    run(body)
