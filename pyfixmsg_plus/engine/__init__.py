"""The engine: runs sessions over transports and stores, and calls the application (see docs/engine.md).

* :class:`FixEngine` (``engine.py``) wires a configuration's sessions, listeners, connections and stores;
* :class:`SessionRunner` (``session_runner.py``) executes one session's effects: writes, store, timer, callbacks;
* :class:`AcceptorRouter` (``acceptor_router.py``) routes the connections of one port by their Logon;
* ``building.py`` turns typed settings into session configs, validators, stores, TLS contexts.
"""

from pyfixmsg_plus.engine.acceptor_router import AcceptorRouter
from pyfixmsg_plus.engine.engine import FixEngine, StateMachineView
from pyfixmsg_plus.engine.session_runner import SessionRunner

__all__ = ["AcceptorRouter", "FixEngine", "SessionRunner", "StateMachineView"]
