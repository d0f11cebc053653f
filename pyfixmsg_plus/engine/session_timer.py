"""One wall-clock timer per session: calls back at the deadline the session asked for, never before it.

The session asks for a deadline when it moves earlier, after every state change and after every tick; between
them its deadline only moves later (HeartBtInt(108) counts from the last message), so a tick at the armed
deadline may find nothing due and re-arm for the later one. A deadline asked for later than the armed
TimerHandle keeps the handle, which, when it fires before the deadline, waits the rest. That keeps one handle
per interval in the loop's timer heap, and covers a loop clock running ahead of the wall clock (uvloop rounds
timers to the millisecond): the callback never comes before the wall-clock deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

#: the shortest re-wait of a timer that fired before its wall-clock deadline, seconds
MIN_WAIT = 0.001


class SessionTimer:
    """Calls ``on_due()`` once the wall clock ``clock()`` (seconds since the epoch) reaches the armed deadline."""

    def __init__(self, clock: Callable[[], float], on_due: Callable[[], None]) -> None:
        self._clock = clock
        self._on_due = on_due
        self._handle: asyncio.TimerHandle | None = None
        self._handle_deadline = 0.0  # wall time the TimerHandle is set for
        self.deadline = 0.0  # wall time asked for (never before the TimerHandle's)

    @property
    def armed(self) -> bool:
        """True while a call is pending."""
        return self._handle is not None

    def arm(self, deadline: float) -> None:
        """Call back at ``deadline`` (wall seconds) instead of any earlier deadline."""
        self.deadline = deadline
        if self._handle is not None and self._handle_deadline <= deadline:
            return  # it fires first and then waits the rest
        self.cancel()
        self._set(deadline - self._clock())

    def cancel(self) -> None:
        """No call back until armed again."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _set(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        self._handle_deadline = self.deadline
        self._handle = loop.call_at(loop.time() + max(0.0, delay), self._fire)

    def _fire(self) -> None:
        self._handle = None
        early = self.deadline - self._clock()
        if early > 0:
            self._set(max(early, MIN_WAIT))
            return
        self._on_due()
