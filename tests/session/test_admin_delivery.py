"""Every received admin message that passes the session's checks reaches the application once (fromAdmin), as in
QuickFIX (Session::verify ends with fromCallback): before the session acts on it (its answer, onLogon, onLogout).

A ``MessageReceived`` output with ``is_admin`` set is what the engine turns into ``fromAdmin``; its place among the
outputs is the order in which the engine acts.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from test_session_rules import T0, THEM, US, frames, kinds, logged_on, msg, ts

from pyfixmsg_plus.session import (
    Disconnect,
    LoggedOn,
    LoggedOut,
    MessageReceived,
    Output,
    Role,
    SendFrame,
    Session,
    SessionConfig,
    SessionState,
)


def admin_received(outputs: Sequence[Output]) -> list[tuple[str, int]]:
    """(MsgType, MsgSeqNum) of every admin message handed to the application, in order."""
    return [(o.msg_type, o.seqnum) for o in outputs if isinstance(o, MessageReceived) and o.is_admin]


def position(outputs: Sequence[Output], kind: type, msg_type: str | None = None) -> int:
    """Index of the first output of ``kind`` (of ``msg_type`` for SendFrame / MessageReceived)."""
    for i, output in enumerate(outputs):
        if isinstance(output, kind) and (msg_type is None or getattr(output, "msg_type", None) == msg_type):
            return i
    raise AssertionError(f"no {kind.__name__} {msg_type or ''} in {outputs}")


def logon(seqnum: int = 1, *extra: tuple[int, object]) -> bytes:
    return msg("A", seqnum, T0, (98, 0), (108, 30), *extra)


# ---------------------------------------------------------------------- Logon (A)
def test_acceptor_delivers_the_logon_before_its_answer_and_before_logged_on() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM))
    session.connection_made(T0)
    out = session.receive_data(logon(), T0)
    assert admin_received(out) == [("A", 1)]
    assert position(out, MessageReceived, "A") < position(out, SendFrame, "A") < position(out, LoggedOn)


def test_initiator_delivers_the_logon_answer_before_logged_on() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM, role=Role.INITIATOR))
    session.start(T0)
    session.connection_made(T0)
    out = session.receive_data(logon(), T0)
    assert admin_received(out) == [("A", 1)]
    assert position(out, MessageReceived, "A") < position(out, LoggedOn)


def test_a_logon_with_a_gap_before_it_is_delivered_once_not_again_when_the_gap_closes() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM))
    session.restore(1, 3)  # we expect 3; the Logon says 5
    session.connection_made(T0)
    out = session.receive_data(logon(5), T0)
    assert admin_received(out) == [("A", 5)]
    assert [f[35] for f in frames(out)] == ["A", "2"]  # answered, then the gap 3..4 asked for
    out = session.receive_data(msg("4", 3, T0, (36, 5), (123, "Y"), header=[(43, "Y"), (122, ts(T0))]), T0)
    assert admin_received(out) == [("4", 3)]  # the gap fill, not the queued Logon a second time
    assert session.next_target_seqnum == 6


def test_a_refused_logon_is_not_delivered() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM, logon_check=lambda pairs: "bad password"))
    session.connection_made(T0)
    out = session.receive_data(logon(), T0)
    assert admin_received(out) == [] and kinds(out, Disconnect)


# ---------------------------------------------------------------------- Heartbeat, TestRequest, Reject
@pytest.mark.parametrize("msg_type, body", [("0", ()), ("1", ((112, "T1"),)), ("3", ((45, 1), (373, 1)))])
def test_heartbeat_test_request_and_reject_are_delivered_once(msg_type: str, body: tuple) -> None:
    session = logged_on()
    out = session.receive_data(msg(msg_type, 2, T0, *body), T0)
    assert admin_received(out) == [(msg_type, 2)]


def test_a_test_request_is_delivered_before_the_heartbeat_answering_it() -> None:
    session = logged_on()
    out = session.receive_data(msg("1", 2, T0, (112, "T1")), T0)
    assert position(out, MessageReceived, "1") < position(out, SendFrame, "0")


def test_an_early_heartbeat_is_delivered_when_its_turn_comes_and_a_possdup_duplicate_never() -> None:
    session = logged_on()
    out = session.receive_data(msg("0", 3, T0), T0)  # 2 is missing: queued
    assert admin_received(out) == []
    out = session.receive_data(msg("0", 2, T0), T0)
    assert admin_received(out) == [("0", 2), ("0", 3)]
    duplicate = msg("0", 3, T0, header=[(43, "Y"), (122, ts(T0 - 1))])
    assert admin_received(session.receive_data(duplicate, T0)) == []


def test_a_rejected_admin_message_is_not_delivered() -> None:
    session = logged_on()
    out = session.receive_data(msg("0", 2, T0, sender="WT"), T0)  # CompID problem: Reject 373=9
    assert admin_received(out) == [] and [f[35] for f in frames(out)] == ["3", "5"]


# ---------------------------------------------------------------------- ResendRequest (2)
def test_a_resend_request_is_delivered_once_whatever_its_number() -> None:
    session = logged_on()
    out = session.receive_data(msg("2", 2, T0, (7, 1), (16, 0)), T0)
    assert admin_received(out) == [("2", 2)]
    early = session.receive_data(msg("2", 4, T0, (7, 1), (16, 0)), T0)  # acted on at once, 3 missing
    assert admin_received(early) == [("2", 4)]
    gap = session.receive_data(msg("0", 3, T0), T0)
    assert admin_received(gap) == [("0", 3)]  # the queued ResendRequest is not delivered again
    assert session.next_target_seqnum == 5


# ---------------------------------------------------------------------- SequenceReset (4)
@pytest.mark.parametrize("gap_fill", [False, True])
def test_a_sequence_reset_is_delivered_before_it_moves_the_expected_number(gap_fill: bool) -> None:
    session = logged_on()
    flags = ((123, "Y"),) if gap_fill else ()
    out = session.receive_data(msg("4", 2, T0, (36, 10), *flags), T0)
    assert admin_received(out) == [("4", 2)] and session.next_target_seqnum == 10


def test_an_early_gap_fill_is_delivered_when_processed_and_a_duplicate_one_never() -> None:
    session = logged_on()
    out = session.receive_data(msg("4", 3, T0, (36, 6), (123, "Y")), T0)
    assert admin_received(out) == []  # queued behind the missing 2
    out = session.receive_data(msg("0", 2, T0), T0)
    assert admin_received(out) == [("0", 2), ("4", 3)] and session.next_target_seqnum == 6
    duplicate = msg("4", 3, T0, (36, 6), (123, "Y"), header=[(43, "Y")])
    assert admin_received(session.receive_data(duplicate, T0)) == []


# ---------------------------------------------------------------------- Logout (5)
def test_a_logout_is_delivered_before_its_answer_and_before_logged_out() -> None:
    session = logged_on()
    out = session.receive_data(msg("5", 2, T0, (58, "bye")), T0)
    assert admin_received(out) == [("5", 2)]
    assert position(out, MessageReceived, "5") < position(out, SendFrame, "5") < position(out, LoggedOut)
    assert session.state is SessionState.DISCONNECTED


def test_the_answer_to_our_logout_is_delivered() -> None:
    session = logged_on()
    session.logout(T0, "end of day")
    out = session.receive_data(msg("5", 2, T0), T0)
    assert admin_received(out) == [("5", 2)] and frames(out) == []
    assert position(out, MessageReceived, "5") < position(out, LoggedOut)


def test_application_messages_are_still_delivered_once() -> None:
    session = logged_on()
    out = session.receive_data(msg("D", 2, T0, (11, "A1")) + msg("0", 3, T0), T0)
    delivered = [(o.msg_type, o.is_admin) for o in kinds(out, MessageReceived)]
    assert delivered == [("D", False), ("0", True)]
