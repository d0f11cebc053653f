"""An intraday reset (``Session.reset_sequence``: Logon with ResetSeqNumFlag(141)=Y while Active) is one Logon each
way, whichever side asks: the Logon with 141=Y answering our own reset request is not answered again (it used to
be on the acceptor, which answers every Logon request), while a reset the counterparty asks for is answered."""

from __future__ import annotations

import pytest
from test_session_rules import T0, THEM, US, frames, kinds, msg

from pyfixmsg_plus.session import LoggedOn, ResetStore, Role, Session, SessionConfig, SessionState


def active(role: Role) -> Session:
    """A session of ``role`` logged on, both sides having sent one message (the Logons) so far."""
    session = Session(SessionConfig("FIX.4.4", US, THEM, role=role))
    if role is Role.INITIATOR:
        session.start(T0)
    session.connection_made(T0)
    session.receive_data(msg("A", 1, T0, (98, 0), (108, 30)), T0)
    assert session.state is SessionState.ACTIVE
    return session


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
def test_the_answer_to_our_reset_is_not_answered_again(role: Role) -> None:
    session = active(role)
    session.receive_data(msg("0", 2, T0), T0)
    [request] = frames(session.reset_sequence(T0 + 1))
    assert (request[35], request[34], request[141]) == ("A", "1", "Y")
    out = session.receive_data(msg("A", 1, T0 + 1, (98, 0), (108, 30), (141, "Y")), T0 + 1)
    assert frames(out) == []  # one Logon each way: nothing answers the answer
    assert kinds(out, ResetStore) == []  # the numbers were reset when we asked, not a second time
    assert kinds(out, LoggedOn) == [LoggedOn(reset=True)]
    assert (session.next_sender_seqnum, session.next_target_seqnum) == (2, 2)
    assert session.state is SessionState.ACTIVE


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
def test_a_reset_the_counterparty_asks_for_is_answered_once(role: Role) -> None:
    session = active(role)
    out = session.receive_data(msg("A", 1, T0 + 1, (98, 0), (108, 30), (141, "Y")), T0 + 1)
    [answer] = frames(out)
    assert (answer[35], answer[34], answer[141]) == ("A", "1", "Y")
    assert kinds(out, ResetStore) and (session.next_sender_seqnum, session.next_target_seqnum) == (2, 2)


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
def test_after_our_reset_the_next_reset_the_counterparty_asks_for_is_answered(role: Role) -> None:
    session = active(role)
    session.reset_sequence(T0 + 1)
    session.receive_data(msg("A", 1, T0 + 1, (98, 0), (108, 30), (141, "Y")), T0 + 1)
    out = session.receive_data(msg("A", 1, T0 + 2, (98, 0), (108, 30), (141, "Y")), T0 + 2)
    assert [(f[35], f[34]) for f in frames(out)] == [("A", "1")]  # our own request is over: this one is theirs
