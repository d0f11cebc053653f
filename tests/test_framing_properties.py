"""Hypothesis properties of the wire layer: encode -> split round trips, splitting is independent of how the
stream is cut into reads, and garbage between frames loses no valid frame. Runs on every implementation.

The strategies here are also used by test_differential_wire.py and test_fuzz_wire.py.
"""

from __future__ import annotations

from typing import Any

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
        st.characters(blacklist_characters="\x01|", blacklist_categories=("Cs",)), min_size=1, max_size=12
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
