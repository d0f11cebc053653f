"""Batch delivery (BatchReceived), receive_index, and the session's public setters, with a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_session_rules import T0, frames, kinds, logged_on, msg

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session import (
    BatchReceived,
    FrameIgnored,
    MessageReceived,
    Output,
    Session,
    SessionConfig,
    SessionState,
    StoreInbound,
    StoreInboundRun,
)
from pyfixmsg_plus.session.batch import BatchCollector, index_of_frames, restrict

MD = "X"  # MarketDataIncrementalRefresh


def md(seqnum: int, price: int = 1) -> bytes:
    return msg(MD, seqnum, T0, (268, 1), (279, 0), (269, 0), (270, price))


def batch_session(check_latency: bool = True) -> Session:
    return logged_on(batch_msg_types=frozenset({MD}), check_latency=check_latency)


def batches(outputs: list[Output]) -> list[list[int]]:
    return [[int(n) for n in b.index.seqnums] for b in kinds(outputs, BatchReceived)]


def stored(outputs: list[Output]) -> list[int]:
    """MsgSeqNums the session asked to store, one by one (slow path) or as runs (fast path), in order."""
    numbers: list[int] = []
    for o in outputs:
        if isinstance(o, StoreInbound):
            numbers.append(o.seqnum)
        elif isinstance(o, StoreInboundRun):
            numbers.extend(range(o.first_seqnum, o.first_seqnum + o.count))
    return numbers


def test_accepted_market_data_of_one_read_is_one_batch_and_no_message_events() -> None:
    session = batch_session()
    read = b"".join(md(n, n) for n in range(2, 12))
    out = session.receive_data(read, T0)
    assert batches(out) == [list(range(2, 12))]
    assert kinds(out, MessageReceived) == []
    assert stored(out) == list(range(2, 12))  # every accepted frame is stored
    [event] = kinds(out, BatchReceived)
    assert len(event) == 10
    assert event.index.frame(3) == md(5, 5)
    assert session.next_target_seqnum == 12


def test_admin_and_other_types_keep_their_events_and_the_batch_sits_at_its_first_frame() -> None:
    session = batch_session()
    out = session.receive_data(msg("D", 2, T0, (11, "a")) + md(3) + msg("0", 4, T0) + md(5), T0)
    events = [o for o in out if isinstance(o, MessageReceived | BatchReceived)]
    assert [e.msg_type if isinstance(e, MessageReceived) else "batch" for e in events] == ["D", "batch", "0"]
    assert batches(out) == [[3, 5]]


def test_receive_index_hands_positions_in_the_same_buffer() -> None:
    session = batch_session()
    framing = _impl.load("framing")
    read = md(2) + md(3) + md(4)
    index = framing.Framer().feed(read)
    out = session.receive_index(index, T0)
    [event] = kinds(out, BatchReceived)
    assert event.index.buffer is index.buffer
    assert event.index.offsets.tolist() == index.offsets.tolist()


def test_a_gap_delivers_the_batch_once_filled_in_sequence_order() -> None:
    session = batch_session()
    out = session.receive_data(md(2) + md(4) + md(5), T0)
    assert batches(out) == [[2]]
    assert [f[35] for f in frames(out)] == ["2"]  # ResendRequest for 3
    out = session.receive_data(md(3), T0)
    assert batches(out) == [[3, 4, 5]]  # 4 and 5 came from the earlier read: a new buffer is built
    assert session.next_target_seqnum == 6


def test_too_low_and_garbled_frames_are_not_in_the_batch() -> None:
    session = batch_session()
    session.receive_data(md(2), T0)
    garbled = md(3)[:-4] + b"000\x01"
    out = session.receive_data(garbled + md(3), T0)
    assert batches(out) == [[3]]
    assert len(kinds(out, FrameIgnored)) == 1


def test_without_batch_types_every_message_is_its_own_event() -> None:
    session = logged_on()
    out = session.receive_data(md(2) + md(3), T0)
    assert kinds(out, BatchReceived) == []
    assert [e.seqnum for e in kinds(out, MessageReceived)] == [2, 3]


@pytest.mark.parametrize("bad", ["0", "A", "", 5])
def test_admin_or_empty_batch_types_are_refused_naming_the_value(bad: object) -> None:
    with pytest.raises(ValueError, match="batch_msg_types"):
        SessionConfig("FIX.4.4", "ISLD", "TW", batch_msg_types=frozenset({bad}))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=repr(bad) if bad != "" else "non-empty"):
        logged_on().set_batch_msg_types([bad])  # type: ignore[list-item]


def test_set_batch_msg_types_applies_to_the_next_input() -> None:
    session = logged_on()
    session.set_batch_msg_types(["W", MD])
    assert session.config.batch_msg_types == frozenset({"W", MD})
    assert batches(session.receive_data(md(2), T0)) == [[2]]


def test_set_sequence_numbers_in_any_state() -> None:
    session = logged_on()
    session.receive_data(md(5), T0)  # queued: 2..4 missing
    session.set_sequence_numbers(next_target=6, next_sender=40)
    assert (session.next_target_seqnum, session.next_sender_seqnum) == (6, 40)
    assert session.seq.queue == {} and session.seq.resend is None  # the stale early message and gap are gone
    [heartbeat] = frames(session.tick(T0 + 31))
    assert (heartbeat[35], heartbeat[34]) == ("0", "40")
    out = session.receive_data(md(6), T0 + 31)
    assert [e.seqnum for e in kinds(out, MessageReceived)] == [6]
    session.connection_lost(T0 + 32)
    session.set_sequence_numbers(next_sender=7)
    assert (session.next_sender_seqnum, session.next_target_seqnum) == (7, 7)
    with pytest.raises(ValueError, match="next_target must be >= 1, not 0"):
        session.set_sequence_numbers(next_target=0)


def test_set_logon_check_is_consulted_on_the_next_logon() -> None:
    session = Session(SessionConfig("FIX.4.4", "ISLD", "TW"))
    session.set_logon_check(lambda pairs: None if (554, b"pw") in pairs else "bad password")
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), (554, "nope")), T0)
    assert [(f[35], f.get(58)) for f in frames(out)] == [("5", "bad password")]
    assert session.state is SessionState.DISCONNECTED
    session.connection_made(T0)
    session.receive_data(msg("A", 2, T0, (98, 0), (108, 30), (554, "pw")), T0)
    assert session.state is SessionState.ACTIVE


def _bad_length_then(following: list[bytes]) -> bytes:
    """A frame whose BodyLength(9) claims every frame of ``following`` and 7 bytes into the next one."""
    inner = md(2)
    body_length = int(inner.split(b"\x01")[1][2:])
    claimed = body_length + sum(len(f) for f in following) + 7
    return inner.replace(b"\x019=%d\x01" % body_length, b"\x019=%d\x01" % claimed, 1)


def test_frames_inside_a_garbled_body_length_are_skipped_across_restricted_inputs() -> None:
    framing = _impl.load("framing")
    following = [md(2), md(3)]
    read = _bad_length_then(following[:1]) + b"".join(following) + md(2)
    index = framing.Framer().feed(read)
    whole = batch_session().receive_index(index, T0)
    piecewise_session = batch_session()
    piecewise: list[Output] = []
    for i in range(len(index)):
        piecewise += piecewise_session.receive_index(restrict(index, [i]), T0)
    ignored = [(o.offset, o.reason) for o in kinds(whole, FrameIgnored)]
    assert ignored == [(o.offset, o.reason) for o in kinds(piecewise, FrameIgnored)]
    assert len(ignored) == 3  # the garbled frame and the two frames its BodyLength(9) reaches into
    assert batches(whole) == [[2]] and batches(piecewise) == [[2]]


def test_receive_index_before_connecting_does_nothing() -> None:
    session = Session(SessionConfig("FIX.4.4", "ISLD", "TW", batch_msg_types=frozenset({MD})))
    index = _impl.load("framing").split_frames(md(1))
    assert session.receive_index(index, T0) == []


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(2, 12), min_size=1, max_size=25), st.integers(1, 5))
def test_batched_seqnums_are_exactly_what_the_session_accepted(order: list[int], reads: int) -> None:
    """Any arrival order and read split: the batches, concatenated, are the accepted numbers in order."""
    session = batch_session(check_latency=False)
    stream = [md(n) for n in order]
    size = max(1, len(stream) // reads)
    accepted: list[int] = []
    delivered: list[int] = []
    for start in range(0, len(stream), size):
        out = session.receive_data(b"".join(stream[start : start + size]), T0)
        accepted += stored(out)
        delivered += [n for b in batches(out) for n in b]
        if session.state is not SessionState.ACTIVE:
            break
    assert delivered == accepted
    assert delivered == list(range(2, 2 + len(delivered)))


def test_collector_rebuilds_a_batch_from_frames_of_several_sources() -> None:
    framing = _impl.load("framing")
    first, second = framing.split_frames(md(2) + md(3)), framing.split_frames(md(4))
    collector = BatchCollector()
    collector.begin(second)
    collector.add(first.frame(1), first, 1, 0)
    collector.add(second.frame(0), second, 0, 0)
    batch = collector.take()
    assert batch.seqnums.tolist() == [3, 4] and batch.frames() == [md(3), md(4)]
    assert collector.take() is None
    assert index_of_frames([]).count == 0
