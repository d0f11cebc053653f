"""Each message received tells the session's timers once (Session.handle does it for every message it is given,
before any check; the handlers do not tell them again)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.session import Session, SessionConfig, SessionState
from pyfixmsg_plus.session.timers import Timers

T0 = 1_700_000_000.0
US, THEM = "ISLD", "TW"


def frame(msg_type: str, seqnum: int, now: float, *body: tuple[int, object]) -> bytes:
    """A frame from the counterparty to us, sent at ``now`` (epoch seconds)."""
    sending_time = format_utc_timestamp(int(now * 1e9), "ms").decode()
    fields = [(35, msg_type), (34, seqnum), (49, THEM), (52, sending_time), (56, US), *body]
    return encode_message("FIX.4.4", fields)


@pytest.fixture
def received_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The times passed to Timers.received, in call order, for every session of the test."""
    calls: list[float] = []
    original = Timers.received

    def counting(self: Timers, now: float) -> None:
        calls.append(now)
        original(self, now)

    monkeypatch.setattr(Timers, "received", counting)
    yield calls


def test_a_logon_and_each_message_after_it_tell_the_timers_once(received_at: list[float]) -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM))
    session.connection_made(T0)
    session.receive_data(frame("A", 1, T0, (98, 0), (108, 30)), T0)  # Logon (35=A)
    assert session.state is SessionState.ACTIVE
    assert received_at == [T0]
    session.receive_data(frame("1", 2, T0 + 1, (112, "probe")), T0 + 1)  # TestRequest (35=1)
    session.receive_data(frame("D", 3, T0 + 2, (11, "o1")), T0 + 2)  # an application message
    assert received_at == [T0, T0 + 1, T0 + 2]


def test_a_message_queued_behind_a_gap_tells_the_timers_on_arrival_and_on_replay(received_at: list[float]) -> None:
    session = Session(SessionConfig("FIX.4.4", US, THEM))
    session.connection_made(T0)
    session.receive_data(frame("A", 1, T0, (98, 0), (108, 30)), T0)
    session.receive_data(frame("D", 3, T0 + 1, (11, "early")), T0 + 1)  # too high: queued, gap 2..2 asked for
    session.receive_data(frame("D", 2, T0 + 2, (11, "late")), T0 + 2)  # fills the gap; 3 replayed
    assert session.seq.next_target == 4
    assert received_at == [T0, T0 + 1, T0 + 2, T0 + 2]
