"""The state table: allowed transitions, the error for impossible ones, listeners."""

from __future__ import annotations

import pytest

from pyfixmsg_plus.session.states import TRANSITIONS, InvalidTransition, SessionState, StateMachine


def test_every_state_has_a_row_and_can_reach_disconnected() -> None:
    assert set(TRANSITIONS) == set(SessionState)
    for state, targets in TRANSITIONS.items():
        if state is not SessionState.DISCONNECTED:
            assert SessionState.DISCONNECTED in targets, state


def test_impossible_transition_names_both_states_and_the_allowed_ones() -> None:
    machine = StateMachine()
    with pytest.raises(InvalidTransition, match="from Disconnected to Active") as info:
        machine.move_to(SessionState.ACTIVE)
    assert "Connecting" in str(info.value) and machine.state is SessionState.DISCONNECTED


def test_listeners_get_old_and_new_and_can_be_removed() -> None:
    machine = StateMachine()
    calls: list[tuple[SessionState, SessionState]] = []

    def listener(old: SessionState, new: SessionState) -> None:
        calls.append((old, new))

    machine.add_listener(listener)
    machine.move_to(SessionState.LOGON_IN_PROGRESS)
    assert machine.move_to(SessionState.LOGON_IN_PROGRESS) is None  # staying put is not a change
    machine.remove_listener(listener)
    machine.move_to(SessionState.ACTIVE)
    assert calls == [(SessionState.DISCONNECTED, SessionState.LOGON_IN_PROGRESS)]
