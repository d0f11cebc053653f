"""The resent (PossDupFlag(43)=Y) form of a stored frame: both twins give the builder's bytes, or None."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.encoder_py import encode_message
from pyfixmsg_plus.session import SessionConfig
from pyfixmsg_plus.session.admin import MessageBuilder
from pyfixmsg_plus.session.inbound import HEADER_TAGS, TRAILER_TAGS

US, THEM = "SENDER", "TARGET"
NOW = 1_700_000_000.123456


def builder() -> MessageBuilder:
    return MessageBuilder(SessionConfig("FIX.4.4", US, THEM))


def rewriter(module: Any) -> Any:
    return module.PossDupRewriter(b"FIX.4.4", US.encode(), THEM.encode(), HEADER_TAGS, TRAILER_TAGS)


def resent_by_builder(stored: bytes) -> bytes:
    """The reference: the stored frame parsed into fields and encoded again (the rewriter not involved)."""
    b = builder()
    return b.resent_reencoded(stored, b.sending_time(NOW))


def rewritten(module: Any, stored: bytes) -> bytes | None:
    result: bytes | None = rewriter(module).rewrite(stored, builder().sending_time(NOW))
    return result


REFRESH = encode_message(
    "FIX.4.4",
    [(35, "X"), (34, 42), (49, US), (52, "20231114-22:13:20.000"), (56, THEM), (262, "r1"), (268, 2),
     (279, "0"), (269, "0"), (55, "EUR/USD"), (270, "1.5"), (271, "100"),
     (279, "1"), (269, "1"), (55, "EUR/USD"), (270, "1.6"), (271, "200")],
)  # fmt: skip


def test_a_stored_refresh_is_resent_as_the_builder_resends_it(impl: Any) -> None:
    out = rewritten(impl.possdup, REFRESH)
    assert out == resent_by_builder(REFRESH)
    assert out is not None and b"\x0143=Y\x01" in out and b"\x01122=20231114-22:13:20.000\x01" in out


def test_header_fields_go_into_the_header_by_tag_and_trailer_fields_are_dropped(impl: Any) -> None:
    stored = encode_message(
        "FIX.4.4",
        [(35, "D"), (34, "007"), (49, US), (52, "20231114-22:13:20"), (56, THEM), (128, "DEST"), (115, "ON"),
         (11, "c1"), (50, "SUB"), (93, "3"), (89, "sig")],
    )  # fmt: skip
    out = rewritten(impl.possdup, stored)
    assert out == resent_by_builder(stored)
    assert out is not None and b"\x0134=7\x01" in out and b"sig" not in out
    assert out.index(b"\x0150=SUB") < out.index(b"\x01115=ON") < out.index(b"\x01128=DEST") < out.index(b"\x0111=c1")


@pytest.mark.parametrize(
    "stored",
    [
        b"",
        REFRESH[:-1],  # no final SOH
        REFRESH.replace(b"\x0134=42", b""),  # no MsgSeqNum(34)
        REFRESH.replace(b"\x0134=42", b"\x0134=4x2"),
        REFRESH.replace(b"\x01262=", b"\x010262="),  # a tag with a leading zero
        REFRESH.replace(b"\x01262=", b"\x01x262="),
        REFRESH.replace(b"\x01262=r1", b"\x01262"),  # a field without '='
        REFRESH.replace(b"35=X", b"35=\xe9"),
        REFRESH.replace(b"10=", b"11="),
    ],
)
def test_frames_outside_the_fast_form_give_none(impl: Any, stored: bytes) -> None:
    assert rewritten(impl.possdup, stored) is None


def test_tag_sets_must_hold_the_session_fields(impl: Any) -> None:
    with pytest.raises(ValueError, match="header_tags lack"):
        impl.possdup.PossDupRewriter(b"FIX.4.4", b"A", b"B", HEADER_TAGS - {43}, TRAILER_TAGS)


_TAGS = st.sampled_from(sorted(HEADER_TAGS | TRAILER_TAGS | {11, 55, 262, 268, 270, 9999, 5000}))
_VALUES = st.binary(min_size=0, max_size=6).filter(lambda v: b"\x01" not in v)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_TAGS, _VALUES), max_size=14),
    st.sampled_from([b"X", b"D", b"AE"]),
    st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=2)), max_size=3),
)
def test_twins_agree_and_match_the_builder(fields: list[tuple[int, bytes]], msg_type: bytes,
                                           mutations: list[tuple[int, bytes]]) -> None:  # fmt: skip
    """Random header, body and trailer fields (and bytes overwritten anywhere): the compiled rewrite never fails
    and gives the pure one's answer; whenever that is not None it is the builder's resent frame."""
    body = [(tag, value) for tag, value in fields if tag not in (8, 9, 10)]
    stored = bytearray(encode_message("FIX.4.4", [(35, msg_type), (34, 9), (52, b"20231114-22:13:20"), *body]))
    for at, chunk in mutations:
        at %= len(stored)
        stored[at : at + len(chunk)] = chunk
    frame = bytes(stored)
    answers = [rewritten(module, frame) for module in _modules()]
    assert all(answer == answers[0] for answer in answers)
    if answers[0] is not None:
        assert answers[0] == resent_by_builder(frame)


def _modules() -> list[Any]:
    compiled = _impl.compiled("possdup")
    return [_impl.pure("possdup")] + ([compiled] if compiled is not None else [])


# ---------------------------------------------------------------------- replay planning (session/resend.py)


def test_plan_replay_takes_the_stored_msgtype_when_the_store_gives_it() -> None:
    from pyfixmsg_plus.session.resend import GapFill, Replay, plan_replay

    frames = [(1, REFRESH), (2, REFRESH), (4, REFRESH)]
    resendable = lambda msg_type: msg_type == "X"  # noqa: E731
    plain = plan_replay(1, 4, frames, resendable)
    assert plain == [Replay(1, REFRESH), Replay(2, REFRESH), GapFill(3, 4), Replay(4, REFRESH)]
    assert plan_replay(1, 4, [(s, f, "X") for s, f in frames], resendable) == plain
    # the store's MsgType(35) is believed: the frame is not read for it
    assert plan_replay(1, 4, [(1, REFRESH, "0"), (2, REFRESH, "X")], resendable) == [
        GapFill(1, 2), Replay(2, REFRESH), GapFill(3, 5)
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"8=", b"9=", b"35=", b"\x01", b"X", b"1", b"=", b"34=2"]), max_size=12))
def test_stored_msg_type_reads_the_third_field_as_parsing_would(parts: list[bytes]) -> None:
    from pyfixmsg_plus.session.inbound import parse_pairs
    from pyfixmsg_plus.session.resend import stored_msg_type

    frame = b"".join(parts)
    parsed = next((value.decode("latin-1") for tag, value in parse_pairs(frame) if tag == 35), "")
    assert stored_msg_type(frame) == parsed
