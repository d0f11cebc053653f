"""The echo application of QuickFIX's acceptance tests, on the engine (``pyfixmsg-plus acceptor --app echo``).

A NewOrderSingle (35=D) is echoed back as a new message of the same type and body, unless it arrives with
PossResend(97)=Y and a ClOrdID(11) already seen since logon; a SecurityDefinition (35=d) is echoed back; any other
application message type is answered by the session with BusinessMessageReject(35=j) (``supported_app_msg_types``).
"""

from __future__ import annotations

from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.session import MessageReceived
from pyfixmsg_plus.session.inbound import parse_pairs
from pyfixmsg_plus.testing.conformance import EchoApplication as EchoRules


class EchoApplication(Application):
    """Echoes D and d back on the session they came from; call :meth:`bind` with the engine before starting."""

    supported_app_msg_types = EchoRules.SUPPORTED

    def __init__(self) -> None:
        super().__init__()
        self.engine: Any = None
        self._rules: dict[Any, EchoRules] = {}
        self.echoed = 0

    def bind(self, engine: Any) -> EchoApplication:
        """Use ``engine`` (a FixEngine) to send the echoes."""
        self.engine = engine
        return self

    def _rules_for(self, session_id: Any) -> EchoRules:
        rules = self._rules.get(session_id)
        if rules is None:
            validator = self.engine.runner(session_id).session.validator if self.engine else None
            rules = self._rules[session_id] = EchoRules(validator)
        return rules

    def onLogon(self, sessionID: Any) -> None:
        self._rules_for(sessionID).on_logon()

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        frame = message.raw_message
        msg_type = str(message.get(35))
        seqnum = int(message.get(34, 0))
        pairs = parse_pairs(frame)
        poss_dup = message.get(43) == "Y"
        event = MessageReceived(msg_type, seqnum, pairs, frame, False, poss_dup)
        reply = self._rules_for(sessionID).reply(event)
        if reply is None or self.engine is None:
            return
        runner = self.engine.runner(sessionID)
        if runner.session.is_logged_on:
            self.echoed += 1
            await self.engine.send_fields(msg_type, reply, sessionID)
