"""``from pyfixmsg_plus.fixengine.state_machine import StateMachine``: the original import path.

States now come from the sans-I/O session (:class:`~pyfixmsg_plus.session.SessionState`); the original's
AWAITING_LOGON is LOGON_IN_PROGRESS on an acceptor.
"""

from pyfixmsg_plus.engine import StateMachineView
from pyfixmsg_plus.session import SessionState, StateMachine

__all__ = ["SessionState", "StateMachine", "StateMachineView"]
