"""Hypothesis properties of the wire layer: encode -> split round trips, splitting is independent of how the
stream is cut into reads, and garbage between frames loses no valid frame. Runs on every implementation.

The strategies here are also used by test_differential_wire.py and test_fuzz_wire.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message import encoder_py

SOH = 1
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Values never hold the separator (FIX forbids SOH outside data fields).
values = st.one_of(
    st.text(
        st.characters(blacklist_characters="\x01|", blacklist_categories=["Cs"]), min_size=1, max_size=12
    ),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.binary(min_size=1, max_size=8).filter(lambda b: b"\x01" not in b and b"|" not in b),
)
tags = st.integers(min_value=11, max_value=9999).filter(lambda t: t != 34)
msgtypes = st.sampled_from(["0", "A", "D", "8", "X", "W", "AE", "BZ", "UCUSTOMTYPE"])


@st.composite
def field_lists(draw: st.DrawFn) -> list[tuple[int, Any]]:
    """(tag, value) pairs of one message: MsgType(35) first, usually a MsgSeqNum(34), then body fields."""
    fields: list[tuple[int, Any]] = [(35, draw(msgtypes))]
    if draw(st.booleans()):
        fields.append((34, draw(st.integers(min_value=1, max_value=10**9))))
    fields += draw(st.lists(st.tuples(tags, values), max_size=8))
    return fields


@st.composite
def frames(draw: st.DrawFn, sep: int = SOH) -> bytes:
    begin = draw(st.sampled_from(["FIX.4.2", "FIX.4.4", "FIXT.1.1"]))
    return encoder_py.encode_message(begin, draw(field_lists()), sep=sep)


# Garbage never holds "8" so it cannot start a frame; it models log noise and line ends.
garbage = st.binary(min_size=1, max_size=20).map(lambda b: b.replace(b"8", b"#"))


@st.composite
def streams_with_garbage(draw: st.DrawFn) -> tuple[list[bytes], bytes]:
    """(the valid frames, a stream holding them with garbage in between)."""
    parts = draw(st.lists(frames(), min_size=1, max_size=5))
    stream = b""
    for part in parts:
        stream += draw(st.one_of(st.just(b""), garbage)) + part
    return parts, stream + draw(st.one_of(st.just(b""), garbage))


# Each property runs inside its test so that hypothesis does not see the parametrised ``impl`` fixture.


def _fields_of(wire: bytes) -> list[tuple[int, bytes]]:
    pairs = [field.split(b"=", 1) for field in wire.split(b"\x01")[:-1]]
    return [(int(tag), value) for tag, value in pairs]


def test_encode_then_split_gives_back_frame_and_fields(impl: Impl) -> None:
    @PROPERTY_SETTINGS
    @given(fields=field_lists())
    def check(fields: list[tuple[int, Any]]) -> None:
        wire = impl.encoder.encode_message("FIX.4.4", fields)
        index = impl.framing.split_frames(wire)
        assert index.frames() == [wire]
        decoded = _fields_of(wire)
        assert decoded[0] == (8, b"FIX.4.4") and decoded[1][0] == 9 and decoded[-1][0] == 10
        assert decoded[2:-1] == [(tag, encoder_py.encode_value(value)) for tag, value in fields]
        assert index.msgtype(0) == encoder_py.encode_value(fields[0][1])
        expected_seq = fields[1][1] if len(fields) > 1 and fields[1][0] == 34 else -1
        assert index.seqnums[0] == expected_seq

    check()


def test_garbage_between_frames_loses_no_frame(impl: Impl) -> None:
    @PROPERTY_SETTINGS
    @given(sample=streams_with_garbage())
    def check(sample: tuple[list[bytes], bytes]) -> None:
        expected, stream = sample
        index = impl.framing.split_frames(stream, final=True)
        assert index.frames() == expected
        assert int(index.lengths.sum()) == index.consumed == len(stream)

    check()


def test_two_reads_at_every_cut_give_the_same_frames(impl: Impl) -> None:
    @PROPERTY_SETTINGS
    @given(sample=streams_with_garbage())
    def check(sample: tuple[list[bytes], bytes]) -> None:
        expected, stream = sample
        for cut in range(len(stream) + 1):
            framer = impl.framing.Framer()
            got = framer.feed(stream[:cut]).frames() + framer.feed(stream[cut:]).frames()
            assert got == expected, cut

    check()


def test_byte_by_byte_gives_the_same_frames(impl: Impl) -> None:
    @settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(sample=streams_with_garbage())
    def check(sample: tuple[list[bytes], bytes]) -> None:
        expected, stream = sample
        framer = impl.framing.Framer()
        got: list[bytes] = []
        for byte in stream:
            got += framer.feed(bytes((byte,))).frames()
        assert got == expected

    check()


def test_log_mode_verifies_pipe_frames(impl: Impl) -> None:
    @PROPERTY_SETTINGS
    @given(parts=st.lists(frames(sep=ord("|")), min_size=1, max_size=4))
    def check(parts: list[bytes]) -> None:
        log = b"".join(b"12:00:00 " + part + b"\n" for part in parts)
        index = impl.framing.split_frames(log, sep=ord("|"), final=True)
        assert index.frames() == parts

    check()


# The pure twin's fast path (one regular expression per header, numpy for every trailer and CheckSum(10)) must
# accept exactly what its reference walk (_parse_frame, frame by frame) accepts. These run in both modes.

FIELD_TAGS = (b"34", b"49", b"56", b"52", b"58", b"10", b"9", b"8", b"35")
FIELD_VALUES = (b"1", b"42", b"007", b"12a", b"", b"1" * 18, b"9" * 19, b"FIX.4.4", b"8=FIX", b"A" * 9)


@st.composite
def hand_frames(draw: st.DrawFn, sep: int) -> bytes:
    """A frame with a correct BodyLength(9) and CheckSum(10) but any header order: MsgSeqNum(34) next to
    MsgType(35), later, repeated, malformed or absent; written without the encoder."""
    s = bytes((sep,))
    msgtype = draw(st.sampled_from((b"0", b"D", b"AE", b"UCUSTOMTYPE")))
    fields = draw(st.lists(st.tuples(st.sampled_from(FIELD_TAGS), st.sampled_from(FIELD_VALUES)), max_size=5))
    body = b"35=" + msgtype + s + b"".join(tag + b"=" + value + s for tag, value in fields)
    head = b"8=" + draw(st.sampled_from((b"FIX.4.2", b"FIXT.1.1"))) + s + b"9=%d" % len(body) + s + body
    total = sum(head) + head.count(s) * (1 - sep)
    return head + b"10=%03d" % (total % 256) + s


def _reference_split(data: bytes, **options: Any) -> Any:
    """The pure split with its fast path switched off: every frame goes through _parse_frame."""
    from unittest import mock

    from pyfixmsg_plus.message import framing_py

    with mock.patch.object(framing_py, "_take_valid_run", lambda buf, pos, *rest: pos):
        return framing_py.split_frames(data, **options)


@settings(max_examples=80, deadline=None)
@given(data=st.data(), sep=st.sampled_from([SOH, ord("|")]), repeat=st.integers(1, 40),
       flips=st.lists(st.tuples(st.integers(0, 10**6), st.binary(min_size=1, max_size=1)), max_size=3),
       final=st.booleans(), max_body_length=st.sampled_from([1 << 20, 40]))
def test_pure_fast_path_accepts_what_the_reference_walk_accepts(
    data: st.DataObject, sep: int, repeat: int, flips: list[tuple[int, bytes]], final: bool, max_body_length: int
) -> None:
    import numpy as np

    from pyfixmsg_plus.message import framing_py

    parts = data.draw(st.lists(hand_frames(sep), min_size=1, max_size=4))
    stream = bytearray(b"".join(parts) * repeat)  # long enough to cross the fast path's growing chunks
    for at, byte in flips:
        stream[at % len(stream)] = byte[0]
    fast = framing_py.split_frames(bytes(stream), sep=sep, max_body_length=max_body_length, final=final)
    slow = _reference_split(bytes(stream), sep=sep, max_body_length=max_body_length, final=final)
    assert (fast.consumed, fast.count) == (slow.consumed, slow.count)
    for name in ("offsets", "lengths", "seqnums", "msgtypes", "reasons"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
        assert getattr(fast, name).dtype == getattr(slow, name).dtype, name


def test_pure_fast_path_with_every_other_checksum_wrong() -> None:
    from pyfixmsg_plus.message import framing_py

    good = encoder_py.encode_message("FIX.4.4", [(35, "0"), (34, 5)])
    bad = good[:-4] + (b"000" if good[-4:-1] != b"000" else b"001") + good[-1:]
    index = framing_py.split_frames((good + bad) * 300)
    assert index.reasons.tolist() == [framing_py.OK, framing_py.CHECKSUM_MISMATCH] * 300
    assert index.seqnums.tolist() == [5, -1] * 300
    assert index.consumed == len(index.buffer)


@pytest.mark.parametrize("run", [1, 4, 5, 16, 17])
def test_pure_small_and_numpy_run_checks_agree_with_the_reference_walk(run: int) -> None:
    # Runs of up to four frames are checked frame by frame in Python, longer ones with numpy: a bad CheckSum(10)
    # or a bad trailer at any position of the run must be found the same way by both.
    import numpy as np

    from pyfixmsg_plus.message import framing_py

    good = encoder_py.encode_message("FIX.4.4", [(35, "0"), (49, "A"), (34, 5)])
    bad_sum = good[:-4] + (b"000" if good[-4:-1] != b"000" else b"001") + good[-1:]
    bad_trailer = good[:-8] + b"|" + good[-7:]
    for broken in (bad_sum, bad_trailer):
        for at in range(run):
            stream = b"".join(broken if k == at else good for k in range(run)) + good[:30]
            fast = framing_py.split_frames(stream)
            slow = _reference_split(stream)
            assert (fast.consumed, fast.count) == (slow.consumed, slow.count), at
            for name in ("offsets", "lengths", "seqnums", "msgtypes", "reasons", "valid"):
                np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=f"{name} at {at}")
