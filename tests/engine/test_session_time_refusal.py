"""A Logon outside StartTime..EndTime is refused as QuickFIX does ("Received logon outside of valid session time"):
the connection is closed without an answer, so no MsgSeqNum(34) is used on either side. The acceptor router
refuses it before routing (as it refuses a Logon while the ``[Scheduler]`` gate is closed), naming the session and
when session time starts again; the runner's Logon check refuses it the same way should one reach the session."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest
from engine_kit import acceptor_config, free_port, run_bounded
from test_engine_schedule import Watcher, window

from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.acceptor_router import closed_to_logons
from pyfixmsg_plus.engine.session_time import OUTSIDE_SESSION_TIME, outside_session_time
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.session import Disconnect, Role, SendFrame, Session, SessionConfig, SessionState
from pyfixmsg_plus.session.handlers import RefusedWithoutAnswer
from pyfixmsg_plus.session.schedule import SessionSchedule

#: 2026-11-27 (a Friday) 18:00:00 UTC, after a 08:00-17:00 UTC session time
EVENING = datetime.datetime(2026, 11, 27, 18, 0, tzinfo=datetime.UTC).timestamp()
#: 12:00:00 UTC that day, in session time
NOON = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC).timestamp()
OFFICE_HOURS = SessionSchedule(datetime.time(8), datetime.time(17))


def stub_runner(schedule: SessionSchedule, now: float) -> Any:
    """What ``closed_to_logons`` reads of a SessionRunner: its schedule, its clock and its SessionID."""
    return SimpleNamespace(schedule=schedule, clock=lambda: now, session_id="FIX.4.4:EXEC->CLIENT")


def test_the_router_refusal_names_the_session_and_when_session_time_starts_again() -> None:
    refusal = closed_to_logons(stub_runner(OFFICE_HOURS, EVENING))
    assert refusal is not None
    assert refusal.startswith("session FIX.4.4:EXEC->CLIENT refuses its Logon without an answer: ")
    assert OUTSIDE_SESSION_TIME in refusal
    assert refusal.endswith("session time starts again at 2026-11-28 08:00:00 UTC")


@pytest.mark.parametrize("schedule, now", [(OFFICE_HOURS, NOON), (SessionSchedule(), EVENING)])
def test_in_session_time_or_without_one_the_router_lets_the_logon_through(
    schedule: SessionSchedule, now: float
) -> None:
    assert closed_to_logons(stub_runner(schedule, now)) is None
    assert outside_session_time(schedule, now) is None


# ---------------------------------------------------------------------- the session: no answer, no number
def logon(now: float) -> bytes:
    stamp = format_utc_timestamp(int(now * 1e9), "ms").decode()
    return encode_message("FIX.4.4", [(35, "A"), (34, 1), (49, "CLIENT"), (52, stamp), (56, "EXEC"), (98, 0),
                                      (108, 30)])  # fmt: skip


@pytest.mark.parametrize("role", [Role.ACCEPTOR, Role.INITIATOR])
def test_a_refusal_without_answer_closes_the_connection_and_uses_no_number(role: Role) -> None:
    check = lambda pairs: RefusedWithoutAnswer("outside session time")  # noqa: E731
    session = Session(SessionConfig("FIX.4.4", "EXEC", "CLIENT", role=role, logon_check=check))
    if role is Role.INITIATOR:
        session.start(NOON)
    session.connection_made(NOON)
    sent_before = session.next_sender_seqnum
    out = session.receive_data(logon(NOON), NOON)
    assert [o for o in out if isinstance(o, SendFrame)] == []
    [disconnect] = [o for o in out if isinstance(o, Disconnect)]
    assert "outside session time" in disconnect.reason
    assert (session.next_sender_seqnum, session.next_target_seqnum) == (sent_before, 1)
    assert session.state is not SessionState.ACTIVE


def test_a_plain_refusal_text_is_still_answered_with_a_logout() -> None:
    session = Session(SessionConfig("FIX.4.4", "EXEC", "CLIENT", logon_check=lambda pairs: "bad password"))
    session.connection_made(NOON)
    out = session.receive_data(logon(NOON), NOON)
    assert [o.msg_type for o in out if isinstance(o, SendFrame)] == ["5"]


def test_the_runners_logon_check_refuses_without_an_answer_outside_session_time() -> None:
    async def scenario() -> Any:
        engine = await FixEngine.create(acceptor_config(free_port(), ["CLIENT"], **window(3600, 7200)), Watcher())
        check = engine.runner().session.config.logon_check
        assert check is not None
        return check([(35, b"A")])

    refusal = run_bounded(scenario())
    assert isinstance(refusal, RefusedWithoutAnswer)
    assert OUTSIDE_SESSION_TIME in refusal and "session time starts again at" in refusal
