"""Timers.next_deadline: the earliest of the pending deadlines, and the first moment ``action`` acts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.session.timers import TimerAction, Timers

_TIMES = st.floats(0, 1e6, allow_nan=False)


def earliest_candidate(timers: Timers, active: bool) -> float | None:
    """The specification: the smallest of the logon/logout deadlines and, while active with a heartbeat,
    ReceiveTimeout, TestRequest(35=1) and (no TestRequest outstanding) Heartbeat(35=0) due times."""
    candidates = [d for d in (timers.logon_deadline, timers.logout_deadline) if d is not None]
    interval = timers.heartbeat_interval
    if active and interval > 0:
        candidates.append(timers.last_received + timers.receive_timeout_factor * interval)
        factor = (1.0 + timers.test_request_margin) * (timers.test_requests_sent + 1)
        candidates.append(timers.last_received + factor * interval)
        if timers.test_requests_sent == 0:
            candidates.append(timers.last_sent + interval)
    return min(candidates) if candidates else None


_timers = st.builds(
    Timers,
    test_request_margin=st.sampled_from([0.0, 0.2, 0.5]),
    receive_timeout_factor=st.sampled_from([1.0, 2.0, 2.4]),
    heartbeat_interval=st.sampled_from([-1, 0, 1, 30]),
    last_sent=_TIMES,
    last_received=_TIMES,
    test_requests_sent=st.integers(0, 3),
    logon_deadline=st.none() | _TIMES,
    logout_deadline=st.none() | _TIMES,
)


@settings(max_examples=300, deadline=None)
@given(_timers, st.booleans())
def test_next_deadline_is_the_earliest_pending_deadline(timers: Timers, active: bool) -> None:
    deadline = timers.next_deadline(active)
    assert deadline == earliest_candidate(timers, active)
    if deadline is not None:
        assert timers.action(deadline, active) is not TimerAction.NOTHING


def test_an_idle_session_has_no_deadline() -> None:
    timers = Timers(0.2, 2.4, heartbeat_interval=0)
    assert timers.next_deadline(active=True) is None
    timers.logout_deadline = 50.0
    assert timers.next_deadline(active=True) == 50.0


def test_the_heartbeat_is_due_after_heartbtint_of_silence_on_send() -> None:
    timers = Timers(0.2, 2.4, heartbeat_interval=30)
    timers.start(1000.0)
    timers.sent(1010.0)
    timers.received(1015.0)  # TestRequest due at 1015 + 1.2 * 30 = 1051
    assert timers.next_deadline(active=True) == 1040.0
    timers.test_requests_sent = 1  # a TestRequest is outstanding: no Heartbeat, its answer is awaited
    assert timers.next_deadline(active=True) == 1015.0 + 1.2 * 2 * 30
