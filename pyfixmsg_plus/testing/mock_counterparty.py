"""A counterparty that users script: expect this message, answer that.

::

    mock = MockCounterparty()
    mock.expect("D", {55: "EUR/USD", 54: "1"}).reply(lambda order: fill_for(order, 1))
    mock.expect("F")                                           # a cancel, any fields
    async with mock.serve(sender="EXEC", target="CLIENT") as server:   # over loopback TCP
        ...  # connect the code under test to 127.0.0.1:server.port, let it work
        await mock.wait_done(timeout=5)                        # AssertionError with a readable report

The script checks application messages only (the session layer handles admin messages). By default the
expectations are met in order: a received message that does not match the next expectation is recorded as a
mismatch, with a table of the differing fields. ``ordered=False`` matches any pending expectation.

The same script runs without sockets (sans-I/O): :meth:`MockCounterparty.sans_io` gives a
:class:`ScriptedSession` that takes the bytes the code under test wrote and returns the bytes the counterparty
answers (Logon, replies, Heartbeats, resends), on a clock the test controls.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.message.reference import FixSpec
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import Disconnect as DisconnectEffect
from pyfixmsg_plus.session import (
    FetchResend,
    LoggedOn,
    MessageReceived,
    Output,
    Role,
    SendFrame,
    Session,
    SessionConfig,
)
from pyfixmsg_plus.testing.assertions import VOLATILE_TAGS, field_differences, format_differences

#: a reply: message fields (with MsgType(35)), or a function of the received message giving fields, a list
#: of them, or None for no answer
Reply = Mapping[int, Any] | Callable[[Any], Any]
#: fields the session sets itself on every message it sends (8, 9, 10, 34, 35, 49, 52, 56)
_SESSION_SET_TAGS = frozenset({8, 9, 10, 34, 35, 49, 52, 56})


@dataclass
class Expectation:
    """One scripted step: a message of ``msg_type`` carrying ``fields`` (values compared as text, or
    predicates of the text), answered by ``replies``."""

    msg_type: str
    fields: Mapping[int, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    met_by: Any = None

    def reply(self, *answers: Reply) -> Expectation:
        """Answer the matching message with ``answers``, in order (chainable)."""
        self.replies.extend(answers)
        return self

    def differences(self, message: Any) -> list[tuple[int, str, str]]:
        """How ``message`` differs from this expectation (MsgType(35) first); empty when it matches."""
        return field_differences(message, {35: self.msg_type, **self.fields}, ignore=VOLATILE_TAGS)

    def __str__(self) -> str:
        shown = ", ".join(f"{tag}={getattr(v, '__name__', v)}" for tag, v in self.fields.items())
        return f"35={self.msg_type}" + (f" with {shown}" if shown else "")


@dataclass
class Mismatch:
    """A received message that met no expectation: the expectation it was compared with (None when none was
    pending) and the differences."""

    message: Any
    expected: Expectation | None
    differences: list[tuple[int, str, str]]


@dataclass(frozen=True)
class MockServer:
    """What :meth:`MockCounterparty.serve` runs: the acceptor engine and its port on 127.0.0.1."""

    engine: Any
    port: int


class MockCounterparty(Application):
    """A scripted counterparty; also the :class:`Application` of the engine that :meth:`serve` runs."""

    def __init__(self, spec: FixSpec | str = "FIX.4.4", *, ordered: bool = True) -> None:
        super().__init__()
        self.spec = load_builtin(spec) if isinstance(spec, str) else spec
        self.ordered = ordered
        self.expectations: list[Expectation] = []
        self.on_logon_messages: list[Mapping[int, Any]] = []
        self.received: list[Any] = []
        self.mismatches: list[Mismatch] = []
        self.engine: Any = None
        self._progress: asyncio.Event | None = None

    # ------------------------------------------------------------------ scripting
    def expect(self, msg_type: str, fields: Mapping[int, Any] | None = None) -> Expectation:
        """Expect a message of ``msg_type`` with ``fields`` (a subset; values or predicates); chain
        ``.reply(...)`` to answer it."""
        expectation = Expectation(msg_type, dict(fields or {}))
        self.expectations.append(expectation)
        return expectation

    def send_on_logon(self, *messages: Mapping[int, Any]) -> MockCounterparty:
        """Send ``messages`` (fields with MsgType(35)) as soon as the session is logged on (chainable)."""
        self.on_logon_messages.extend(messages)
        return self

    @property
    def pending(self) -> list[Expectation]:
        """Expectations not met yet, in script order."""
        return [e for e in self.expectations if e.met_by is None]

    @property
    def done(self) -> bool:
        """True when every expectation was met and no message mismatched."""
        return not self.pending and not self.mismatches

    # ------------------------------------------------------------------ matching (no I/O)
    def handle(self, message: Any) -> list[dict[int, Any]]:
        """Match a received application message against the script; the replies to send (fields dicts)."""
        self.received.append(message)
        candidates = self.pending[:1] if self.ordered else self.pending
        for expectation in candidates:
            if not expectation.differences(message):
                expectation.met_by = message
                self._notify()
                return self._replies(expectation, message)
        nearest = candidates[0] if candidates else None
        self.mismatches.append(Mismatch(message, nearest, nearest.differences(message) if nearest else []))
        self._notify()
        return []

    @staticmethod
    def _replies(expectation: Expectation, message: Any) -> list[dict[int, Any]]:
        out: list[dict[int, Any]] = []
        for reply in expectation.replies:
            produced = reply(message) if callable(reply) else reply
            if produced is None:
                continue
            out.extend(dict(item) for item in (produced if isinstance(produced, list | tuple) else [produced]))
        return out

    def verify(self) -> None:
        """Fail with a report of unmet expectations and mismatched messages, unless the script is done."""
        if self.done:
            return
        lines = [f"mock counterparty: {len(self.pending)} expectation(s) not met, "
                 f"{len(self.mismatches)} unexpected message(s)"]  # fmt: skip
        lines += [f"  not met: {e}" for e in self.pending]
        for mismatch in self.mismatches:
            lines.append(f"  unexpected 35={mismatch.message.get(35)} (MsgSeqNum {mismatch.message.get(34)})"
                         + (f", compared with: {mismatch.expected}" if mismatch.expected else
                            ", no expectation was pending"))  # fmt: skip
            if mismatch.differences:
                lines.append(format_differences(mismatch.differences, self.spec))
        raise AssertionError("\n".join(lines))

    async def wait_done(self, timeout: float = 5.0) -> None:
        """Wait until every expectation is met (seconds), then :meth:`verify`; a mismatch fails at once."""
        loop_deadline = asyncio.get_running_loop().time() + timeout
        while self.pending and not self.mismatches:
            remaining = loop_deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            self._progress = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), remaining)
        self.verify()

    def _notify(self) -> None:
        if self._progress is not None:
            self._progress.set()

    # ------------------------------------------------------------------ over loopback (Application side)
    async def onLogon(self, sessionID: Any) -> None:
        for message in self.on_logon_messages:
            await self._send(dict(message), sessionID)

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        for reply in self.handle(message):
            await self._send(reply, sessionID)

    async def _send(self, fields: dict[int, Any], session_id: Any) -> None:
        if self.engine is not None:
            await self.engine.send_message(self.engine.fixmsg(fields, session_id=session_id), session_id=session_id)

    @contextlib.asynccontextmanager
    async def serve(
        self, *, sender: str = "EXEC", target: str = "CLIENT", port: int | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[MockServer]:  # fmt: skip
        """Run the script as an acceptor ``sender`` for ``target`` on 127.0.0.1 (``port``, or a free one);
        yields a :class:`MockServer` (the engine and the port). ``settings``: more configuration keys."""
        from pyfixmsg_plus.config import ConfigManager
        from pyfixmsg_plus.engine import FixEngine
        from pyfixmsg_plus.testing.loopback import free_port

        chosen = port if port is not None else free_port()
        defaults = {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": chosen,
                    "StoreType": "memory", "BeginString": self.spec.begin_string, **(settings or {})}  # fmt: skip
        config = ConfigManager.from_dict({"DEFAULT": defaults,
                                          "SESSION": [{"SenderCompID": sender, "TargetCompID": target}]})
        engine = await FixEngine.create(config, self)
        self.engine = engine
        await engine.open()
        try:
            yield MockServer(engine, chosen)
        finally:
            await engine.disconnect(graceful=True, timeout=2.0)

    # ------------------------------------------------------------------ without sockets
    def sans_io(self, *, sender: str = "EXEC", target: str = "CLIENT", role: Role = Role.ACCEPTOR,
                heartbeat_interval: int = 30) -> ScriptedSession:  # fmt: skip
        """A :class:`ScriptedSession` running this script as ``sender`` talking to ``target``."""
        config = SessionConfig(self.spec.begin_string, sender, target, role=role,
                               heartbeat_interval=heartbeat_interval)  # fmt: skip
        return ScriptedSession(self, Session(config, Validator(self.spec)), Codec(spec=self.spec))


class ScriptedSession:
    """The mock counterparty's sans-I/O session: bytes in, bytes out, with the test's clock.

    ``now`` arguments are seconds since the epoch (the wall clock when None). The session keeps every frame it
    sent, so a ResendRequest is answered with replays and gap fills.
    """

    def __init__(self, script: MockCounterparty, session: Session, codec: Codec) -> None:
        self.script = script
        self.session = session
        self.codec = codec
        self.sent: dict[int, bytes] = {}
        self.closed = False
        self.connected = False

    def connect(self, now: float | None = None) -> bytes:
        """The transport opened: an initiator-role mock sends its Logon (returned); an acceptor waits."""
        self.connected = True
        outputs = self.session.start(_now(now)) if self.session.config.role is Role.INITIATOR else []
        return self._run(outputs + self.session.connection_made(_now(now)), _now(now))

    def feed(self, data: bytes, now: float | None = None) -> bytes:
        """Bytes the code under test wrote; returns what the counterparty writes in answer."""
        if not self.connected:
            self.connect(now)
        return self._run(self.session.receive_data(data, _now(now)), _now(now))

    def tick(self, now: float) -> bytes:
        """Time passed (Heartbeats, TestRequests, timeouts); returns what the counterparty writes."""
        return self._run(self.session.tick(now), now)

    def send(self, fields: Mapping[int, Any], now: float | None = None) -> bytes:
        """Send an application message now (fields with MsgType(35)); returns its frame."""
        return self._send(dict(fields), _now(now))

    def _send(self, fields: dict[int, Any], now: float) -> bytes:
        message = FixMessage(fields)
        message.codec = self.codec
        body = [(tag, value) for tag, value in self.codec.body_fields(message) if tag not in _SESSION_SET_TAGS]
        return self._run(self.session.send(str(fields[35]), body, now), now)

    def _run(self, outputs: list[Output], now: float) -> bytes:
        written: list[bytes] = []
        for output in outputs:
            if isinstance(output, SendFrame):
                written.append(output.frame)
                if output.msg_type:  # replays carry no MsgType: they were stored under their first sending
                    self.sent[output.seqnum] = output.frame
            elif isinstance(output, FetchResend):
                stored = [(n, f) for n, f in sorted(self.sent.items()) if output.begin <= n
                          and (output.end == 0 or n <= output.end)]  # fmt: skip
                written.append(self._run(self.session.fulfil_resend(output.begin, output.end, stored, now), now))
            elif isinstance(output, LoggedOn):
                written.extend(self._send(dict(m), now) for m in self.script.on_logon_messages)
            elif isinstance(output, MessageReceived) and not output.is_admin:
                message = self.codec.parse_message(output.frame)
                written.extend(self._send(reply, now) for reply in self.script.handle(message))
            elif isinstance(output, DisconnectEffect):
                self.closed = True
        return b"".join(written)


def _now(now: float | None) -> float:
    return time.time() if now is None else now


__all__ = ["Expectation", "Mismatch", "MockCounterparty", "MockServer", "Reply", "ScriptedSession"]
