"""Integer fields with more digits than any FIX int get the FIX reply, never a ValueError out of the session.

Python refuses to convert strings of over 4300 digits (``sys.int_info.str_digits_check_threshold``); the session
reads MsgSeqNum(34), BeginSeqNo(7), EndSeqNo(16), NewSeqNo(36), HeartBtInt(108) and SendingTime(52)'s fraction
from what the counterparty sent, so a hostile or broken peer could otherwise end the session with an exception.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.session.inbound import MAX_INT_DIGITS, Inbound, parse_utc_timestamp
from tests.session.test_session_rules import T0, acceptor, frames, logged_on, msg

HUGE = "9" * 5000  # past Python's 4300-digit conversion limit


def replies(frame: bytes, *, logged: bool = True) -> tuple[list[tuple[str | None, ...]], SessionState]:
    session = logged_on() if logged else acceptor()
    if not logged:
        session.connection_made(T0)
    out = session.receive_data(frame, T0)
    return [(f.get(35), f.get(371), f.get(373)) for f in frames(out)], session.state


def test_huge_msg_seq_num_is_answered_with_logout() -> None:
    sent, state = replies(msg("D", HUGE, T0, (11, "A")))  # type: ignore[arg-type]
    assert sent == [("5", None, None)] and state is SessionState.DISCONNECTED


def test_huge_resend_range_and_new_seq_no_are_rejected_naming_the_tag() -> None:
    # 373=6 Incorrect data format: the field is there, it is no MsgSeqNum
    assert replies(msg("2", 2, T0, (7, HUGE), (16, 0)))[0] == [("3", "7", "6")]
    assert replies(msg("2", 2, T0, (7, 1), (16, HUGE)))[0] == [("3", "16", "6")]
    assert replies(msg("4", 2, T0, (123, "Y"), (36, HUGE)))[0] == [("3", "36", "6")]
    assert replies(msg("4", 2, T0, (36, HUGE)))[0] == [("3", "36", "6")]


@pytest.mark.parametrize("value", ["-1", "+5", "abc", "1.0", " 7"])
def test_unreadable_seqnum_fields_are_incorrect_data_format_naming_field_and_value(value: str) -> None:
    session = logged_on()
    [reject] = frames(session.receive_data(msg("2", 2, T0, (7, value), (16, 0)), T0))
    assert (reject[35], reject[371], reject[373]) == ("3", "7", "6")
    assert f"BeginSeqNo(7)={value!r} is not a MsgSeqNum" in reject[58]
    [reject] = frames(session.receive_data(msg("4", 3, T0, (123, "Y"), (36, value)), T0))
    assert (reject[371], reject[373]) == ("36", "6") and "NewSeqNo(36)=" in reject[58]


def test_absent_seqnum_fields_are_still_required_tag_missing() -> None:
    assert replies(msg("2", 2, T0, (16, 0)))[0] == [("3", "7", "1")]
    assert replies(msg("4", 2, T0, (123, "Y")))[0] == [("3", "36", "1")]


def test_huge_sending_time_fraction_is_a_sending_time_problem() -> None:
    sent, _ = replies(msg("0", 2, T0, sending_time="20240101-00:00:00." + HUGE))
    assert sent[0] == ("3", None, "10")  # SendingTime accuracy problem, then Logout


def test_huge_logon_fields_refuse_the_logon() -> None:
    for frame in (msg("A", 1, T0, (98, 0), (108, HUGE)), msg("A", HUGE, T0, (98, 0), (108, 30))):  # type: ignore[arg-type]
        sent, state = replies(frame, logged=False)
        assert sent == [("5", None, None)] and state is SessionState.DISCONNECTED


def integer_of(value: bytes) -> int | None:
    return Inbound(b"", [(34, value)], {34: value}).integer(34)


def test_leading_zeros_do_not_count_as_digits() -> None:
    assert integer_of(b"0" * 5000 + b"42") == 42
    assert integer_of(b"1" + b"0" * MAX_INT_DIGITS) is None  # 19 significant digits
    assert integer_of(b"9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)


def test_sending_time_fraction_of_more_than_twelve_digits_is_malformed() -> None:
    assert parse_utc_timestamp(b"20240101-00:00:00." + b"5" * 12) == 1704067200.555555555555
    assert parse_utc_timestamp(b"20240101-00:00:00." + b"5" * 13) is None


@settings(max_examples=60, deadline=None)
@given(digits=st.integers(1, 6000), tag=st.sampled_from([7, 16, 36, 34]))
def test_any_length_of_digits_gets_a_fix_reply(digits: int, tag: int) -> None:
    value = "7" * digits
    bodies: dict[int, list[tuple[int, object]]] = {
        7: [(7, value), (16, 0)], 16: [(7, 1), (16, value)], 36: [(36, value)], 34: [(11, "A")]}
    body = bodies[tag]
    msg_type = {7: "2", 16: "2", 36: "4", 34: "D"}[tag]
    sent, _ = replies(msg(msg_type, value if tag == 34 else 2, T0, *body))  # type: ignore[arg-type]
    if digits > MAX_INT_DIGITS:  # no FIX int: Logout for MsgSeqNum, Reject naming the tag otherwise
        assert sent[0] == (("5", None, None) if tag == 34 else ("3", str(tag), "6"))
