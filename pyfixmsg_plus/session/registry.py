"""Acceptor side: which configured session a new connection belongs to, found from its first message.

FIX: a connection's first message must be a Logon (35=A); its BeginString (8), SenderCompID (49) and
TargetCompID
(56) name the session (seen from our side: 56 is our SenderCompID). An unknown identity, or one whose
session is
already connected, is refused (the connection is closed without an answer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pyfixmsg_plus.session.core import Session
from pyfixmsg_plus.session.inbound import Inbound
from pyfixmsg_plus.session.states import CONNECTED_STATES


@dataclass(frozen=True, slots=True)
class Route:
    """The result of routing a first frame: the session, or None and why the connection is refused."""

    session: Session | None
    reason: str = ""


class SessionRegistry:
    """The sessions an acceptor serves, keyed by (BeginString, SenderCompID, TargetCompID)."""

    def __init__(self, sessions: list[Session] | None = None) -> None:
        self._sessions: dict[tuple[str, str, str], Session] = {}
        for session in sessions or []:
            self.add(session)

    def add(self, session: Session) -> None:
        """Serve ``session``; ValueError when a session with the same identity is already there."""
        sid = session.session_id
        key = (sid.begin_string, sid.sender_comp_id, sid.target_comp_id)
        if key in self._sessions:
            raise ValueError(f"a session {sid} is already registered")
        self._sessions[key] = session

    def __iter__(self) -> Iterator[Session]:
        return iter(self._sessions.values())

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, begin_string: str, sender_comp_id: str, target_comp_id: str) -> Session | None:
        """The session with this identity (our SenderCompID first), or None."""
        return self._sessions.get((begin_string, sender_comp_id, target_comp_id))

    def route(self, first_frame: bytes) -> Route:
        """The session a connection belongs to, from the connection's first valid frame."""
        inbound = Inbound.from_frame(first_frame)
        if inbound.msg_type != "A":
            return Route(None, f"first message was MsgType {inbound.msg_type!r}, not Logon (35=A)")
        ours, theirs = inbound.text(56) or "", inbound.text(49) or ""
        session = self.get(inbound.begin_string, ours, theirs)
        if session is None:
            return Route(None, f"no session {inbound.begin_string}:{ours}->{theirs}")
        if session.state in CONNECTED_STATES:
            return Route(None, f"session {session.session_id} is already connected")
        return Route(session)
