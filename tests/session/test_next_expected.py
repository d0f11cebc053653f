"""EnableNextExpectedMsgSeqNum: NextExpectedMsgSeqNum(789) on the Logons we send and the ones we receive.

Sans-I/O, with a fake clock: each test drives one Session with hand-made frames of the counterparty. The
two-session recovery (both sides with the setting) is in test_next_expected_pair.py.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import (
    Disconnect,
    FetchResend,
    LoggedOn,
    MessageReceived,
    Output,
    Role,
    SendFrame,
    Session,
    SessionConfig,
    SessionState,
)
from pyfixmsg_plus.session.next_expected import (
    BadNextExpected,
    gap_asked_by_our_logon,
    implied_resend,
    logon_next_expected,
    parse_next_expected,
)
from pyfixmsg_plus.session.validation import quote_received

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"


def ts(now: float) -> str:
    return format_utc_timestamp(int(now * 1e9), "ms").decode()


def msg(msg_type: str, seqnum: int, *body: tuple[int, object], begin: str = "FIX.4.4", **header: object) -> bytes:
    """A frame of the counterparty (49=THEM, 56=US) sent at T0; ``header`` adds e.g. PossDupFlag (tag_43)."""
    extra = [(int(k.removeprefix("tag_")), val) for k, val in header.items()]
    head = sorted([(34, seqnum), *extra, (49, THEM), (52, ts(T0)), (56, US)], key=lambda f: f[0])
    return encode_message(begin, [(35, msg_type), *head, *body])


def logon(seqnum: int, *extra: tuple[int, object], begin: str = "FIX.4.4") -> bytes:
    """The counterparty's Logon numbered ``seqnum`` with HeartBtInt 30 and ``extra`` body fields."""
    body = [(98, 0), (108, 30), *extra]
    if begin.startswith("FIXT"):
        body.append((1137, "9"))
    return msg("A", seqnum, *sorted(body, key=lambda f: f[0]), begin=begin)


def written(outputs: Sequence[Output]) -> list[dict[int, str]]:
    """The frames written, as dicts of their first values."""
    out = []
    for output in outputs:
        if isinstance(output, SendFrame):
            fields: dict[int, str] = {}
            for tag, value in parse_pairs(output.frame):
                fields.setdefault(tag, value.decode())
            out.append(fields)
    return out


def session(role: Role = Role.ACCEPTOR, begin: str = "FIX.4.4", enabled: bool = True, **settings: object) -> Session:
    config = SessionConfig(begin, US, THEM, role=role, enable_next_expected_msg_seq_num=enabled, **settings)  # type: ignore[arg-type]
    return Session(config)


def acceptor_with_history(next_sender: int, next_target: int, enabled: bool = True) -> Session:
    """An acceptor whose store says it sent up to ``next_sender`` - 1 and received up to ``next_target`` - 1."""
    acceptor = session(enabled=enabled)
    acceptor.restore(next_sender, next_target)
    acceptor.connection_made(T0)
    return acceptor


def initiator_logged_on_request(
    next_sender: int, next_target: int, enabled: bool = True
) -> tuple[Session, dict[int, str]]:
    """An initiator with those numbers that has just sent its Logon (returned as a dict)."""
    initiator = session(Role.INITIATOR, enabled=enabled)
    initiator.restore(next_sender, next_target)
    initiator.start(T0)
    [request] = written(initiator.connection_made(T0))
    return initiator, request


# ---------------------------------------------------------------------- the pure rules
def test_parse_accepts_positive_integers_only() -> None:
    assert parse_next_expected(b"1") == 1
    assert parse_next_expected(b"0042") == 42
    assert parse_next_expected(b"0" * 5000 + b"7") == 7
    assert parse_next_expected(b"9" * 18) == 10**18 - 1
    for raw in (b"0", b"00", b"-1", b"+3", b"", b" 5", b"XXX", b"1.0", "٣".encode(), b"1" * 19, b"9" * 5000):
        with pytest.raises(BadNextExpected, match=r"NextExpectedMsgSeqNum\(789\)=.* is not a positive integer"):
            parse_next_expected(raw)


@settings(max_examples=200)
@given(st.one_of(st.binary(max_size=30), st.integers(0, 10**25).map(lambda n: str(n).encode())))
def test_parse_never_fails_otherwise_on_any_bytes(raw: bytes) -> None:
    """Whatever the counterparty wrote: a positive int equal to the digits, or BadNextExpected (the Logout)."""
    try:
        value = parse_next_expected(raw)
    except BadNextExpected:
        return
    assert value > 0 and raw.isdigit() and int(raw) == value


def test_logon_next_expected_counts_the_answered_logon_only_when_in_sequence() -> None:
    assert logon_next_expected(7, counts_received_logon=True) == 8
    assert logon_next_expected(7, counts_received_logon=False) == 7


def test_implied_resend_is_the_range_below_our_next_number() -> None:
    assert implied_resend(3, 10) == FetchResend(3, 9)
    assert implied_resend(9, 10) == FetchResend(9, 9)
    assert implied_resend(10, 10) is None


def test_gap_asked_by_our_logon_covers_the_gap_before_the_logon() -> None:
    gap = gap_asked_by_our_logon(4, 9)
    assert gap is not None and (gap.begin, gap.end, gap.chunk_end) == (4, 8, 8)
    assert gap_asked_by_our_logon(None, 9) is None
    assert gap_asked_by_our_logon(9, 9) is None


# ---------------------------------------------------------------------- settings
@pytest.mark.parametrize("begin", ["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3"])
def test_the_setting_needs_fix44_or_fixt(begin: str) -> None:
    with pytest.raises(ValueError, match=rf"enable_next_expected_msg_seq_num needs FIX.4.4 or FIXT.1.1.*{begin}"):
        SessionConfig(begin, US, THEM, enable_next_expected_msg_seq_num=True)
    SessionConfig(begin, US, THEM)  # off: any version


@pytest.mark.parametrize("begin", ["FIX.4.4", "FIXT.1.1"])
def test_our_logon_with_789_passes_the_builtin_dictionary(begin: str) -> None:
    initiator = session(Role.INITIATOR, begin=begin, logon_extra_fields=((1137, "9"),) if begin == "FIXT.1.1" else ())
    initiator.restore(3, 12)
    initiator.start(T0)
    [frame] = [o.frame for o in initiator.connection_made(T0) if isinstance(o, SendFrame)]
    pairs = parse_pairs(frame)
    assert (789, b"12") in pairs
    spec = load_builtin("FIXT.1.1" if begin == "FIXT.1.1" else "FIX.4.4")
    Validator(spec).validate(pairs)  # raises on a field the Logon may not carry


# ---------------------------------------------------------------------- the Logons we send
def test_initiator_logon_carries_the_number_it_expects_next() -> None:
    _, request = initiator_logged_on_request(next_sender=5, next_target=12)
    assert (request[35], request[34], request[789]) == ("A", "5", "12")


def test_without_the_setting_our_logons_carry_no_789() -> None:
    _, request = initiator_logged_on_request(5, 12, enabled=False)
    assert 789 not in request
    acceptor = acceptor_with_history(1, 1, enabled=False)
    [answer] = written(acceptor.receive_data(logon(1), T0))
    assert answer[35] == "A" and 789 not in answer


def test_initiator_with_reset_on_logon_expects_one() -> None:
    initiator = session(Role.INITIATOR, reset_on_logon=True)
    initiator.restore(40, 50)
    initiator.start(T0)
    [request] = written(initiator.connection_made(T0))
    assert (request[34], request[141], request[789]) == ("1", "Y", "1")


def test_acceptor_answer_counts_an_in_sequence_logon() -> None:
    acceptor = acceptor_with_history(next_sender=3, next_target=7)
    out = acceptor.receive_data(logon(7, (789, 3)), T0)
    [answer] = written(out)
    assert (answer[35], answer[34], answer[789]) == ("A", "3", "8")
    assert acceptor.next_target_seqnum == 8


def test_acceptor_answer_to_a_logon_above_the_gap_names_the_first_missing_number() -> None:
    acceptor = acceptor_with_history(next_sender=3, next_target=7)
    out = acceptor.receive_data(logon(10, (789, 3)), T0)
    [answer] = written(out)  # our Logon only: our 789 asks for 7..9, no ResendRequest(2)
    assert (answer[35], answer[789]) == ("A", "7")
    assert acceptor.state is SessionState.ACTIVE and acceptor.next_target_seqnum == 7


def test_acceptor_answer_to_a_reset_logon_expects_two() -> None:
    acceptor = acceptor_with_history(next_sender=30, next_target=40)
    out = acceptor.receive_data(logon(1, (141, "Y"), (789, 1)), T0)
    [answer] = written(out)
    assert (answer[34], answer[141], answer[789]) == ("1", "Y", "2")
    assert not [o for o in out if isinstance(o, FetchResend)]


def test_intraday_reset_logon_carries_789_one() -> None:
    initiator, _ = initiator_logged_on_request(next_sender=1, next_target=1)
    initiator.receive_data(logon(1, (789, 2)), T0)
    [request] = written(initiator.reset_sequence(T0))
    assert (request[34], request[141], request[789]) == ("1", "Y", "1")
    out = initiator.receive_data(logon(1, (141, "Y"), (789, 2)), T0)
    assert written(out) == [] and not [o for o in out if isinstance(o, FetchResend)]
    assert initiator.next_target_seqnum == 2 and initiator.next_sender_seqnum == 2


# ---------------------------------------------------------------------- a received 789 above what we sent
def test_acceptor_logs_out_a_789_above_its_next_number() -> None:
    acceptor = acceptor_with_history(next_sender=5, next_target=1)
    out = acceptor.receive_data(logon(1, (789, 9)), T0)
    text = "NextExpectedMsgSeqNum(789)=9 is higher than the next MsgSeqNum to send, 5"
    assert [(f[35], f[34], f.get(58)) for f in written(out)] == [("5", "5", text)]
    assert Disconnect(text) in out and acceptor.state is SessionState.DISCONNECTED
    assert not [o for o in out if isinstance(o, LoggedOn)]


def test_initiator_logs_out_an_answer_whose_789_is_above_its_next_number() -> None:
    initiator, _ = initiator_logged_on_request(next_sender=5, next_target=1)
    out = initiator.receive_data(logon(1, (789, 7)), T0)  # we sent 5, so at most 6 is expected
    text = "NextExpectedMsgSeqNum(789)=7 is higher than the next MsgSeqNum to send, 6"
    assert [(f[35], f[34], f.get(58)) for f in written(out)] == [("5", "6", text)]
    assert Disconnect(text) in out and initiator.state is SessionState.RECONNECTING


# ---------------------------------------------------------------------- a received 789 below: resend
def test_acceptor_resends_from_789_after_its_answer() -> None:
    acceptor = acceptor_with_history(next_sender=10, next_target=1)
    out = acceptor.receive_data(logon(1, (789, 6)), T0)
    answer = next(i for i, o in enumerate(out) if isinstance(o, SendFrame))
    fetch = [(i, o) for i, o in enumerate(out) if isinstance(o, FetchResend)]
    assert [o for _, o in fetch] == [FetchResend(6, 9)]  # not our answer (10): it was just sent
    assert fetch[0][0] > answer and written(out)[0][34] == "10"


def test_the_implied_resend_replays_like_a_resend_request() -> None:
    """The FetchResend is answered by the same fulfil_resend as a ResendRequest(2): PossDupFlag(43)=Y,
    OrigSendingTime(122), admin messages gap-filled."""
    acceptor = acceptor_with_history(next_sender=10, next_target=1)
    acceptor.receive_data(logon(1, (789, 6)), T0)
    stored = {
        6: _ours("D", 6, (11, "a")),
        7: _ours("0", 7),  # a Heartbeat: gap-filled
        8: _ours("D", 8, (11, "b")),
        9: _ours("D", 9, (11, "c")),
    }
    replay = written(acceptor.fulfil_resend(6, 9, stored, T0 + 1))
    assert [(f[35], f[34], f.get(43), f.get(36)) for f in replay] == [
        ("D", "6", "Y", None),
        ("4", "7", "Y", "8"),
        ("D", "8", "Y", None),
        ("D", "9", "Y", None),
    ]
    assert replay[0][122] == ts(T0 - 60) and replay[0][52] == ts(T0 + 1)


def test_nothing_stored_gap_fills_the_whole_range() -> None:
    """PersistMessages=N: the engine's store gives no frames, so the range is one SequenceReset-GapFill."""
    acceptor = acceptor_with_history(next_sender=10, next_target=1)
    acceptor.receive_data(logon(1, (789, 6)), T0)
    replay = written(acceptor.fulfil_resend(6, 9, {}, T0))
    assert [(f[35], f[34], f[123], f[36]) for f in replay] == [("4", "6", "Y", "10")]


def test_initiator_resends_from_the_answers_789() -> None:
    initiator, _ = initiator_logged_on_request(next_sender=8, next_target=1)
    out = initiator.receive_data(logon(1, (789, 4)), T0)
    assert [o for o in out if isinstance(o, FetchResend)] == [FetchResend(4, 8)]  # 8: our Logon (gap-filled)
    assert written(out) == [] and initiator.state is SessionState.ACTIVE


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
def test_an_equal_789_resends_nothing(role: Role) -> None:
    if role is Role.ACCEPTOR:
        target = acceptor_with_history(next_sender=4, next_target=1)
        out = target.receive_data(logon(1, (789, 4)), T0)
    else:
        target, _ = initiator_logged_on_request(next_sender=4, next_target=1)
        out = target.receive_data(logon(1, (789, 5)), T0)
    assert not [o for o in out if isinstance(o, FetchResend)]
    assert [o for o in out if isinstance(o, LoggedOn)] == [LoggedOn(False)]


# ---------------------------------------------------------------------- setting off, bad values
@pytest.mark.parametrize("value", ["1", "99", "XXX", "0"])
def test_without_the_setting_a_received_789_is_ignored(value: str) -> None:
    acceptor = acceptor_with_history(next_sender=10, next_target=1, enabled=False)
    out = acceptor.receive_data(logon(1, (789, value)), T0)
    assert [f[35] for f in written(out)] == ["A"] and acceptor.state is SessionState.ACTIVE
    assert not [o for o in out if isinstance(o, FetchResend)]


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
@pytest.mark.parametrize("value", ["XXX", "0", "-3", "", "9" * 40])
def test_a_789_that_is_not_a_positive_integer_refuses_the_logon(role: Role, value: str) -> None:
    if role is Role.ACCEPTOR:
        target = acceptor_with_history(next_sender=1, next_target=1)
    else:
        target, _ = initiator_logged_on_request(next_sender=1, next_target=1)
    out = target.receive_data(logon(1, (789, value)), T0)
    text = f"NextExpectedMsgSeqNum(789)={quote_received(value)} in Logon is not a positive integer"
    assert [(f[35], f.get(58)) for f in written(out)] == [("5", text)]
    assert Disconnect(text) in out and target.state not in (SessionState.ACTIVE, SessionState.LOGON_IN_PROGRESS)


# ---------------------------------------------------------------------- the counterparty's own gap
def test_acceptor_asks_no_gap_its_789_already_asked_for() -> None:
    acceptor = acceptor_with_history(next_sender=3, next_target=7)
    acceptor.receive_data(logon(10, (789, 3)), T0)
    resent = [msg("D", n, (11, f"o{n}"), tag_43="Y", tag_122=ts(T0 - 5)) for n in (7, 8, 9)]
    out = acceptor.receive_data(b"".join(resent), T0)
    assert written(out) == []  # no ResendRequest, no Reject
    delivered = [o.seqnum for o in out if isinstance(o, MessageReceived)]
    assert delivered == [7, 8, 9] and acceptor.next_target_seqnum == 11  # the queued Logon (10) counted


def test_a_gap_before_a_logon_without_789_is_asked_for_as_before() -> None:
    """QuickFIX/J relies on the Logon we sent alone; we also need the counterparty's 789, which says it acts
    on ours: a peer without the setting would leave the gap open."""
    acceptor = acceptor_with_history(next_sender=3, next_target=7)
    out = acceptor.receive_data(logon(10), T0)
    assert [(f[35], f.get(7), f.get(16)) for f in written(out)] == [("A", None, None), ("2", "7", "0")]


def test_initiator_asks_no_gap_before_an_answer_with_789() -> None:
    initiator, _ = initiator_logged_on_request(next_sender=3, next_target=2)
    out = initiator.receive_data(logon(6, (789, 4)), T0)
    assert written(out) == [] and initiator.state is SessionState.ACTIVE
    assert initiator.next_target_seqnum == 2


def test_redundant_resend_requests_still_go_out_when_configured() -> None:
    acceptor = session(send_redundant_resend_requests=True)
    acceptor.restore(3, 7)
    acceptor.connection_made(T0)
    out = acceptor.receive_data(logon(10, (789, 3)), T0)
    # the gap counts as asked by our 789, and SendRedundantResendRequests asks again (as QuickFIX/J)
    assert [f[35] for f in written(out)] == ["A", "2"]


def _ours(msg_type: str, seqnum: int, *body: tuple[int, object]) -> bytes:
    """A frame we sent a minute before T0 (as the store keeps it)."""
    fields = [(35, msg_type), (34, seqnum), (49, US), (52, ts(T0 - 60)), (56, THEM), *body]
    return encode_message("FIX.4.4", fields)
