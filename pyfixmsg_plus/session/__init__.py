"""The sans-I/O FIX session layer: state machine, sequencing, admin messages, timers (no asyncio, no sockets).

Feed it bytes (``receive_data``) or frames the engine already split (``receive_index``) and clock ticks
(``tick``); it returns events for the application and effects for the engine (``SendFrame``, ``FetchResend``,
``ArmTimer``, ``Disconnect``, ...). See docs/session.md.
"""

from __future__ import annotations

from pyfixmsg_plus.session.config import PairsValidator, Persistence, Role, SessionConfig, SessionID
from pyfixmsg_plus.session.core import Session, SessionNotActive
from pyfixmsg_plus.session.events import (
    ArmTimer,
    BatchReceived,
    Disconnect,
    Effect,
    Event,
    FetchResend,
    FrameIgnored,
    LoggedOn,
    LoggedOut,
    MessageReceived,
    Output,
    RejectSent,
    ResetStore,
    SaveSequenceNumbers,
    SendFrame,
    StateChanged,
    StoreInbound,
    StoreInboundRun,
    StoreTiming,
)
from pyfixmsg_plus.session.fixt import ApplVerValidator, FixtDictionaries, UnsupportedApplVerID
from pyfixmsg_plus.session.registry import Route, SessionRegistry
from pyfixmsg_plus.session.states import InvalidTransition, SessionState, StateMachine

__all__ = [
    "ApplVerValidator",
    "ArmTimer",
    "BatchReceived",
    "Disconnect",
    "Effect",
    "Event",
    "FetchResend",
    "FixtDictionaries",
    "FrameIgnored",
    "InvalidTransition",
    "LoggedOn",
    "LoggedOut",
    "MessageReceived",
    "Output",
    "PairsValidator",
    "Persistence",
    "RejectSent",
    "ResetStore",
    "Role",
    "Route",
    "SaveSequenceNumbers",
    "SendFrame",
    "Session",
    "SessionConfig",
    "SessionID",
    "SessionNotActive",
    "SessionRegistry",
    "SessionState",
    "StateChanged",
    "StateMachine",
    "StoreInbound",
    "StoreInboundRun",
    "StoreTiming",
    "UnsupportedApplVerID",
]
