"""The per-message send path of the session: SendingTime(52) formatted from a cached second, header fields among
an application message's fields placed in the header, no MsgSeqNum(34) spent on a message that fails to encode;
and the fast path's per-message events on the receive side (MsgType(35) of any length)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_session_rules import T0, logged_on, msg

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import MessageReceived, SendFrame, StoreInbound, StoreInboundRun
from pyfixmsg_plus.session.admin import format_sending_time

#: SendingTimeFormat of the pure encoder and, when built, of the compiled one (they must give the same bytes)
FORMATS = [m.SendingTimeFormat for m in (_impl.pure("encoder"), _impl.compiled("encoder")) if m is not None]

PRECISIONS = ("s", "ms", "us", "ns")
#: seconds since the epoch from 1970 to 2100, with sub-microsecond parts
MOMENTS = st.floats(min_value=0.0, max_value=4_102_444_800.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(moments=st.lists(MOMENTS, min_size=1, max_size=8), precision=st.sampled_from(PRECISIONS))
def test_sending_time_from_a_cached_second_is_the_encoders_text(moments: list[float], precision: str) -> None:
    for formatter in [make() for make in FORMATS]:
        for now in moments:  # any order: the cache must follow the clock back and forth
            assert formatter(now, precision) == format_sending_time(now, precision)


@pytest.mark.parametrize("precision", PRECISIONS)
def test_sending_time_inside_one_second_and_across_its_end(precision: str) -> None:
    moments = (T0 + 0.0004, T0 + 0.9995, T0 + 0.9999996, T0 + 1.0, T0 + 1.0000004, T0 + 59.9999999,
               1e9 + 0.0000005, 1e9 + 0.0000015, 0.0, -1.5, -0.0000004, 253402300799.9999, T0, int(T0))  # fmt: skip
    for formatter in [make() for make in FORMATS]:
        for now in moments:  # ties round to even (Python's round), negative times floor, int times too
            assert formatter(now, precision) == format_sending_time(now, precision), (now, formatter)


@pytest.mark.parametrize("make", FORMATS)
def test_a_bad_precision_or_a_time_outside_years_1_to_9999_is_named(make: type) -> None:
    with pytest.raises(ValueError, match="'cs'"):
        make()(T0, "cs")
    for now in (1e12, -1e12, 10**12, 1e300, math.inf):
        with pytest.raises((ValueError, OverflowError), match=r"outside years|infinity|too large"):
            make()(now, "ms")


@settings(max_examples=200, deadline=None)
@given(now=st.floats(allow_nan=False, allow_infinity=False, min_value=-6.2e10, max_value=2.5e11),
       precision=st.sampled_from(PRECISIONS))  # fmt: skip
def test_compiled_sending_time_is_the_pure_ones(now: float, precision: str) -> None:
    if len(FORMATS) < 2:
        pytest.skip("compiled encoder not built (or extensions disabled)")
    pure, compiled = (make() for make in FORMATS)
    try:
        expected: bytes | str = pure(now, precision)
    except ValueError as exc:
        expected = str(exc)
    try:
        got: bytes | str = compiled(now, precision)
    except ValueError as exc:
        got = str(exc)
    assert got == expected


HEADER_EXTRAS = (97, 115, 128, 116, 129, 50, 57, 142, 143)  # PossResend, OnBehalfOf*, DeliverTo*, Sender*, ...
BODY = ((11, "ORD"), (21, "1"), (38, 100), (40, "2"), (44, "1.5"), (54, "1"), (55, "EUR/USD"))


@settings(max_examples=100, deadline=None)
@given(extras=st.lists(st.sampled_from(HEADER_EXTRAS), unique=True), split=st.integers(0, len(BODY)))
def test_header_fields_among_the_fields_go_to_the_header_in_tag_order(extras: list[int], split: int) -> None:
    session = logged_on()
    header = [(tag, f"H{tag}") for tag in extras]
    fields = [*BODY[:split], *header, *BODY[split:]]
    [frame] = [o.frame for o in session.send("D", fields, T0 + 1) if isinstance(o, SendFrame)]
    tags = [tag for tag, _ in parse_pairs(frame)]
    assert tags == [8, 9, 35, *sorted([34, 49, 52, 56, *extras]), *[tag for tag, _ in BODY], 10]


def test_a_message_that_fails_to_encode_spends_no_sequence_number() -> None:
    session = logged_on()
    before = session.next_sender_seqnum
    with pytest.raises(ValueError, match="NaN"):
        session.send("D", [(11, "ORD"), (44, math.nan)], T0 + 1)  # type: ignore[list-item]
    assert session.next_sender_seqnum == before
    [sent] = [o for o in session.send("D", [(11, "ORD")], T0 + 1) if isinstance(o, SendFrame)]
    assert sent.seqnum == before


# MsgTypes the frame index keeps whole (up to 7 bytes) take the fast path once learnt; from 8 bytes on (the index
# keeps 8, so it cannot tell) they stay on the slow path: either way each event carries the whole MsgType
@pytest.mark.parametrize(
    ("msg_type", "fast"), [("U1", True), ("U123456", True), ("ABCDEFGH", False), ("ABCDEFGH9", False)]
)
def test_per_message_events_carry_the_whole_msg_type(msg_type: str, fast: bool) -> None:
    session = logged_on()  # no validator: any MsgType, learnt once the slow path delivered one
    first = session.receive_data(msg(msg_type, 2, T0 + 1, (58, "slow")), T0 + 1)
    assert [type(o) for o in first if isinstance(o, StoreInbound | StoreInboundRun)] == [StoreInbound]
    read = b"".join(msg(msg_type, n, T0 + 1, (58, "fast")) for n in (3, 4, 5))
    outputs = session.receive_data(read, T0 + 1)
    assert any(isinstance(o, StoreInboundRun) for o in outputs) is fast
    received = [o for o in outputs if isinstance(o, MessageReceived)]
    assert [(o.msg_type, o.seqnum) for o in received] == [(msg_type, 3), (msg_type, 4), (msg_type, 5)]
    assert [o.frame for o in received] == [msg(msg_type, n, T0 + 1, (58, "fast")) for n in (3, 4, 5)]
