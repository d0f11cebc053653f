"""SaveSequenceNumbers and ArmTimer: reported when the numbers move other than their frames say, and when the
next deadline moves earlier than the one armed; every tick and state change re-arms. An engine that keeps the
numbers the frames imply and ticks only at armed deadlines still persists every number and wakes in time."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_session_rules import T0, kinds, logged_on, msg

from pyfixmsg_plus.session import ArmTimer, Output, SaveSequenceNumbers, SendFrame, Session, StoreInbound

HB = 30
ORDER = ((11, "O1"), (21, "1"), (55, "EUR/USD"), (54, "1"), (60, "20240603-12:00:00"), (38, 100), (40, "1"))


def active_with_one_order_received(now: float = T0, **timing: float) -> Session:
    """Active (HeartBtInt 30 s) after one NewOrderSingle(35=D): the MsgType has walked the slow path once."""
    session = logged_on(hb=HB, **timing)
    session.receive_data(msg("D", 2, now, *ORDER), now)
    return session


def test_a_send_while_active_reports_only_its_frame() -> None:
    session = active_with_one_order_received()
    out = session.send("8", [(37, "X1"), (11, "O1")], T0 + 1)
    assert [type(o) for o in out] == [SendFrame]
    assert session.next_sender_seqnum == out[0].seqnum + 1  # type: ignore[union-attr]  # what the frame implies


def test_an_in_sequence_receive_reports_only_the_stored_frame_and_the_message() -> None:
    session = active_with_one_order_received()
    out = session.receive_data(msg("D", 3, T0 + 1, *ORDER), T0 + 1)
    assert not kinds(out, SaveSequenceNumbers) and not kinds(out, ArmTimer)
    [stored] = kinds(out, StoreInbound)
    assert stored.seqnum == 3 and session.next_target_seqnum == 4  # StoreInbound implies the next number


def test_a_number_moved_otherwise_is_saved() -> None:
    session = active_with_one_order_received()
    out = session.receive_data(msg("D", 9, T0 + 1, *ORDER), T0 + 1)  # a gap: only the ResendRequest's number
    assert not kinds(out, SaveSequenceNumbers) and session.next_target_seqnum == 3
    gap_fill = msg("4", 3, T0 + 2, (123, "Y"), (36, 9))  # SequenceReset-GapFill: 3..8 will not come
    out = session.receive_data(gap_fill, T0 + 2)
    # then the queued 9 is processed: the next expected is 10, a move no single frame of the input implies
    assert kinds(out, SaveSequenceNumbers) == [SaveSequenceNumbers(session.next_sender_seqnum, 10)]


def test_a_tick_before_anything_is_due_asks_for_the_later_deadline() -> None:
    session = active_with_one_order_received()
    first = kinds(session.receive_data(msg("0", 3, T0), T0), ArmTimer)
    session.send("8", [(37, "X1"), (11, "O1")], T0 + 10)  # the Heartbeat(35=0) due time moves to T0 + 40
    armed = session.timers.next_deadline(True)
    assert armed == T0 + 10 + HB and not first
    out = session.tick(T0 + HB)  # the engine's timer, armed for T0 + 30 at logon, fires
    assert [type(o) for o in out] == [ArmTimer] and out[0].deadline == T0 + 10 + HB  # type: ignore[union-attr]


def test_a_deadline_moving_earlier_is_armed() -> None:
    # TestRequest(35=1) after 1.2 x HeartBtInt of silence, the next at 2.4 x: its answer brings the Heartbeat
    # (HeartBtInt after the TestRequest, 2.2 x) back before the armed deadline
    session = active_with_one_order_received(test_request_margin=0.2, receive_timeout_factor=3.0)
    silent_until = T0 + 1000
    tick_out: list[Output] = []
    now = T0
    while not any(isinstance(o, SendFrame) and b"\x0135=1\x01" in o.frame for o in tick_out):
        now = session.timers.next_deadline(True) or silent_until
        tick_out = session.tick(now)  # Heartbeats, then a TestRequest(35=1) on the silence
    armed_after_test_request = kinds(tick_out, ArmTimer)[-1].deadline
    out = session.receive_data(msg("0", 3, now + 1, (112, "TEST")), now + 1)
    heartbeat_due = session.timers.last_sent + HB  # counts again once the TestRequest is answered
    assert heartbeat_due < armed_after_test_request
    assert kinds(out, ArmTimer) == [ArmTimer(heartbeat_due)]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["send", "order", "heartbeat"]), st.floats(0.0, 45.0)), max_size=40),
    st.sampled_from([(0.5, 2.4), (0.2, 3.0)]),
)
def test_an_engine_ticking_only_at_armed_deadlines_never_wakes_late(
    steps: list[tuple[str, float]], timing: tuple[float, float]
) -> None:
    """Simulates an engine that keeps only the last ArmTimer and the numbers its outputs imply: before every
    input it ticks at each armed deadline already passed; the armed deadline is never after the true next one,
    and the numbers it would persist always equal the session's."""
    margin, factor = timing
    session = active_with_one_order_received(test_request_margin=margin, receive_timeout_factor=factor)
    armed: list[float | None] = [session.timers.next_deadline(True)]
    saved = [session.next_sender_seqnum, session.next_target_seqnum]

    def execute(outputs: list[Output]) -> None:
        for output in outputs:
            if isinstance(output, ArmTimer):
                armed[0] = output.deadline
            elif isinstance(output, SendFrame) and output.seqnum >= saved[0]:
                saved[0] = output.seqnum + 1
            elif isinstance(output, StoreInbound):
                saved[1] = output.seqnum + 1
            elif isinstance(output, SaveSequenceNumbers):
                saved[:] = [output.next_sender, output.next_target]

    now, seqnum = T0, 3
    for kind, wait in steps:
        now += wait
        while session.is_logged_on and armed[0] is not None and armed[0] <= now:
            at, armed[0] = armed[0], None
            execute(session.tick(at))
        if not session.is_logged_on:
            break
        if kind == "send":
            execute(session.send("8", [(37, "X1"), (11, "O1")], now))
        else:
            body = ORDER if kind == "order" else ()
            execute(session.receive_data(msg("D" if kind == "order" else "0", seqnum, now, *body), now))
            seqnum += 1
        due = session.timers.next_deadline(True)
        assert due is None or (armed[0] is not None and armed[0] <= due), (armed[0], due)
        assert saved == [session.next_sender_seqnum, session.next_target_seqnum]
