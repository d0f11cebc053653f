"""Answering a ResendRequest(2) through the PossDupRewriter: the same bytes as re-encoding every stored frame.

``MessageBuilder.fast_resend`` switches the rewriter off; both settings must give byte-identical answers, for
frames of the rewriter's fast form and for those it leaves to the builder. Run in both modes (compiled rewriter
and its pure twin) as every test file is.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_session_rules import T0, logged_on

from pyfixmsg_plus.message.encoder import encode_message
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import Output, SendFrame, Session, StoreTiming
from pyfixmsg_plus.session.admin import MessageBuilder

RESEND_AT = T0 + 45.678901
US, THEM = "ISLD", "TW"


def written(outputs: Sequence[Output]) -> list[bytes]:
    return [o.frame for o in outputs if isinstance(o, SendFrame)]


def answer(session: Session, stored: Sequence[tuple[int, bytes, str]], fast: bool) -> list[bytes]:
    """The frames answering a ResendRequest for 1..the last stored number, with the rewriter on or off."""
    session.builder.fast_resend = fast
    end = max(seqnum for seqnum, _, _ in stored)
    return written(session.fulfil_resend(1, end, stored, RESEND_AT))


def stored_frame(seqnum: int, msg_type: str, *fields: tuple[int, object], seqnum_text: str = "") -> bytes:
    """A frame as the session stored it (49=US, 56=THEM); ``seqnum_text`` overrides MsgSeqNum(34)'s digits."""
    header: list[tuple[int, object]] = [(35, msg_type), (34, seqnum_text or seqnum), (49, US),
                                        (52, "20231114-22:13:20.000"), (56, THEM)]  # fmt: skip
    return encode_message("FIX.4.4", header + list(fields))


def value(frame: bytes, tag: int) -> bytes | None:
    return next((v for t, v in parse_pairs(frame) if t == tag), None)


ORDER = ((11, "c1"), (55, "EUR/USD"), (54, "1"), (38, 100), (40, "1"))


def test_a_mixed_range_is_answered_identically_with_the_rewriter_on_and_off() -> None:
    stored = [
        (1, stored_frame(1, "A", (98, 0), (108, 30)), "A"),
        (2, stored_frame(2, "D", *ORDER), "D"),
        (3, stored_frame(3, "D", (115, "ON"), (128, "DEST"), *ORDER, (93, 3), (89, "sig")), "D"),
        (4, stored_frame(4, "0"), "0"),
        (5, stored_frame(5, "8", (37, "O1"), (11, "c1"), seqnum_text="005"), "8"),  # outside the fast form
        (7, stored_frame(7, "AE", (571, "r7"), (570, "N")), "AE"),
    ]
    session = logged_on()
    fast = answer(session, stored, fast=True)
    assert fast == answer(session, stored, fast=False)
    assert [(value(f, 35), value(f, 34), value(f, 36)) for f in fast] == [
        (b"4", b"1", b"2"), (b"D", b"2", None), (b"D", b"3", None), (b"4", b"4", b"5"), (b"8", b"5", None),
        (b"4", b"6", b"7"), (b"AE", b"7", None),
    ]  # fmt: skip
    assert all(value(f, 43) == b"Y" for f in fast)
    # every frame of the answer carries the one SendingTime(52) of its moment
    assert len({value(f, 52) for f in fast}) == 1


def test_plain_stored_frames_are_not_re_encoded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rewriter answers frames of its fast form itself: the builder's re-encoding is never called."""

    def refuse(self: MessageBuilder, stored: bytes, sending_time: bytes) -> bytes:
        raise AssertionError(f"re-encoded {stored!r}")

    session = logged_on()
    expected = answer(session, [(2, stored_frame(2, "D", *ORDER), "D")], fast=False)
    monkeypatch.setattr(MessageBuilder, "resent_reencoded", refuse)
    assert answer(session, [(2, stored_frame(2, "D", *ORDER), "D")], fast=True) == expected


def test_admin_messages_are_still_gap_filled() -> None:
    """SequenceReset-GapFill (35=4, 123=Y) replaces admin messages: 43=Y, OrigSendingTime(122) = SendingTime,
    NewSeqNo(36) past the run, not stored."""
    stored = [(1, stored_frame(1, "A", (98, 0), (108, 30)), "A"), (2, stored_frame(2, "0"), "0"),
              (3, stored_frame(3, "D", *ORDER), "D")]  # fmt: skip
    session = logged_on()
    outputs = session.fulfil_resend(1, 3, stored, RESEND_AT)
    sent = [o for o in outputs if isinstance(o, SendFrame)]
    assert all(o.store is StoreTiming.NOT_STORED for o in sent)
    gap_fill, order = (o.frame for o in sent)
    assert [(t, v) for t, v in parse_pairs(gap_fill) if t in (34, 35, 36, 43, 123)] == [
        (35, b"4"), (34, b"1"), (43, b"Y"), (36, b"3"), (123, b"Y")
    ]  # fmt: skip
    assert value(gap_fill, 122) == value(gap_fill, 52) == value(order, 52)
    assert value(order, 122) == b"20231114-22:13:20.000"


_BODY_TAGS = st.sampled_from([11, 38, 44, 55, 58, 60, 262, 268, 269, 270, 5000])
_HEADER_TAGS = st.sampled_from([50, 57, 97, 115, 128, 142, 369])
_VALUES = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(
    st.dictionaries(
        st.integers(1, 12),
        st.tuples(
            st.sampled_from(["D", "8", "X", "0", "A", "5"]),
            st.lists(st.tuples(_BODY_TAGS | _HEADER_TAGS, _VALUES), max_size=6),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_stored_range_is_answered_identically_with_the_rewriter_on_and_off(
    kinds: dict[int, tuple[str, list[tuple[int, str]], bool]],
) -> None:
    stored = [
        (seqnum, stored_frame(seqnum, msg_type, *fields, seqnum_text=f"0{seqnum}" if padded else ""), msg_type)
        for seqnum, (msg_type, fields, padded) in sorted(kinds.items())
    ]
    session = logged_on()
    assert answer(session, stored, fast=True) == answer(session, stored, fast=False)
