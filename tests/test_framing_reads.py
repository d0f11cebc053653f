"""Reading straight into the framer (``ReadBuffer``, ``Framer.get_buffer``/``received``): the bytes handed out are
the bytes read (after the kept remainder), stay unchanged whatever later reads or stale views write, and frame as
the whole stream does. Both implementations."""

from __future__ import annotations

import contextlib
import itertools
import pickle
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.encoder import encode_message


def md_frame(seqnum: int) -> bytes:
    """A MarketDataIncrementalRefresh(35=X) frame of about 130 bytes."""
    return encode_message("FIX.4.4", [(35, "X"), (34, seqnum), (49, "QF"), (52, "20261127-23:00:00.000"), (56, "US"),
                                      (268, 1), (279, 0), (269, 0), (55, "EUR/USD"), (270, 1.1), (271, 100)])


STREAM = b"".join(md_frame(seq) for seq in range(1, 41))


def read_into(reader: Any, data: bytes) -> bytes:
    """One socket read of ``data`` through ``reader``'s room, as a transport does it."""
    room = reader.get_buffer(-1)
    room[: len(data)] = data
    del room
    return bytes(reader.received(len(data)))


def frames_of(index: Any) -> list[bytes]:
    return [index.frame(i) for i in range(index.count)]


def test_read_buffer_hands_out_the_bytes_read(impl: Any) -> None:
    reads = impl.framing.ReadBuffer(64)
    assert reads.capacity == 64
    assert len(reads.get_buffer(-1)) == 64
    first = reads.received(0)
    assert first == b""
    assert read_into(reads, b"hello") == b"hello"
    assert read_into(reads, b"x" * 64) == b"x" * 64


def test_bytes_handed_out_never_change_after_later_reads(impl: Any) -> None:
    reads = impl.framing.ReadBuffer(32)
    kept = [read_into(reads, bytes([65 + k]) * 32) for k in range(5)]
    assert kept == [bytes([65 + k]) * 32 for k in range(5)]


def test_a_view_still_open_cannot_change_the_bytes_handed_out(impl: Any) -> None:
    # A transport that keeps a view of the room past buffer_updated (uvloop releases its own only afterwards):
    # what it writes then must not reach the bytes already handed out.
    reads = impl.framing.ReadBuffer(16)
    room = reads.get_buffer(-1)
    stale = memoryview(room)[2:]
    room[:6] = b"abcdef"
    data = reads.received(6)
    stale[:4] = b"ZZZZ"
    assert data == b"abcdef"
    assert read_into(reads, b"next") == b"next"
    assert data == b"abcdef"


def test_the_same_room_is_given_again_until_a_read_fills_it(impl: Any) -> None:
    framer = impl.framing.Framer()
    framer.feed(STREAM[:50])
    room = framer.get_buffer(-1)
    room[:10] = STREAM[50:60]  # a read that found nothing (EAGAIN) may have asked already: ask again
    again = framer.get_buffer(-1)
    again[:10] = STREAM[50:60]
    del room, again
    data = framer.received(10)
    assert data == STREAM[:60]
    assert framer.pending == 0


def test_received_without_get_buffer_is_refused(impl: Any) -> None:
    with pytest.raises(RuntimeError, match="without get_buffer"):
        impl.framing.ReadBuffer().received(1)
    with pytest.raises(RuntimeError, match="without get_buffer"):
        impl.framing.Framer().received(1)


@pytest.mark.parametrize("nbytes", [-1, 17, 2.0])
def test_received_refuses_a_count_outside_the_room(impl: Any, nbytes: Any) -> None:
    reads = impl.framing.ReadBuffer(16)
    reads.get_buffer(-1)
    with pytest.raises(ValueError, match=r"nbytes=.*capacity=16"):
        reads.received(nbytes)


@pytest.mark.parametrize("capacity", [0, -5, 1.5, "64"])
def test_read_buffer_refuses_a_bad_capacity(impl: Any, capacity: Any) -> None:
    with pytest.raises(ValueError, match="capacity"):
        impl.framing.ReadBuffer(capacity)


def test_the_kept_remainder_comes_before_the_read(impl: Any) -> None:
    framer = impl.framing.Framer()
    cut = len(md_frame(1)) + 30
    first = framer.feed(STREAM[:cut])
    assert first.count == 1 and framer.pending == 30
    data = read_into(framer, STREAM[cut:])
    assert data == STREAM[len(md_frame(1)):]
    assert framer.pending == 0
    assert frames_of(first) + frames_of(framer.feed(data)) == frames_of(impl.framing.split_frames(STREAM))


def test_bytes_fed_between_get_buffer_and_received_keep_their_place(impl: Any) -> None:
    framer = impl.framing.Framer()
    room = framer.get_buffer(-1)
    assert framer.feed(STREAM[:20]).count == 0  # a caller handing bytes in directly meanwhile
    room[:20] = STREAM[20:40]
    del room
    assert framer.received(20) == STREAM[:40]


def test_a_one_frame_read_is_recognised_after_a_remainder_was_carried(impl: Any) -> None:
    framer = impl.framing.Framer()
    one = md_frame(7)
    framer.feed(one[:25])
    data = read_into(framer, one[25:])
    assert framer.msgtype_if_one_frame(data) == b"X"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12, unique=True))
def test_reading_into_the_framer_frames_as_the_whole_stream(impl: Any, cuts: list[int]) -> None:
    framer, frames, kept = impl.framing.Framer(), [], []
    bounds = [0, *sorted(cuts), len(STREAM)]
    for lo, hi in itertools.pairwise(bounds):
        index = framer.feed(read_into(framer, STREAM[lo:hi]))
        kept.append((index, bytes(index.buffer)))
        frames += frames_of(index)
    assert frames == frames_of(impl.framing.split_frames(STREAM))
    assert all(bytes(index.buffer) == snapshot for index, snapshot in kept)  # as a store keeps them


def test_long_reads_are_handed_out_without_a_copy_and_stay_intact(impl: Any) -> None:
    # Reads of half the room or more are the room's own bytes in the compiled twin (cut to size, not copied):
    # a blast fills whole rooms, and the memory store keeps each read's buffer.
    stream = b"".join(md_frame(seq) for seq in range(1, 4001))
    framer, frames, kept = impl.framing.Framer(), [], []
    read = impl.framing.DEFAULT_READ_SIZE * 3 // 4
    for at in range(0, len(stream), read):
        index = framer.feed(read_into(framer, stream[at : at + read]))
        kept.append((index, bytes(index.buffer)))
        frames += frames_of(index)
    assert len(stream) > 2 * read and frames == frames_of(impl.framing.split_frames(stream))
    assert all(bytes(index.buffer) == snapshot for index, snapshot in kept)


def uvloop_read(reader: Any, data: bytes) -> bytes:
    """One read as uvloop makes it: its own export of the room's view held until ``received`` returned."""
    room = reader.get_buffer(-1)
    held = pickle.PickleBuffer(room)  # an export of the view, as uvloop's Py_buffer
    room[: len(data)] = data
    del room
    try:
        return reader.received(len(data))
    finally:
        held.release()


def scribble(holder: Any, data: bytes) -> None:
    """Write ``data`` at the start of what ``holder`` reaches, unless it was released (then nothing can be)."""
    with contextlib.suppress(ValueError):  # "operation forbidden on released memoryview object"
        memoryview(holder)[: len(data)] = data


HOLDERS = {
    "a kept reference": lambda room: room,
    "a slice": lambda room: room[8:],
    "an open export": pickle.PickleBuffer,
    "a second view of the room": lambda room: memoryview(room.obj),
}


def test_a_short_reads_view_is_handed_out_again_while_nothing_else_reaches_it(impl: Any) -> None:
    # the compiled twin: no new memoryview a read (uvloop's read path) while the view is the buffer's alone
    reads = impl.framing.ReadBuffer(64)
    assert uvloop_read(reads, b"one") == b"one"
    first = id(reads.get_buffer(-1))
    assert reads.received(3) == b"one"
    assert uvloop_read(reads, b"two") == b"two"
    if impl.name == "compiled":
        assert id(reads.get_buffer(-1)) == first
        assert reads.received(0) == b""


@pytest.mark.parametrize("hold", HOLDERS.values(), ids=list(HOLDERS))
def test_a_held_view_of_an_earlier_read_never_writes_into_a_later_read(impl: Any, hold: Any) -> None:
    # Whatever still reaches the room of a short read (a reference, a slice, an export, another view) keeps the
    # compiled twin from handing that room out again: what the holder writes later reaches no later read's bytes.
    reads = impl.framing.ReadBuffer(64)
    assert uvloop_read(reads, b"first") == b"first"
    room = reads.get_buffer(-1)
    holder = hold(room)
    room[:5] = b"later"
    del room
    data = reads.received(5)
    fresh = reads.get_buffer(-1)
    fresh[:16] = b"n" * 16
    del fresh
    if impl.name == "compiled":  # the pure twin copies out of one bytearray: only bytes handed out are kept safe
        scribble(holder, b"ZZZZ")
    assert reads.received(16) == b"n" * 16
    scribble(holder, b"YYYY")
    assert data == b"later"
    assert uvloop_read(reads, b"third") == b"third"
