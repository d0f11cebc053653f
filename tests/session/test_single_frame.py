"""The one-frame receive path (``Session._receive_single`` with ``RunScanner.passes_frame``): a read holding one
frame gives exactly the outputs of the general path, and ``passes_frame`` agrees with ``scan`` in both twins."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fastpath import frame_for, normalised, scanner, validator
from test_session_rules import T0, THEM, US, msg, ts

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session import MessageReceived, Session, SessionConfig, SessionState, StoreInbound
from pyfixmsg_plus.session.batch import restrict
from pyfixmsg_plus.session.fastlane import scanner_checks


def app_session(validate: bool = True, fast: bool = True) -> Session:
    """An Active session without batch MsgTypes: application messages take the app scanner."""
    s = Session(SessionConfig("FIX.4.4", US, THEM), validator() if validate else None)
    s.connection_made(T0)
    s.receive_data(msg("A", 1, T0, (98, 0), (108, 30)), T0)
    assert s.state is SessionState.ACTIVE
    if not fast:
        s._fast.disable()
    return s


def order(seqnum: int, now: float = T0) -> bytes:
    return msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(now)), (40, "1"))


def one_frame_index(frame: bytes) -> Any:
    return _impl.load("framing").Framer().feed(frame)


def test_a_one_frame_read_of_a_known_type_is_accepted_without_the_general_path() -> None:
    s = app_session()
    s.receive_index(one_frame_index(order(2)), T0)  # the slow path accepts the first order: D is learnt
    s._process_index = None  # type: ignore[assignment, method-assign]  # the general path would now fail
    out = s.receive_index(one_frame_index(order(3)), T0 + 1)
    stored, received = out[0], out[1]
    assert isinstance(stored, StoreInbound) and (stored.seqnum, stored.frame, stored.msg_type) == (3, order(3), "D")
    assert isinstance(received, MessageReceived)
    assert (received.msg_type, received.seqnum, received.frame, received.poss_dup) == ("D", 3, order(3), False)
    assert received.get(11) == b"c"  # pairs tokenized when read
    assert s.next_target_seqnum == 4 and s.now == T0 + 1


def test_a_read_that_is_one_known_frame_is_accepted_without_an_index() -> None:
    s = app_session()
    s.receive_data(order(2), T0)  # the slow path accepts the first order: D is learnt
    framer = s._framer

    class NoIndex:
        """The session's framer, except that splitting a read into a FrameIndex fails."""

        msgtype_if_one_frame = framer.msgtype_if_one_frame

        def feed(self, data: bytes) -> Any:
            raise AssertionError("a FrameIndex was built")

    s._framer = NoIndex()
    out = s.receive_data(order(3), T0 + 1)
    assert (out[0].seqnum, out[0].msg_type) == (3, "D")  # type: ignore[union-attr]
    assert isinstance(out[1], MessageReceived) and out[1].frame == order(3)
    assert s.next_target_seqnum == 4 and s.now == T0 + 1
    assert s.receive_single_frame(order(5), b"D", T0 + 1) is None  # a gap: the general path's (ResendRequest)
    assert s.next_target_seqnum == 4


# kinds for application sessions: orders (the fast path's), their failures, and what always goes the slow way
KINDS = ["order", "order", "order", "order2", "bad-side", "possdup-order", "sender-order", "late-order",
         "heartbeat", "garbage", "long-garbage", "md"]  # fmt: skip


def single_frame_for(kind: str, seqnum: int, now: float) -> bytes:
    match kind:
        case "possdup-order":
            return msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(now)), (40, "1"),
                       header=[(43, "Y"), (122, ts(now - 1))])  # fmt: skip
        case "sender-order":
            return msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(now)), (40, "1"),
                       sender="OTHER")  # fmt: skip
        case "late-order":
            return order(seqnum, now - 119.5)
        case "long-garbage":  # a garbled frame whose BodyLength(9) claims the frames after it
            return b"8=FIX.4.4\x019=400\x0135=D\x0110=000\x01"
        case _:
            return frame_for(kind, seqnum, now)


def stream_of(plan: list[tuple[str, int]]) -> bytes:
    seqnum, stream = 2, b""
    for kind, skip in plan:
        seqnum = max(2, seqnum + skip)
        stream += single_frame_for(kind, seqnum, T0)
        seqnum += 1
    return stream


PLANS = st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from([0, 0, 0, 0, 1, 2, -1])), min_size=1,
                 max_size=25)  # fmt: skip


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS, st.booleans())
def test_one_frame_reads_give_the_general_paths_outcome(plan: list[tuple[str, int]], validate: bool) -> None:
    """Each frame is its own read (a new buffer each time), as a session trading one order at a time reads."""
    fast, slow = app_session(validate), app_session(validate, fast=False)
    framer_fast, framer_slow = _impl.load("framing").Framer(), _impl.load("framing").Framer()
    stream = stream_of(plan)
    whole = _impl.load("framing").Framer().feed(stream)
    for k in range(len(whole)):
        piece = whole.frame(k)
        now = T0 + k * 0.25
        got = fast.receive_index(framer_fast.feed(piece), now)
        assert normalised(got) == normalised(slow.receive_index(framer_slow.feed(piece), now))
    assert (fast.state, fast.next_target_seqnum) == (slow.state, slow.next_target_seqnum)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS, st.booleans())
def test_one_frame_reads_as_bytes_give_the_general_paths_outcome(plan: list[tuple[str, int]], validate: bool) -> None:
    """Each frame its own read handed over as bytes (``receive_data``: ``Framer.msgtype_if_one_frame`` then
    ``receive_single_frame``, the index only when refused), against the session without the fast path; then the
    runner's way (``receive_single_frame``, else ``receive_index`` with ``single_tried``)."""
    fast, slow, runner_like = app_session(validate), app_session(validate, fast=False), app_session(validate)
    framer = _impl.load("framing").Framer()
    whole = _impl.load("framing").Framer().feed(stream_of(plan))
    for k in range(len(whole)):
        piece = whole.frame(k)
        now = T0 + k * 0.25
        expected = normalised(slow.receive_data(piece, now))
        assert normalised(fast.receive_data(piece, now)) == expected
        code = framer.msgtype_if_one_frame(piece)
        got = None if code is None else runner_like.receive_single_frame(piece, code, now)
        if got is None:
            got = runner_like.receive_index(framer.feed(piece), now, single_tried=code is not None)
        assert normalised(got) == expected
    for s in (fast, runner_like):
        assert (s.state, s.next_target_seqnum) == (slow.state, slow.next_target_seqnum)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLANS, st.booleans())
def test_per_frame_delivery_of_one_read_gives_the_general_paths_outcome(
    plan: list[tuple[str, int]], validate: bool
) -> None:
    """Spans of one read handed over one at a time (the runner's per-frame delivery): they share the read's
    buffer, so a garbled frame's BodyLength(9) still swallows the frames it claims."""
    fast, slow = app_session(validate), app_session(validate, fast=False)
    index = _impl.load("framing").Framer().feed(stream_of(plan))
    for i in range(len(index)):
        one = restrict(index, [i])
        assert normalised(fast.receive_index(one, T0)) == normalised(slow.receive_index(one, T0))
    assert (fast.state, fast.next_target_seqnum) == (slow.state, slow.next_target_seqnum)


# ---------------------------------------------------------------------- passes_frame in both twins
def test_passes_frame_checks_what_scan_checks(impl: Any) -> None:
    scan = scanner(impl)
    good = frame_for("md", 5, T0)
    assert scan.passes_frame(good, b"X", 5, T0)
    assert not scan.passes_frame(good, b"X", 6, T0)  # not the expected MsgSeqNum(34)
    assert not scan.passes_frame(good, b"D", 5, T0)  # a MsgType(35) the scanner does not pass
    assert not scan.passes_frame(good, b"", 5, T0)
    assert not scan.passes_frame(good, b"XXXXXXXX", 5, T0)  # longer than any MsgType it passes
    assert not scan.passes_frame(b"", b"X", 5, T0)
    for kind in ("possdup", "sender", "late"):
        assert not scan.passes_frame(frame_for(kind, 5, T0), b"X", 5, T0), kind


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=3)), max_size=6), st.booleans())
def test_passes_frame_agrees_with_scan_in_both_twins(mutations: list[tuple[int, bytes]], cut: bool) -> None:
    """Fuzz: frames with bytes overwritten or inserted anywhere; for every valid span, ``passes_frame`` says
    what ``scan`` from that span says about its first frame, in the pure and the compiled scanner alike."""
    modules = [m for m in (_impl.pure("fastpath"), _impl.compiled("fastpath")) if m is not None]
    data = bytearray(frame_for("md", 5, T0) + frame_for("md2", 6, T0) + frame_for("md", 7, T0))
    for at, chunk in mutations:
        at %= len(data)
        data[at : at + (len(chunk) if cut else 0)] = chunk
    pairs = _impl.pure("parser").parse_pairs(frame_for("md", 5, T0))
    answers = []
    for module in modules:
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=120.0, validate=True)
        scan.learn([t for t, _ in pairs], scanner_checks(validator().shape_spec(pairs) or []))
        index = _impl.pure("framing").Framer().feed(bytes(data))
        for i in range(len(index)):
            if not index.valid[i]:
                continue
            for seq in (5, 6, 7):
                passed = scan.passes_frame(index.frame(i), index.msgtype(i), seq, T0)
                assert passed == (scan.scan(index, i, seq, 0, T0) >= 1)
                answers.append(passed)
    if len(modules) == 2:
        half = len(answers) // 2
        assert answers[:half] == answers[half:]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200), st.binary(max_size=9), st.integers(-5, 10))
def test_passes_frame_never_fails_on_any_bytes(frame: bytes, msg_type: bytes, seq: int) -> None:
    for module in (_impl.pure("fastpath"), _impl.compiled("fastpath")):
        if module is None:
            continue
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X", b"D"], max_latency=120.0)
        assert scan.passes_frame(frame, msg_type, seq, T0) in (True, False)
