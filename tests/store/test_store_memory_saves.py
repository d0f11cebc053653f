"""The memory store's one-pass saves keep the checks of the full ones: refused batches leave nothing behind,
errors come in the order the records give them, a caller's buffer is copied at once, and the remembered session
follows close() and reset()."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Coroutine
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.store import (
    Direction,
    FrameRecord,
    MemoryStore,
    MessageQuery,
    SequenceReuseError,
    SessionKey,
    StoreClosedError,
    new_record,
)
from pyfixmsg_plus.store.batching import BatchFlusher, BatchSettings
from pyfixmsg_plus.store.contract import MAX_SEQ_NUM
from pyfixmsg_plus.store.crash_harness import fix_frame
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks

SESSION = SessionKey("FIX.4.4", "ME", "YOU")


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def frame(seq_num: int) -> bytes:
    return f"8=FIX.4.4\x019=5\x0135=D\x0134={seq_num}\x0110=000\x01".encode()


def record(seq_num: int, data: bytes | bytearray | None = None) -> FrameRecord:
    return FrameRecord(seq_num, "D", 1.5, frame(seq_num) if data is None else data)  # type: ignore[arg-type]


def reference_outcome(stored: set[int], numbers: list[int]) -> tuple[str, int | None]:
    """What save_outbound must do with ``numbers`` after ``stored``: the first fault in record order (its kind
    and number), else ("ok", highest number)."""
    seen: set[int] = set()
    for n in numbers:
        if not 1 <= n <= MAX_SEQ_NUM:
            return "range", n
        if n in stored or n in seen:
            return "reuse", n
        seen.add(n)
    return "ok", max(seen, default=None)


seq_numbers = st.one_of(st.integers(-1, 12), st.sampled_from([MAX_SEQ_NUM, MAX_SEQ_NUM + 1]))


@settings(max_examples=150, deadline=None)
@given(first=st.lists(st.integers(1, 12), unique=True, max_size=4), batch=st.lists(seq_numbers, max_size=6))
def test_save_outbound_refuses_or_keeps_exactly_as_the_full_check(first: list[int], batch: list[int]) -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.save_outbound(SESSION, [record(n) for n in first])
        before = (await store.sequence_state(SESSION)).next_sender_seqnum
        kind, number = reference_outcome(set(first), batch)
        if kind == "range":
            with pytest.raises(ValueError, match=rf"MsgSeqNum\(34\) = {number} is outside"):
                await store.save_outbound(SESSION, [record(n) for n in batch])
        elif kind == "reuse":
            with pytest.raises(SequenceReuseError, match=rf"MsgSeqNum\(34\) {number} already stored"):
                await store.save_outbound(SESSION, [record(n) for n in batch])
        else:
            await store.save_outbound(SESSION, [record(n) for n in batch])
        kept = sorted(first + batch) if kind == "ok" else sorted(first)
        frames = await store.get_outbound_frames(SESSION, 1, 0)
        assert [seq for seq, _, _ in frames] == kept
        after = (await store.sequence_state(SESSION)).next_sender_seqnum
        assert after == (max(before, number + 1) if kind == "ok" and number is not None else before)

    run(scenario())


def test_save_outbound_copies_a_buffer_and_keeps_bytes_as_given() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        buffer = bytearray(frame(1))
        given_bytes = record(2)
        await store.save_outbound(SESSION, [record(1, buffer), given_bytes])
        buffer[:2] = b"XX"  # the caller reuses its buffer: the stored frame must not change
        frames = await store.get_outbound_frames(SESSION, 1, 2)
        assert frames[0] == (1, frame(1), "D") and type(frames[0][1]) is bytes
        assert frames[1][1] is given_bytes.data

    run(scenario())


def test_save_inbound_copies_a_buffer_at_once_and_a_later_copy_wins() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        buffer = bytearray(frame(3))
        await store.save_inbound(SESSION, (record(3, buffer),), 4)
        buffer[:2] = b"XX"
        resent = FrameRecord(3, "D", 9.0, frame(3) + b"")
        await store.save_inbound(SESSION, RecordChunks([[record(4)], (resent,)]), 5)
        messages = [m for m in await store.query(MessageQuery()) if m.direction is Direction.INBOUND]
        assert [(m.seq_num, m.sending_time, m.data) for m in messages] == [(3, 9.0, frame(3)), (4, 1.5, frame(4))]
        assert (await store.sequence_state(SESSION)).next_target_seqnum == 5

    run(scenario())


def test_save_inbound_refuses_a_whole_batch_with_one_bad_number() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        with pytest.raises(ValueError, match=r"MsgSeqNum\(34\) = 0 is outside"):
            await store.save_inbound(SESSION, RecordChunks([[record(1)], [record(0)]]), 2)
        assert await store.query(MessageQuery()) == []
        assert (await store.sequence_state(SESSION)).next_target_seqnum == 1

    run(scenario())


def test_the_remembered_session_follows_close_reset_and_equal_keys() -> None:
    async def scenario() -> None:
        store = MemoryStore()
        await store.save_outbound(SESSION, [record(1)])
        equal = SessionKey("FIX.4.4", "ME", "YOU")  # another object, the same session
        await store.save_outbound(equal, [record(2)])
        assert (await store.sequence_state(SESSION)).next_sender_seqnum == 3
        await store.reset(SESSION)
        await store.save_outbound(SESSION, [record(1)])  # the reset session starts afresh: 1 is new again
        assert [seq for seq, _, _ in await store.get_outbound_frames(equal, 1, 0)] == [1]
        await store.close()
        with pytest.raises(StoreClosedError, match="used after close"):
            await store.save_outbound(SESSION, [record(2)])
        with pytest.raises(StoreClosedError, match="used after close"):
            await store.save_inbound(SESSION, [record(2)])

    run(scenario())


def test_new_record_is_a_frame_record() -> None:
    made = new_record((7, "8", 2.25, b"abc"))
    assert type(made) is FrameRecord and made == FrameRecord(7, "8", 2.25, b"abc")
    assert (made.seq_num, made.msg_type, made.sending_time, made.data) == (7, "8", 2.25, b"abc")
    assert pickle.loads(pickle.dumps(made)) == made and made._replace(seq_num=8).seq_num == 8


def test_chunks_take_known_sizes_and_drop_empty_parts() -> None:
    parts: list[list[FrameRecord]] = [[record(1), record(2)], [], [record(3)]]
    chunks = RecordChunks(parts, [2, 0, 1])
    assert len(chunks) == 3 and chunks.parts == [parts[0], parts[2]]
    assert [r.seq_num for r in chunks] == [1, 2, 3] and chunks[2].seq_num == 3


def test_a_batch_takes_whole_groups_up_to_max_batch_and_the_latest_tag() -> None:
    async def scenario() -> list[tuple[list[int], Any]]:
        saved: list[tuple[list[int], Any]] = []

        async def save(records: Any, tag: Any) -> None:
            saved.append(([r.seq_num for r in records], tag))

        flusher = BatchFlusher(save, BatchSettings(max_batch=3, flush_interval=10.0), "test")
        flusher.add([record(1), record(2)], 3)
        flusher.add([record(3)])
        flusher.add([record(4), record(5)], 6)  # would make 5 records: waits for the next batch
        await flusher.close()
        return saved

    assert run(scenario()) == [([1, 2, 3], 3), ([4, 5], 6)]


@pytest.mark.parametrize("sep", [b"\x01", b"|"])
def test_a_run_kept_whole_reads_back_every_msg_type_in_full(impl: Any, sep: bytes) -> None:
    """FrameIndex keeps 8 bytes of MsgType(35): a type that fills them is read from the kept frame itself."""
    types = ["0", "ABCDEFG", "ABCDEFGH", "ABCDEFGHIJKL", "ABCDEFG"]
    frames = [fix_frame([(35, t), (34, str(n + 1))]).replace(b"\x01", sep) for n, t in enumerate(types)]
    index = impl.framing.Framer(sep=sep[0]).feed(b"".join(frames))
    run_ = FrameRun(index, 0, len(types), 1, 4.5)
    expected = list(zip(range(1, 6), types, frames, strict=True))
    assert [(r.seq_num, r.msg_type, r.data) for r in run_.records()] == expected

    async def scenario() -> list[tuple[int, str, float, bytes]]:
        store = MemoryStore()
        await store.save_inbound(SESSION, run_, 6)
        found = await store.query(MessageQuery(direction=Direction.INBOUND))
        return [(m.seq_num, m.msg_type, m.sending_time, m.data) for m in found]

    assert run(scenario()) == [(n + 1, t, 4.5, f) for n, (t, f) in enumerate(zip(types, frames, strict=True))]
