"""Session states, the table of allowed transitions, and the observer API for state changes.

The table is the single place that says "what may happen now" (as h11's ``_state.py``): a transition that is
not
listed raises :class:`InvalidTransition`, which names both states.
"""

from __future__ import annotations

import enum
from collections.abc import Callable


class SessionState(enum.Enum):
    """Where a FIX session is in its life cycle."""

    DISCONNECTED = "Disconnected"  # no transport
    CONNECTING = "Connecting"  # initiator: transport being opened
    LOGON_IN_PROGRESS = "LogonInProgress"  # transport open, Logon (35=A) exchange not finished
    ACTIVE = "Active"  # logged on: application messages flow
    LOGOUT_IN_PROGRESS = "LogoutInProgress"  # Logout (35=5) sent, waiting for the answer or the timeout
    RECONNECTING = "Reconnecting"  # initiator: transport lost, waiting to connect again


S = SessionState

#: state -> states it may move to
TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    S.DISCONNECTED: frozenset({S.CONNECTING, S.LOGON_IN_PROGRESS}),
    S.CONNECTING: frozenset({S.LOGON_IN_PROGRESS, S.DISCONNECTED, S.RECONNECTING}),
    S.LOGON_IN_PROGRESS: frozenset({S.ACTIVE, S.LOGOUT_IN_PROGRESS, S.DISCONNECTED, S.RECONNECTING}),
    S.ACTIVE: frozenset({S.LOGOUT_IN_PROGRESS, S.DISCONNECTED, S.RECONNECTING}),
    S.LOGOUT_IN_PROGRESS: frozenset({S.DISCONNECTED, S.RECONNECTING}),
    S.RECONNECTING: frozenset({S.CONNECTING, S.DISCONNECTED}),
}

#: states in which a transport is open
CONNECTED_STATES = frozenset({S.LOGON_IN_PROGRESS, S.ACTIVE, S.LOGOUT_IN_PROGRESS})

StateListener = Callable[[SessionState, SessionState], None]


class InvalidTransition(RuntimeError):
    """A state change that the transition table does not allow."""

    def __init__(self, old: SessionState, new: SessionState) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none"
        super().__init__(
            f"session cannot go from {old.value} to {new.value} (allowed from {old.value}: {allowed})"
        )
        self.old = old
        self.new = new


class StateMachine:
    """Holds the current :class:`SessionState` and tells listeners about every change."""

    def __init__(self, initial: SessionState = SessionState.DISCONNECTED) -> None:
        self._state = initial
        self._listeners: list[StateListener] = []

    @property
    def state(self) -> SessionState:
        """The current state."""
        return self._state

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener(old, new)`` after every state change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener``; ValueError if it was not added."""
        self._listeners.remove(listener)

    def can_move_to(self, new: SessionState) -> bool:
        """True when the table allows moving from the current state to ``new``."""
        return new in TRANSITIONS[self._state]

    def move_to(self, new: SessionState) -> tuple[SessionState, SessionState] | None:
        """Change state; returns (old, new), or None when already in ``new``. Raises InvalidTransition."""
        old = self._state
        if new is old:
            return None
        if new not in TRANSITIONS[old]:
            raise InvalidTransition(old, new)
        self._state = new
        for listener in list(self._listeners):
            listener(old, new)
        return old, new
