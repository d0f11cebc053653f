"""Heartbeat, TestRequest, logon and logout timing. Times are seconds since the epoch, given as inputs.

FIX rules: send a Heartbeat (35=0) after HeartBtInt (108) of silence on send; after HeartBtInt plus a margin
of
silence on receive send a TestRequest (35=1); if that stays unanswered, the link is considered lost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class TimerAction(enum.Enum):
    """What the clock asks the session to do now."""

    NOTHING = "nothing"
    HEARTBEAT = "heartbeat"
    TEST_REQUEST = "test_request"
    RECEIVE_TIMEOUT = "receive_timeout"
    LOGON_TIMEOUT = "logon_timeout"
    LOGOUT_TIMEOUT = "logout_timeout"


@dataclass(slots=True)
class Timers:
    """Last send/receive times and the pending deadlines of one connection."""

    test_request_margin: float
    receive_timeout_factor: float
    heartbeat_interval: int = 0
    last_sent: float = 0.0
    last_received: float = 0.0
    test_requests_sent: int = 0
    logon_deadline: float | None = None
    logout_deadline: float | None = None

    def start(self, now: float) -> None:
        """A connection opened at ``now``: silence is counted from here."""
        self.last_sent = self.last_received = now
        self.test_requests_sent = 0
        self.logon_deadline = self.logout_deadline = None

    def sent(self, now: float) -> None:
        """Something was written at ``now``."""
        self.last_sent = now

    def received(self, now: float) -> None:
        """A message from the counterparty arrived at ``now`` (accepted or rejected: either shows the peer is
        alive, so an outstanding TestRequest counts as answered)."""
        self.last_received = now
        self.test_requests_sent = 0

    def _heartbeat_due(self) -> float:
        return self.last_sent + self.heartbeat_interval

    def _test_request_due(self) -> float:
        factor = (1.0 + self.test_request_margin) * (self.test_requests_sent + 1)
        return self.last_received + factor * self.heartbeat_interval

    def _receive_timeout_due(self) -> float:
        return self.last_received + self.receive_timeout_factor * self.heartbeat_interval

    def action(self, now: float, active: bool) -> TimerAction:
        """The one thing to do at ``now`` (timeouts first, then TestRequest, then Heartbeat)."""
        if self.logon_deadline is not None and now >= self.logon_deadline:
            return TimerAction.LOGON_TIMEOUT
        if self.logout_deadline is not None and now >= self.logout_deadline:
            return TimerAction.LOGOUT_TIMEOUT
        if not active or self.heartbeat_interval <= 0:
            return TimerAction.NOTHING
        if now >= self._receive_timeout_due():
            return TimerAction.RECEIVE_TIMEOUT
        if now >= self._test_request_due():
            return TimerAction.TEST_REQUEST
        if self.test_requests_sent == 0 and now >= self._heartbeat_due():
            return TimerAction.HEARTBEAT
        return TimerAction.NOTHING

    def next_deadline(self, active: bool) -> float | None:
        """The earliest time at which :meth:`action` may return something other than NOTHING."""
        # called after every input: compares in place instead of building a list of candidates
        earliest = self.logon_deadline
        logout = self.logout_deadline
        if logout is not None and (earliest is None or logout < earliest):
            earliest = logout
        interval = self.heartbeat_interval
        if not active or interval <= 0:
            return earliest
        received = self.last_received
        # ReceiveTimeout and the TestRequest(35=1) due time both count from the last message received
        due = received + self.receive_timeout_factor * interval
        test_request = received + (1.0 + self.test_request_margin) * (self.test_requests_sent + 1) * interval
        if test_request < due:
            due = test_request
        # Heartbeat(35=0) after HeartBtInt(108) of silence on send, unless a TestRequest is outstanding
        if self.test_requests_sent == 0:
            heartbeat = self.last_sent + interval
            if heartbeat < due:
                due = heartbeat
        return due if earliest is None or due < earliest else earliest
