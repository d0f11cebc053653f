"""The store contract, run against every backend (memory, sqlite3, aiosqlite)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pyfixmsg_plus.store import (
    Direction,
    FrameRecord,
    MessageQuery,
    MessageStore,
    MessageStoreFactory,
    SequenceReuseError,
    SessionKey,
)
from pyfixmsg_plus.store.crash_harness import fix_frame

SESSION = SessionKey("FIX.4.4", "SENDER", "TARGET")
OTHER = SessionKey("FIX.4.2", "SENDER", "OTHER")
BACKENDS = ["memory", "database", "aiosqlite"]


def record(seq: int, msg_type: str = "D", sending_time: float = 1000.0) -> FrameRecord:
    data = fix_frame([(35, msg_type), (49, "SENDER"), (56, "TARGET"), (34, str(seq))])
    return FrameRecord(seq, msg_type, sending_time + seq, data)


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(params=BACKENDS)
def store_factory(request: pytest.FixtureRequest, tmp_path: Path):
    def make() -> MessageStore:
        return MessageStoreFactory.get_message_store(
            request.param, tmp_path / "store.db", "FIX.4.4", "SENDER", "TARGET"
        )

    make.backend = request.param  # type: ignore[attr-defined]
    return make


async def _opened(make) -> MessageStore:
    store = make()
    await store.open()
    return store


def test_outbound_round_trip_keeps_exact_bytes(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        records = [record(seq) for seq in range(1, 11)]
        await store.save_outbound(SESSION, records)
        got = await store.get_outbound(SESSION, 3, 5)
        assert [m.seq_num for m in got] == [3, 4, 5]
        assert [m.data for m in got] == [r.data for r in records[2:5]]
        assert all(m.direction is Direction.OUTBOUND and m.session == SESSION for m in got)
        # EndSeqNo(16)=0 means "through the last stored"
        assert [m.seq_num for m in await store.get_outbound(SESSION, 8, 0)] == [8, 9, 10]
        assert (await store.sequence_state(SESSION)).next_sender_seqnum == 11
        await store.close()

    run(body())


def test_reused_outbound_number_is_refused_and_nothing_of_the_batch_is_stored(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_outbound(SESSION, [record(5)])
        with pytest.raises(SequenceReuseError, match="5"):
            await store.save_outbound(SESSION, [record(6), record(5)])
        assert [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)] == [5]
        assert (await store.sequence_state(SESSION)).next_sender_seqnum == 6
        await store.close()

    run(body())


def test_inbound_resend_replaces_and_target_number_is_stored_with_it(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_inbound(SESSION, [record(1), record(2)], next_target_seqnum=3)
        resent = record(2, sending_time=2000.0)
        await store.save_inbound(SESSION, [resent])
        inbound = await store.query(MessageQuery(session=SESSION, direction=Direction.INBOUND))
        assert [(m.seq_num, m.sending_time) for m in inbound] == [(1, 1001.0), (2, 2002.0)]
        assert (await store.sequence_state(SESSION)).next_target_seqnum == 3
        await store.close()

    run(body())


def test_state_survives_reopen(store_factory) -> None:
    if store_factory.backend == "memory":
        pytest.skip("the memory store keeps nothing across instances")

    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_outbound(SESSION, [record(1), record(2)])
        await store.set_sequence_numbers(SESSION, incoming_seqnum=7)
        await store.reserve_through(SESSION, 40)
        created = await store.creation_time(SESSION)
        await store.close()
        again = await _opened(store_factory)
        state = await again.sequence_state(SESSION)
        assert (state.next_sender_seqnum, state.next_target_seqnum, state.reserved_through) == (3, 7, 40)
        assert state.resume_sender_seqnum == 41 and state.possibly_lost == range(3, 41)
        assert state.creation_time == created
        assert (await again.get_message("FIX.4.4", "SENDER", "TARGET", seq_num=2)) == record(2).data
        await again.close()

    run(body())


def test_queries_by_time_and_msg_type_across_batches(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        types = ["D", "0", "8"]
        for start in range(1, 31, 10):  # three batches
            await store.save_outbound(SESSION, [record(s, types[s % 3]) for s in range(start, start + 10)])
        await store.save_outbound(OTHER, [record(1, "8")])
        found = await store.query(MessageQuery(session=SESSION, msg_type="8", since=1005.0, until=1020.0))
        assert [m.seq_num for m in found] == [s for s in range(5, 20) if s % 3 == 2]
        everything_8 = await store.query(MessageQuery(msg_type="8"))
        assert {m.session for m in everything_8} == {SESSION, OTHER}
        by_seq = await store.query(MessageQuery(session=SESSION, first_seq=28, limit=2))
        assert [m.seq_num for m in by_seq] == [28, 29]
        assert await store.sessions() == sorted([SESSION, OTHER])
        await store.close()

    run(body())


def test_prune_deletes_only_older_messages(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_outbound(SESSION, [record(s) for s in range(1, 6)])
        await store.save_outbound(SESSION, [record(s) for s in range(6, 11)])
        assert await store.prune(1004.0) == 3  # sending times 1001..1003
        left = await store.get_outbound(SESSION, 1, 0)
        assert [m.seq_num for m in left] == list(range(4, 11))
        assert await store.prune(1004.0) == 0
        await store.close()

    run(body())


def test_reset_and_set_sequence_numbers(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_outbound(SESSION, [record(s) for s in range(1, 6)])
        # setting the outbound number down re-opens the numbers above it: their old copies go
        await store.set_outgoing_sequence_number(3)
        assert [m.seq_num for m in await store.get_outbound(SESSION, 1, 0)] == [1, 2]
        await store.save_outbound(SESSION, [record(3)])
        await store.reset_sequence_numbers()
        assert await store.get_next_outgoing_sequence_number() == 1
        assert await store.get_next_incoming_sequence_number() == 1
        assert await store.get_outbound(SESSION, 1, 0) == []
        await store.store_message("FIX.4.4", "SENDER", "TARGET", 1, record(1).data)
        assert (await store.query(MessageQuery(session=SESSION)))[0].msg_type == "D"
        assert await store.get_current_outgoing_sequence_number() == 1
        await store.close()

    run(body())


def test_bad_sequence_numbers_name_the_field(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        with pytest.raises(ValueError, match="incoming_seqnum"):
            await store.set_sequence_numbers(SESSION, incoming_seqnum=0)
        with pytest.raises(ValueError, match=r"MsgSeqNum\(34\)"):
            await store.save_outbound(SESSION, [record(1)._replace(seq_num=-1)])
        await store.close()

    run(body())


def test_factory_rejects_unknown_type() -> None:
    with pytest.raises(ValueError, match="message_store_type = 'postgres'"):
        MessageStoreFactory.get_message_store("postgres", "x.db")


def test_batches_larger_than_one_insert_statement_round_trip(store_factory) -> None:
    """SQL stores insert full groups of ROWS_PER_INSERT rows per statement and the rest row by row: every
    row of a batch that spans both is stored exactly once, and a reused number anywhere refuses the batch."""
    from pyfixmsg_plus.store.schema import ROWS_PER_INSERT

    count = 2 * ROWS_PER_INSERT + 37

    async def body() -> None:
        store = await _opened(store_factory)
        records = [record(seq) for seq in range(1, count + 1)]
        await store.save_outbound(SESSION, records)
        got = await store.get_outbound(SESSION, 1, 0)
        assert [(m.seq_num, m.msg_type, m.data) for m in got] == [(r.seq_num, r.msg_type, r.data) for r in records]
        with pytest.raises(SequenceReuseError):
            await store.save_outbound(SESSION, [record(seq) for seq in range(count + 1, count + ROWS_PER_INSERT)]
                                      + [record(ROWS_PER_INSERT)])  # fmt: skip
        assert len(await store.get_outbound(SESSION, 1, 0)) == count
        # inbound: a number twice in one batch keeps the later copy, as row-by-row inserts would
        inbound = [record(seq) for seq in range(1, ROWS_PER_INSERT + 1)] + [record(3, sending_time=5000.0)]
        await store.save_inbound(SESSION, inbound, next_target_seqnum=ROWS_PER_INSERT + 1)
        stored = await store.query(MessageQuery(session=SESSION, direction=Direction.INBOUND))
        assert len(stored) == ROWS_PER_INSERT and stored[2].sending_time == 5003.0
        await store.close()

    run(body())


def test_outbound_frames_for_a_replay_are_the_stored_messages_as_tuples(store_factory) -> None:
    async def body() -> None:
        store = await _opened(store_factory)
        assert await store.get_outbound_frames(SESSION, 1, 0) == []
        await store.save_outbound(SESSION, [record(seq, "D" if seq % 3 else "0") for seq in (1, 2, 3, 5, 8)])
        await store.save_outbound(OTHER, [record(4)])
        for first, last in ((1, 0), (2, 5), (4, 4), (6, 7), (9, 0)):
            expected = [(m.seq_num, m.data, m.msg_type) for m in await store.get_outbound(SESSION, first, last)]
            assert await store.get_outbound_frames(SESSION, first, last) == expected
        assert [seq for seq, _, _ in await store.get_outbound_frames(SESSION, 1, 0)] == [1, 2, 3, 5, 8]
        await store.close()

    run(body())


def test_a_narrow_range_out_of_many_comes_back_in_order(store_factory) -> None:
    """A ResendRequest(2) for a few numbers of a long session, stored out of order and with holes, gives those
    numbers in order (the memory store looks them up instead of sorting the session)."""

    async def body() -> None:
        store = await _opened(store_factory)
        await store.save_outbound(SESSION, [record(seq) for seq in range(40, 101) if seq % 7])
        await store.save_outbound(SESSION, [record(seq) for seq in range(1, 40) if seq % 7])
        for first, last in ((50, 56), (1, 3), (99, 0), (95, 200), (0, 2), (101, 0)):
            top = last or 100
            expected = [seq for seq in range(max(first, 1), min(top, 100) + 1) if seq % 7]
            got = await store.get_outbound_frames(SESSION, first, last)
            assert [seq for seq, _, _ in got] == expected, (first, last)
            assert [(m.seq_num, m.data, m.msg_type) for m in await store.get_outbound(SESSION, first, last)] == got
        await store.close()

    run(body())

