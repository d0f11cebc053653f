"""Session rules, played deterministically with a fake clock (epoch seconds passed to every input)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import (
    ArmTimer,
    Disconnect,
    FetchResend,
    FrameIgnored,
    LoggedOn,
    LoggedOut,
    MessageReceived,
    Output,
    Persistence,
    ResetStore,
    Role,
    SendFrame,
    Session,
    SessionConfig,
    SessionNotActive,
    SessionState,
    StateChanged,
    StoreTiming,
)

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"


def ts(now: float) -> str:
    return format_utc_timestamp(int(now * 1e9), "ms").decode()


def msg(
    msg_type: str, seqnum: int, now: float, *body: tuple[int, object], header: Sequence = (), **kw: str
) -> bytes:
    """A frame from the counterparty (49=THEM, 56=US unless overridden)."""
    fields = [
        (35, msg_type),
        (34, seqnum),
        (49, kw.get("sender", THEM)),
        (52, kw.get("sending_time", ts(now))),
    ]
    fields += [(56, kw.get("target", US)), *header, *body]
    return encode_message(kw.get("begin", "FIX.4.4"), fields)


def frames(outputs: Sequence[Output]) -> list[dict[int, str]]:
    """The frames written, as dicts of their first values."""
    out = []
    for o in outputs:
        if isinstance(o, SendFrame):
            d: dict[int, str] = {}
            for t, v in parse_pairs(o.frame):
                d.setdefault(t, v.decode())
            out.append(d)
    return out


def kinds(outputs: list[Output], kind: type) -> list:
    return [o for o in outputs if isinstance(o, kind)]


def acceptor(**settings: object) -> Session:
    return Session(SessionConfig("FIX.4.4", US, THEM, **settings))  # type: ignore[arg-type]


def logged_on(hb: int = 30, **settings: object) -> Session:
    session = acceptor(**settings)
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, hb)), T0)
    assert session.state is SessionState.ACTIVE, out
    return session


# ---------------------------------------------------------------------- logon
def test_acceptor_answers_logon_with_the_counterparty_heartbeat_interval() -> None:
    session = acceptor()
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 17)), T0)
    [reply] = frames(out)
    assert (reply[35], reply[34], reply[49], reply[56], reply[108], reply[98]) == (
        "A",
        "1",
        US,
        THEM,
        "17",
        "0",
    )
    assert kinds(out, LoggedOn) == [LoggedOn(reset=False)]
    assert session.state is SessionState.ACTIVE and session.heartbeat_interval == 17
    assert session.next_target_seqnum == 2 and session.next_sender_seqnum == 2
    assert kinds(out, ArmTimer)[-1].deadline == T0 + 17


def test_first_message_that_is_not_a_logon_disconnects_without_answer() -> None:
    session = acceptor()
    session.connection_made(T0)
    out = session.receive_data(msg("0", 1, T0), T0)
    assert frames(out) == [] and kinds(out, Disconnect)
    assert session.state is SessionState.DISCONNECTED


@pytest.mark.parametrize("field", [{"sender": "WT"}, {"target": "DLSI"}, {"begin": "FIX.4.2"}])
def test_logon_for_another_identity_disconnects_without_answer(field: dict[str, str]) -> None:
    session = acceptor()
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), **field), T0)
    assert frames(out) == [] and kinds(out, Disconnect)


def test_logon_with_bad_sending_time_is_refused_with_logout() -> None:
    session = acceptor()
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), sending_time=ts(T0 - 3600)), T0)
    assert [(f[35], f.get(58)) for f in frames(out)] == [("5", "SendingTime accuracy problem")]
    assert kinds(out, Disconnect)


def test_logon_check_hook_refuses_bad_password_before_active() -> None:
    def check(pairs: list[tuple[int, bytes]]) -> str | None:
        return None if (554, b"secret") in pairs else "Invalid password (554)"

    session = acceptor(logon_check=check)
    session.connection_made(T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), (553, "u"), (554, "nope")), T0)
    assert [(f[35], f.get(58)) for f in frames(out)] == [("5", "Invalid password (554)")]
    assert session.state is SessionState.DISCONNECTED
    session.connection_made(T0)
    session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), (553, "u"), (554, "secret")), T0)
    assert session.state is SessionState.ACTIVE


def test_logon_timeout_disconnects() -> None:
    session = acceptor(logon_timeout=5)
    out = session.connection_made(T0)
    assert kinds(out, ArmTimer) == [ArmTimer(T0 + 5)]
    assert kinds(session.tick(T0 + 5), Disconnect)


def test_reset_seq_num_flag_while_active_resets_both_numbers() -> None:
    session = logged_on()
    for n in range(2, 6):
        session.receive_data(msg("0", n, T0), T0)
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 30), (141, "Y")), T0)
    [reply] = frames(out)
    assert (reply[35], reply[34], reply[141]) == ("A", "1", "Y")
    assert kinds(out, ResetStore) and session.next_target_seqnum == 2 and session.next_sender_seqnum == 2


def test_reset_on_logon_setting_resets_numbers_kept_from_an_earlier_connection() -> None:
    session = logged_on(reset_on_logon=True)
    session.receive_data(msg("5", 2, T0), T0)
    session.connection_made(T0 + 1)
    out = session.receive_data(msg("A", 1, T0 + 1, (98, 0), (108, 30)), T0 + 1)
    assert frames(out)[0][34] == "1" and kinds(out, ResetStore)


# ---------------------------------------------------------------------- heartbeats and test requests
def test_heartbeat_after_heartbtint_of_silence_on_send() -> None:
    session = logged_on(hb=10)
    assert frames(session.tick(T0 + 9.9)) == []
    [hb] = frames(session.tick(T0 + 10))
    assert hb[35] == "0" and 112 not in hb


def test_test_request_then_disconnect_when_the_counterparty_stays_silent() -> None:
    session = logged_on(hb=10)
    session.tick(T0 + 10)  # heartbeat
    [test_request] = frames(session.tick(T0 + 15))  # 1.5 x HeartBtInt of silence on receive
    assert (test_request[35], test_request[112]) == ("1", "TEST")
    out = session.tick(T0 + 24)  # 2.4 x HeartBtInt
    assert kinds(out, Disconnect) and session.state is SessionState.DISCONNECTED


def test_answered_test_request_keeps_the_session_up() -> None:
    session = logged_on(hb=10)
    session.tick(T0 + 15)
    session.receive_data(msg("0", 2, T0 + 15, (112, "TEST")), T0 + 15)
    assert kinds(session.tick(T0 + 24), Disconnect) == []
    assert session.state is SessionState.ACTIVE


def test_test_request_margin_is_configurable() -> None:
    session = logged_on(hb=10, test_request_margin=0.2)
    assert [f[35] for f in frames(session.tick(T0 + 12))] == ["1"]


def test_heartbeat_answering_a_test_request_carries_its_id() -> None:
    session = logged_on()
    [hb] = frames(session.receive_data(msg("1", 2, T0, (112, "abc")), T0))
    assert (hb[35], hb[112]) == ("0", "abc")


# ---------------------------------------------------------------------- sequence numbers
def test_gap_queues_messages_sends_one_resend_request_and_replays_in_order() -> None:
    session = logged_on()
    out = session.receive_data(msg("1", 5, T0, (112, "five")), T0)
    [rr] = frames(out)
    assert (rr[35], rr[7], rr[16]) == ("2", "2", "0")
    assert frames(session.receive_data(msg("1", 6, T0, (112, "six")), T0)) == []  # no duplicate request
    session.receive_data(msg("0", 2, T0), T0)
    session.receive_data(msg("0", 3, T0), T0)
    out = session.receive_data(msg("0", 4, T0), T0)
    assert [f.get(112) for f in frames(out)] == ["five", "six"]
    assert session.next_target_seqnum == 7


def test_resend_requests_are_chunked() -> None:
    session = logged_on(resend_request_chunk_size=2)
    [rr] = frames(session.receive_data(msg("0", 7, T0), T0))
    assert (rr[7], rr[16]) == ("2", "3")
    session.receive_data(msg("0", 2, T0), T0)
    [rr] = frames(session.receive_data(msg("0", 3, T0), T0))
    assert (rr[7], rr[16]) == ("4", "5")


def test_too_low_without_possdup_is_fatal_and_names_both_numbers() -> None:
    session = logged_on()
    session.receive_data(msg("0", 2, T0), T0)
    out = session.receive_data(msg("0", 2, T0), T0)
    assert [(f[35], f.get(58)) for f in frames(out)] == [
        ("5", "MsgSeqNum too low, expecting 3 but received 2")
    ]
    assert kinds(out, Disconnect)


def test_possdup_duplicates_are_dropped_or_rejected() -> None:
    session = logged_on()
    session.receive_data(msg("0", 2, T0), T0)
    seen = msg("0", 2, T0, header=[(43, "Y"), (122, ts(T0 - 1))])
    assert frames(session.receive_data(seen, T0)) == []
    without_orig = msg("0", 2, T0, header=[(43, "Y")])
    [reject] = frames(session.receive_data(without_orig, T0))
    assert (reject[35], reject[371], reject[373], reject[45]) == ("3", "122", "1", "2")
    later_orig = msg("0", 2, T0, header=[(43, "Y"), (122, ts(T0 + 10))])
    assert [(f[35], f.get(373)) for f in frames(session.receive_data(later_orig, T0))] == [
        ("3", "10"),
        ("5", None),
    ]
    assert session.next_target_seqnum == 3


def test_sequence_reset_never_lowers_the_expected_number() -> None:
    session = logged_on()
    session.receive_data(msg("4", 0, T0, (36, 10)), T0)
    assert session.next_target_seqnum == 10
    [reject] = frames(session.receive_data(msg("4", 0, T0, (36, 3)), T0))
    assert (reject[35], reject[373], reject[372], reject[58]) == (
        "3",
        "5",
        "4",
        "Value is incorrect (out of range) for this tag",
    )
    assert session.next_target_seqnum == 10


def test_gap_fill_is_sequence_checked() -> None:
    session = logged_on()
    session.receive_data(msg("4", 2, T0, (36, 8), (123, "Y")), T0)
    assert session.next_target_seqnum == 8
    [rr] = frames(session.receive_data(msg("4", 9, T0, (36, 12), (123, "Y")), T0))
    assert rr[35] == "2" and session.next_target_seqnum == 8


def test_garbled_frames_are_ignored() -> None:
    session = logged_on()
    good = msg("0", 2, T0)
    bad = good.replace(b"10=", b"10=9")[:-1] + b"\x01"
    out = session.receive_data(bad, T0)
    assert frames(out) == [] and kinds(out, FrameIgnored) and session.next_target_seqnum == 2
    session.receive_data(good, T0)
    assert session.next_target_seqnum == 3


# ---------------------------------------------------------------------- resend requests received
def test_resend_request_replays_application_messages_and_gap_fills_admin() -> None:
    session = logged_on()
    store: dict[int, bytes] = {}
    for out in (
        session.send("D", [(11, "a"), (55, "X")], T0),
        session.tick(T0 + 30),
        session.send("D", [(11, "b")], T0 + 30),
    ):
        store.update({o.seqnum: o.frame for o in out if isinstance(o, SendFrame)})
    out = session.receive_data(msg("2", 2, T0 + 31, (7, 1), (16, 0)), T0 + 31)
    [fetch] = kinds(out, FetchResend)
    assert (fetch.begin, fetch.end) == (1, 4)
    sent = [o for o in session.fulfil_resend(1, 4, store, T0 + 32) if isinstance(o, SendFrame)]
    replies = frames(sent)
    assert [(f[35], f[34], f.get(36), f.get(43)) for f in replies] == [
        ("4", "1", "2", "Y"),
        ("D", "2", None, "Y"),
        ("4", "3", "4", "Y"),
        ("D", "4", None, "Y"),
    ]
    assert replies[1][122] == ts(T0) and replies[1][52] == ts(T0 + 32) and replies[1][11] == "a"
    assert all(o.store is StoreTiming.NOT_STORED for o in sent)
    assert session.next_sender_seqnum == 5


def test_non_resendable_types_are_gap_filled() -> None:
    session = logged_on(non_resendable_msg_types=frozenset({"D"}))
    store = {o.seqnum: o.frame for o in session.send("D", [(11, "a")], T0) if isinstance(o, SendFrame)}
    assert [(f[35], f[36]) for f in frames(session.fulfil_resend(2, 2, store, T0))] == [("4", "3")]


# ---------------------------------------------------------------------- checks on every message
def test_comp_id_problem_is_rejected_and_logged_out() -> None:
    session = logged_on()
    out = session.receive_data(msg("0", 2, T0, sender="WT"), T0)
    assert [(f[35], f.get(373), f.get(58)) for f in frames(out)] == [
        ("3", "9", "CompID problem"),
        ("5", None, None),
    ]
    assert session.state is SessionState.LOGOUT_IN_PROGRESS
    out = session.receive_data(msg("5", 3, T0), T0)
    assert frames(out) == [] and kinds(out, Disconnect)


def test_sending_time_accuracy_uses_the_configured_tolerance() -> None:
    session = logged_on(max_latency=5)
    assert frames(session.receive_data(msg("0", 2, T0, sending_time=ts(T0 - 4)), T0)) == []
    out = session.receive_data(msg("0", 3, T0, sending_time=ts(T0 - 6)), T0)
    assert [(f[35], f.get(373)) for f in frames(out)] == [("3", "10"), ("5", None)]


def test_sending_time_in_year_zero_is_malformed_and_rejected_not_a_crash() -> None:
    session = logged_on()
    out = session.receive_data(msg("0", 2, T0, sending_time="00000101-00:00:00"), T0)
    assert [(f[35], f.get(373)) for f in frames(out)] == [("3", "10"), ("5", None)]


def test_wrong_begin_string_gets_a_logout() -> None:
    session = logged_on()
    [logout] = frames(session.receive_data(msg("1", 2, T0, (112, "x"), begin="FIX.4.1"), T0))
    assert (logout[35], logout[58]) == ("5", "Incorrect BeginString")


def test_unsupported_application_type_gets_business_message_reject() -> None:
    session = logged_on(supported_app_msg_types=frozenset({"D"}))
    [bmr] = frames(session.receive_data(msg("8", 2, T0, (37, "x")), T0))
    assert (bmr[35], bmr[45], bmr[372], bmr[380], bmr[58]) == ("j", "2", "8", "3", "Unsupported Message Type")
    assert session.next_target_seqnum == 3


def test_application_message_is_delivered_with_its_fields() -> None:
    session = logged_on()
    out = session.receive_data(msg("D", 2, T0, (11, "id"), header=[(97, "Y")]), T0)
    [received] = kinds(out, MessageReceived)
    assert (received.msg_type, received.seqnum, received.is_admin, received.get(11)) == ("D", 2, False, b"id")


def test_reject_names_the_reverse_route() -> None:
    session = logged_on()
    out = session.receive_data(msg("0", 2, T0, header=[(115, "JCD"), (116, "CS")], sender="WT"), T0)
    reject = frames(out)[0]
    assert (reject[128], reject[129]) == ("JCD", "CS") and 115 not in reject


# ---------------------------------------------------------------------- logout and life cycle
def test_logout_received_is_answered_then_disconnected() -> None:
    session = logged_on()
    out = session.receive_data(msg("5", 2, T0), T0)
    assert [f[35] for f in frames(out)] == ["5"] and kinds(out, Disconnect)
    assert session.state is SessionState.DISCONNECTED


def test_our_logout_times_out() -> None:
    session = logged_on(logout_timeout=3)
    [logout] = frames(session.logout(T0, "bye"))
    assert (logout[35], logout[58]) == ("5", "bye") and session.state is SessionState.LOGOUT_IN_PROGRESS
    assert kinds(session.tick(T0 + 2.9), Disconnect) == []
    assert kinds(session.tick(T0 + 3), Disconnect)


def test_reset_on_logout_and_on_disconnect() -> None:
    session = logged_on(reset_on_logout=True)
    session.receive_data(msg("5", 2, T0), T0)
    assert (session.next_sender_seqnum, session.next_target_seqnum) == (1, 1)
    session = logged_on(reset_on_disconnect=True)
    session.connection_lost(T0)
    assert (session.next_sender_seqnum, session.next_target_seqnum) == (1, 1)


def test_numbers_survive_a_reconnect_without_reset() -> None:
    session = logged_on()
    session.connection_lost(T0)
    session.connection_made(T0 + 1)
    [reply] = frames(session.receive_data(msg("A", 2, T0 + 1, (98, 0), (108, 30)), T0 + 1))
    assert reply[34] == "2"


def test_sending_needs_an_active_session() -> None:
    with pytest.raises(SessionNotActive, match="Disconnected"):
        acceptor().send("D", [(11, "x")], T0)


def test_write_behind_persistence_stores_after_write() -> None:
    session = logged_on(persistence=Persistence.WRITE_BEHIND)
    [sent] = kinds(session.send("D", [(11, "x")], T0), SendFrame)
    assert sent.store is StoreTiming.AFTER_WRITE


def test_initiator_logs_on_and_can_reset_intraday() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM, role=Role.INITIATOR, heartbeat_interval=20))
    session.start(T0)
    assert session.state is SessionState.CONNECTING
    [logon] = frames(session.connection_made(T0))
    assert (logon[35], logon[108], logon[34]) == ("A", "20", "1")
    out = session.receive_data(msg("A", 1, T0, (98, 0), (108, 20)), T0)
    assert frames(out) == [] and session.state is SessionState.ACTIVE
    [reset] = frames(session.reset_sequence(T0 + 1))
    assert (reset[35], reset[34], reset[141]) == ("A", "1", "Y")
    assert frames(session.receive_data(msg("A", 1, T0 + 1, (98, 0), (108, 20), (141, "Y")), T0 + 1)) == []
    assert session.next_target_seqnum == 2
    session.connection_lost(T0 + 2)
    assert session.state is SessionState.RECONNECTING


def test_state_listener_sees_every_change() -> None:
    seen: list[tuple[SessionState, SessionState]] = []
    session = acceptor()
    session.add_listener(lambda old, new: seen.append((old, new)))
    session.connection_made(T0)
    session.receive_data(msg("A", 1, T0, (98, 0), (108, 30)), T0)
    session.receive_data(msg("5", 2, T0), T0)
    assert [new for _, new in seen] == [
        SessionState.LOGON_IN_PROGRESS,
        SessionState.ACTIVE,
        SessionState.DISCONNECTED,
    ]


def test_timestamps_are_utc_milliseconds() -> None:
    session = logged_on()
    [hb] = frames(session.tick(T0 + 30.25))
    assert hb[52] == dt.datetime.fromtimestamp(T0 + 30.25, dt.UTC).strftime("%Y%m%d-%H:%M:%S.250")


@pytest.mark.parametrize("discard", [True, False])
def test_frame_inside_a_garbled_frames_body_length(discard: bool) -> None:
    session = logged_on(discard_frames_within_bad_length=discard)
    first = msg("0", 2, T0)
    body_length = int(first.split(b"\x01")[1][2:])
    # BodyLength claims 7 bytes more than the frame holds: its end falls inside the following frame
    too_long = first.replace(b"\x019=%d\x01" % body_length, b"\x019=%d\x01" % (body_length + 7), 1)
    following = msg("0", 3, T0)
    out = session.receive_data(too_long + following, T0)
    # QuickFIX trusts BodyLength and loses the frame it swallowed; with discard=False that frame is read
    expected = [] if discard else ["2"]
    assert [f[35] for f in frames(out)] == expected and session.next_target_seqnum == 2


def test_a_stopped_session_ends_disconnected_not_reconnecting() -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM, role=Role.INITIATOR, heartbeat_interval=20))
    session.start(T0)
    session.connection_made(T0)
    session.receive_data(msg("A", 1, T0, (98, 0), (108, 20)), T0)
    assert session.state is SessionState.ACTIVE
    out = session.stop(T0 + 1)  # still connected: disconnected first, then not waiting to reconnect
    assert session.state is SessionState.DISCONNECTED
    assert [(o.old, o.new) for o in kinds(out, StateChanged)] == [
        (SessionState.ACTIVE, SessionState.RECONNECTING), (SessionState.RECONNECTING, SessionState.DISCONNECTED)]
    assert kinds(out, LoggedOut) and not kinds(out, Disconnect)  # the engine closes the transport itself
    session.start(T0 + 2)
    session.connection_failed(T0 + 2)  # a connect attempt failed: Connecting -> Reconnecting
    assert session.state is SessionState.RECONNECTING
    session.stop(T0 + 3)
    assert session.state is SessionState.DISCONNECTED
    assert kinds(session.stop(T0 + 4), StateChanged) == []  # stopped again: nothing changes


def test_a_stopped_acceptor_session_stays_disconnected() -> None:
    session = acceptor()
    assert kinds(session.stop(T0), StateChanged) == [] and session.state is SessionState.DISCONNECTED
