"""Each crash or wrong answer the session fuzzer (test_session_fuzz.py) found, as a plain example."""

from __future__ import annotations

from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import FetchResend, Output, RejectSent, ResetStore, SendFrame, SessionState
from pyfixmsg_plus.session.sequencing import MAX_SEQ_NUM
from pyfixmsg_plus.store import contract
from tests.session.test_session_rules import T0, frames, kinds, logged_on, msg


def sent_frames(outputs: list[Output]) -> list[dict[int, bytes]]:
    return [dict(parse_pairs(o.frame)) for o in outputs if isinstance(o, SendFrame)]


def test_a_resend_asked_before_a_reset_is_not_replayed_after_it() -> None:
    """ResendRequest(7=1, 16=0) then Logon(141=Y) in one read: the FetchResend names the old numbering; once the
    numbers restarted, its gap fill (34=1, 36=<old next>) would tell the counterparty to skip our new messages."""
    session = logged_on()
    session.send("D", [(11, "A1")], T0)  # our next MsgSeqNum is now 3
    read = msg("2", 2, T0, (7, 1), (16, 0)) + msg("A", 3, T0, (98, 0), (108, 30), (141, "Y"))
    out = session.receive_data(read, T0)
    [fetch] = kinds(out, FetchResend)
    assert (fetch.begin, fetch.end) == (1, 2) and kinds(out, ResetStore)
    assert session.next_sender_seqnum == 2  # our reset Logon answer was MsgSeqNum 1
    assert session.fulfil_resend(fetch.begin, fetch.end, {}, T0) == []


def test_a_resend_asked_after_the_reset_is_still_replayed() -> None:
    session = logged_on()
    session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), (141, "Y")), T0)
    session.send("D", [(11, "A1")], T0)
    [fetch] = kinds(session.receive_data(msg("2", 2, T0, (7, 1), (16, 0)), T0), FetchResend)
    replay = sent_frames(session.fulfil_resend(fetch.begin, fetch.end, {}, T0))
    assert [(f[35], f[34], f[36]) for f in replay] == [(b"4", b"1", b"3")]


def test_resend_request_from_zero_is_rejected_naming_begin_seq_no() -> None:
    """BeginSeqNo(7)=0 used to answer a SequenceReset numbered MsgSeqNum(34)=0, which no FIX peer accepts."""
    session = logged_on()
    out = session.receive_data(msg("2", 2, T0, (7, 0), (16, 0)), T0)
    assert kinds(out, FetchResend) == []
    [reject] = frames(out)
    assert (reject[35], reject[45], reject[371], reject[373]) == ("3", "2", "7", "5")
    assert reject[58] == "Value is incorrect (out of range) for this tag: BeginSeqNo(7)='0': MsgSeqNum starts at 1"
    assert [r.reason for r in kinds(out, RejectSent)] == [5]
    assert session.state is SessionState.ACTIVE and session.next_target_seqnum == 3


def test_new_seq_no_beyond_what_a_store_keeps_is_rejected_naming_it() -> None:
    """SequenceReset NewSeqNo(36)=999999999999999999 used to become the next expected number, which the store
    then refused (ValueError out of the engine's inbound batch, the session aborted)."""
    for gap_fill in ((123, "Y"),), ():
        session = logged_on()
        out = session.receive_data(msg("4", 2, T0, *gap_fill, (36, "9" * 18)), T0)
        [reject] = frames(out)
        assert (reject[35], reject[371], reject[373]) == ("3", "36", "5")
        assert reject[58] == (
            f"Value is incorrect (out of range) for this tag: NewSeqNo(36)='{'9' * 18}': above 4294967295, the "
            "largest MsgSeqNum(34) a message store keeps"
        )
        assert session.next_target_seqnum <= MAX_SEQ_NUM and session.state is SessionState.ACTIVE


def test_the_session_limit_is_the_stores() -> None:
    assert MAX_SEQ_NUM == contract.MAX_SEQ_NUM
    session = logged_on()
    session.receive_data(msg("4", 2, T0, (36, MAX_SEQ_NUM)), T0)
    assert session.next_target_seqnum == MAX_SEQ_NUM
