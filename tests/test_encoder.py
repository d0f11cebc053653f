"""Encoder: value encodings, UTCTimestamp precisions, and frames checked against an independent encoder
(simplefix) and against the framer. Runs on every implementation through the ``impl`` fixture."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from conftest import Impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ORDER_FIELDS: list[tuple[int, Any]] = [
    (35, "D"), (49, "SENDER"), (56, "TARGET"), (34, 12), (52, "20240102-10:11:12.123"), (11, "ORD1"),
    (21, "1"), (55, "EUR/USD"), (54, "1"), (38, 1000000), (40, "2"), (44, Decimal("1.08345")),
]


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("abc", b"abc"),
        ("é", b"\xc3\xa9"),
        (b"raw", b"raw"),
        (bytearray(b"ba"), b"ba"),
        (True, b"Y"),
        (False, b"N"),
        (0, b"0"),
        (-42, b"-42"),
        (2**70, b"1180591620717411303424"),
        (1.5, b"1.5"),
        (1e-07, b"0.0000001"),
        (1e22, b"10000000000000000000000"),
        (0.1 + 0.2, b"0.30000000000000004"),
        (Decimal("1E+3"), b"1000"),
        (Decimal("1.50"), b"1.50"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 678901), b"20240102-03:04:05.678"),
        (dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
         b"20240102-03:04:05.000"),
        (dt.date(2024, 1, 2), b"20240102"),
        (dt.time(3, 4, 5, 6000), b"03:04:05.006"),
    ],
)
def test_encode_value(impl: Impl, value: Any, wire: bytes) -> None:
    assert impl.encoder.encode_value(value) == wire


@pytest.mark.parametrize("value", [None, object(), [1], 1j])
def test_encode_value_refuses_other_types_naming_them(impl: Impl, value: Any) -> None:
    with pytest.raises(TypeError, match=type(value).__name__):
        impl.encoder.encode_value(value)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_encode_value_refuses_non_finite(impl: Impl, value: Any) -> None:
    with pytest.raises(ValueError, match="NaN or infinity"):
        impl.encoder.encode_value(value)


@pytest.mark.parametrize(
    ("precision", "wire"),
    [("s", b"20240102-03:04:05"), ("ms", b"20240102-03:04:05.123"), ("us", b"20240102-03:04:05.123456"),
     ("ns", b"20240102-03:04:05.123456789")],
)
def test_format_utc_timestamp_from_nanoseconds(impl: Impl, precision: str, wire: bytes) -> None:
    nanos = int(dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC).timestamp()) * 10**9 + 123456789
    assert impl.encoder.format_utc_timestamp(nanos, precision) == wire


def test_format_utc_timestamp_datetime_and_errors(impl: Impl) -> None:
    enc = impl.encoder
    before_epoch = dt.datetime(1969, 12, 31, 23, 59, 59, 999999)
    assert enc.format_utc_timestamp(before_epoch, "us") == b"19691231-23:59:59.999999"
    assert enc.format_utc_timestamp(-1, "ns") == b"19691231-23:59:59.999999999"
    with pytest.raises(ValueError, match="precision"):
        enc.format_utc_timestamp(0, "minutes")
    with pytest.raises(TypeError, match="str"):
        enc.format_utc_timestamp("2024", "ms")


def test_encode_message_matches_simplefix(impl: Impl) -> None:
    simplefix = pytest.importorskip("simplefix")
    reference = simplefix.FixMessage()
    reference.append_pair(8, "FIX.4.4")
    for tag, value in ORDER_FIELDS:
        reference.append_pair(tag, str(value))
    assert impl.encoder.encode_message("FIX.4.4", ORDER_FIELDS) == reference.encode()


def test_encode_message_frames_and_pipe_separator(impl: Impl) -> None:
    soh = impl.encoder.encode_message(b"FIX.4.2", ORDER_FIELDS)
    piped = impl.encoder.encode_message("FIX.4.2", ORDER_FIELDS, sep=ord("|"))
    assert piped == soh.replace(b"\x01", b"|")  # BodyLength and CheckSum computed as if | were SOH
    index = impl.framing.split_frames(soh)
    assert index.frames() == [soh] and index.seqnums.tolist() == [12] and index.msgtypes.tolist() == [b"D"]


def test_encode_body(impl: Impl) -> None:
    assert impl.encoder.encode_body([(35, "0"), (34, 1)]) == b"35=0\x0134=1\x01"
    assert impl.encoder.encode_body([], sep=ord("|")) == b""


@pytest.mark.parametrize("tag", [8, 9, 10])
def test_framing_tags_are_refused_by_number(impl: Impl, tag: int) -> None:
    with pytest.raises(ValueError, match=f"tag {tag}"):
        impl.encoder.encode_message("FIX.4.4", [(35, "0"), (tag, "x")])


def test_bad_tags_and_values_name_the_tag(impl: Impl) -> None:
    enc = impl.encoder
    with pytest.raises(TypeError, match="'35'"):
        enc.encode_body([("35", "0")])
    with pytest.raises(ValueError, match="positive"):
        enc.encode_body([(-1, "0")])
    with pytest.raises(TypeError, match=r"tag 58: .*NoneType"):
        enc.encode_body([(58, None)])
    with pytest.raises(ValueError, match=r"tag 58: .*surrogates"):
        enc.encode_body([(58, "\ud800")])
    with pytest.raises(ValueError, match="sep"):
        enc.encode_body([(58, "x")], sep=300)
    with pytest.raises(TypeError, match="begin_string"):
        enc.encode_message(44, [(35, "0")])


def test_large_message_grows_buffer(impl: Impl) -> None:
    fields = [(58, "x" * 5000), (35, "B")] + [(1000 + i, i) for i in range(300)]
    wire = impl.encoder.encode_message("FIXT.1.1" * 200, fields)
    assert impl.framing.split_frames(wire, max_body_length=1 << 20).frames() == []  # BeginString > 32 bytes
    wire = impl.encoder.encode_message("FIXT.1.1", [(35, "B"), *fields])
    assert impl.framing.split_frames(wire).frames() == [wire]


@pytest.mark.parametrize(
    "value",
    [True, False, 1.085, -0.0, 123.0, 1e-07, 1e16, -2.5e-12, 2**70, -(2**63), "é", b"\xff", Decimal("1.50"),
     dt.date(2024, 1, 2)],
)
def test_fields_in_a_frame_are_encoded_as_encode_value(impl: Impl, value: Any) -> None:
    # The compiled encoder writes common types itself: each must give encode_value's bytes (floats with an
    # exponent, which FIX has no notation for, included).
    enc = impl.encoder
    body = enc.encode_body([(35, "D"), (44, value)])
    assert body == b"35=D\x0144=" + enc.encode_value(value) + b"\x01"
    assert enc.encode_message("FIX.4.4", [(35, "D"), (44, value)]).endswith(
        b"\x0135=D\x0144=" + enc.encode_value(value) + b"\x0110=%03d\x01" % _expected_checksum(body))


def _expected_checksum(body: bytes) -> int:
    head = b"8=FIX.4.4\x019=%d\x01" % len(body) + body
    return sum(head) % 256


@pytest.mark.parametrize("sep", [True, -1, 256, 1.0, "|", None])
def test_bad_separators_are_refused_naming_sep(impl: Impl, sep: Any) -> None:
    with pytest.raises(ValueError, match="sep must be a byte value"):
        impl.encoder.encode_message("FIX.4.4", [(35, "0")], sep=sep)
    with pytest.raises(ValueError, match="sep must be a byte value"):
        impl.encoder.encode_body([(35, "0")], sep=sep)


class _Separator(int):
    """An int subclass (as an IntEnum member would be): accepted as a separator."""


@pytest.mark.parametrize("sep", [0, 2, 255, _Separator(ord("|"))])
def test_any_byte_separator_gives_the_soh_frame_with_that_byte(impl: Impl, sep: int) -> None:
    # CheckSum(10) and BodyLength(9) are computed as if the separator were SOH (log copies verify).
    soh = impl.encoder.encode_message("FIX.4.4", ORDER_FIELDS)
    assert impl.encoder.encode_message("FIX.4.4", ORDER_FIELDS, sep=sep) == soh.replace(b"\x01", bytes((sep,)))
    assert impl.encoder.encode_body([(35, "0")], sep=sep) == b"35=0" + bytes((sep,))


# AppFrameEncoder: an application send's frame with the session header, equal to encode_message of the same fields

_HEADER_TAGS = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 97, 122})
_body_tags = st.integers(1, 20_000).filter(lambda tag: tag not in _HEADER_TAGS)
_values = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=12),
    st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.binary(min_size=1, max_size=8).filter(lambda b: b"\x01" not in b),
)


def _reference(enc: Any, begin: str, msg_type: str, seqnum: int, now: float, precision: str,
               fields: list[tuple[int, Any]]) -> bytes:  # fmt: skip
    sending_time = enc.SendingTimeFormat()(now, precision)
    return enc.encode_message(begin, [(35, msg_type), (34, seqnum), (49, "SENDER"), (52, sending_time),
                                      (56, "TARGET"), *fields])  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.lists(st.tuples(_body_tags, _values), max_size=12),
    now=st.floats(0, 4e9),
    seqnum=st.integers(1, 2**31),
    precision=st.sampled_from(["s", "ms", "us", "ns"]),
    begin=st.sampled_from(["FIX.4.4", "FIXT.1.1", "FIX.4.2" * 8]),  # the last is longer than the header room
)
def test_app_frame_encoder_gives_encode_messages_frame(
    impl: Impl, fields: list[tuple[int, Any]], now: float, seqnum: int, precision: str, begin: str
) -> None:
    enc = impl.encoder
    encoder = enc.AppFrameEncoder(begin, "SENDER", "TARGET", precision, _HEADER_TAGS)
    expected = _reference(enc, begin, "D", seqnum, now, precision, fields)
    assert encoder.encode("D", seqnum, now, fields) == expected
    assert encoder.encode("D", seqnum, now, [*fields, (56, "X")]) is None  # a header tag: the general path's


def test_app_frame_encoder_refuses_before_encoding_and_raises_as_encode_message(impl: Impl) -> None:
    enc = impl.encoder
    encoder = enc.AppFrameEncoder("FIX.4.4", "SENDER", "TARGET", "ms", {49, 10**30, "52"})
    assert encoder.encode("D", 1, 1.0, [(58, object()), (49, "X")]) is None  # refused first: nothing encoded
    assert encoder.encode("D", 1, 1.0, [(10**30, "X")]) is None  # a tag beyond the bitmap
    assert encoder.encode("D", 1, 1.0, [("52", "X")]) is None  # a non-int tag, looked up as given
    bad = object()
    with pytest.raises(TypeError) as raised:
        encoder.encode("D", 1, 1.0, [(58, bad)])
    with pytest.raises(TypeError) as reference:
        _reference(enc, "FIX.4.4", "D", 1, 1.0, "ms", [(58, bad)])
    assert str(raised.value) == str(reference.value)
    with pytest.raises(ValueError, match="precision"):
        enc.AppFrameEncoder("FIX.4.4", "S", "T", "minutes").encode("D", 1, 1.0, [])
