"""The one-order lane (``SessionLane``, compiled + twin): whatever it takes, it takes exactly as the general path
would (same outputs, same session state afterwards), and whatever it refuses it leaves untouched."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_session_rules import T0, msg, ts
from test_single_frame import app_session, order

from pyfixmsg_plus.session import MessageReceived, SendFrame, Session, StoreInbound
from pyfixmsg_plus.store import FrameRecord, new_record


class Owner:
    """Stands for the engine's runner: the lane keeps its ``_saved_next_target`` up to date."""

    _saved_next_target = 0


def lane_for(impl: Any, session: Session) -> tuple[Any, list[tuple[Any, int]], Owner]:
    saved: list[tuple[Any, int]] = []
    owner = Owner()
    lane = impl.fastpath.SessionLane(session, lambda records, target: saved.append((records, target)), new_record,
                                     owner)
    return lane, saved, owner


def state(s: Session) -> tuple[Any, ...]:
    timers = s.timers
    return (s.seq.next_sender, s.seq.next_target, s._saved, s._armed, s.now, timers.last_sent,
            timers.last_received, timers.test_requests_sent, s.state, s._swallow_end)


def ready_session() -> Session:
    """Active, 'D' learnt by the slow path, a timer armed (the state after any input's ArmTimer)."""
    s = app_session()
    s.receive_data(order(2), T0)
    assert s._armed is not None
    return s


def test_an_in_sequence_order_is_stored_and_its_type_returned(impl: Any) -> None:
    s = ready_session()
    lane, saved, owner = lane_for(impl, s)
    frame = order(3, T0 + 1)
    assert lane.receive(frame, b"D", T0 + 1) == "D"
    assert saved == [((FrameRecord(3, "D", T0 + 1, frame),), 4)]
    assert s.next_target_seqnum == 4 and s._saved == (s.next_sender_seqnum, 4) and owner._saved_next_target == 4
    assert s.timers.last_received == T0 + 1 and s.now == T0 + 1


@pytest.mark.parametrize("case", ["gap", "possdup", "unknown type", "test request out", "no timer", "moved"])
def test_anything_unusual_is_refused_and_leaves_the_session_untouched(impl: Any, case: str) -> None:
    s = ready_session()
    lane, saved, _ = lane_for(impl, s)
    frame, code = order(3, T0 + 1), b"D"
    if case == "gap":
        frame = order(5, T0 + 1)
    elif case == "possdup":
        frame = msg("D", 3, T0 + 1, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(T0)), (40, "1"),
                    header=[(43, "Y"), (122, ts(T0))])
    elif case == "unknown type":
        frame, code = msg("AE", 3, T0 + 1, (571, "r")), b"AE"
    elif case == "test request out":
        s.timers.test_requests_sent = 1
    elif case == "no timer":
        s._armed = None
    else:  # numbers moved other than by frames (an operator's set_sequence_numbers)
        s.seq.next_sender += 5
    before = state(s)
    assert lane.receive(frame, code, T0 + 1) is None
    assert lane.send("D", [(11, "x")], T0 + 1) is None or case in ("gap", "possdup", "unknown type",
                                                                    "test request out")
    if case in ("no timer", "moved"):
        assert state(s) == before
    assert saved == []


def test_a_send_gives_the_general_paths_frame_and_numbers(impl: Any) -> None:
    lane_side, general = ready_session(), ready_session()
    lane, _, _ = lane_for(impl, lane_side)
    fields: list[tuple[int, Any]] = [(11, "O1"), (55, "EUR/USD"), (54, "1"), (38, 100), (44, 1.085)]
    record = lane.send("D", fields, T0 + 2)
    out = general.send("D", fields, T0 + 2)
    assert out == [SendFrame(record.data, record.seq_num, "D", general.store_timing)]
    assert (record.msg_type, record.sending_time) == ("D", T0 + 2)
    assert state(lane_side) == state(general)


def test_header_fields_and_bad_values_go_the_general_way(impl: Any) -> None:
    s = ready_session()
    lane, _, _ = lane_for(impl, s)
    before = state(s)
    assert lane.send("D", [(115, "ON"), (11, "x")], T0 + 1) is None  # OnBehalfOfCompID joins the header
    with pytest.raises((TypeError, ValueError)):
        lane.send("D", [(11, object())], T0 + 1)  # as Session.send raises: no number taken
    assert state(s) == before


# one step of a session's life: ("recv", seqnum offset from expected, possdup) | ("send", header tag?) |
# ("tick", seconds later) | ("test request",)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("recv"), st.sampled_from([0, 0, 0, 1, -1]), st.booleans()),
        st.tuples(st.just("send"), st.booleans()),
        st.tuples(st.just("tick"), st.sampled_from([1.0, 31.0, 40.0])),
        st.tuples(st.just("test request"), st.just(0)),
    ),
    max_size=12,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps)
def test_the_lane_then_the_general_path_equals_the_general_path_alone(impl: Any, script: list[Any]) -> None:
    lane_side, general = ready_session(), ready_session()
    lane, saved, _ = lane_for(impl, lane_side)
    now = T0 + 1
    for step in script:
        now += 0.5
        kind = step[0]
        if kind == "recv":
            seqnum = general.next_target_seqnum + step[1]
            header = [(43, "Y"), (122, ts(now - 1))] if step[2] else []
            frame = msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(now)), (40, "1"),
                        header=header)
            expected = general.receive_data(frame, now)
            taken = lane.receive(frame, b"D", now)
            if taken is None:
                got = lane_side.receive_data(frame, now)
            else:
                records, target = saved.pop()
                assert target == seqnum + 1 and records == (FrameRecord(seqnum, "D", now, frame),)
                got = [StoreInbound(seqnum, frame, taken), MessageReceived(taken, seqnum, None, frame, False, False)]
            assert got == expected
        elif kind == "send":
            if not general.is_logged_on:
                continue
            fields: list[tuple[int, Any]] = [(115, "ON"), (11, "x")] if step[1] else [(11, "x"), (38, 5)]
            expected = general.send("D", fields, now)
            record = lane.send("D", fields, now)
            got = lane_side.send("D", fields, now) if record is None else [
                SendFrame(record.data, record.seq_num, "D", lane_side.store_timing)]
            assert got == expected
        elif kind == "tick":
            now += step[1]
            assert lane_side.tick(now) == general.tick(now)
        else:
            frame = msg("1", general.next_target_seqnum, now, (112, "T"))
            assert lane_side.receive_data(frame, now) == general.receive_data(frame, now)
        assert state(lane_side) == state(general)
