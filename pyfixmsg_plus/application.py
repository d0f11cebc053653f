"""The user-facing callback API: subclass :class:`Application` and override what you need.

The engine calls these methods; this module does no I/O. Every callback may be a plain function or an
``async def`` (the engine awaits it through :func:`call_maybe_async`), as the original project's users wrote
them.

Order of calls for a received message (the engine drives it through :meth:`Application.deliver_inbound`):
inbound middleware (first added runs first) -> ``fromAdmin`` or ``fromApp`` -> the handler registered for its
MsgType(35), else the fallback (``onMessage`` unless replaced). For a message we send
(:meth:`Application.prepare_outbound`): ``toAdmin`` or ``toApp`` -> outbound middleware (last added runs
first, so the first added sits nearest the wire in both directions). A middleware returning None drops the
message; ``toApp`` may raise :class:`DoNotSend` to drop it, as in QuickFIX.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pyfixmsg_plus.eager import leave_eager_step

#: Names a session (pyfixmsg_plus.session.SessionID in the engine; any hashable value here).
SessionID = Hashable
#: A FIX message as the engine hands it over (a FixMessage: a mapping of tag -> value).
Message = Any
Handler = Callable[[Message, SessionID], Any]
MiddlewareFn = Callable[[Message, SessionID], Any]
StateListener = Callable[[SessionID, Any, Any], Any]

F = TypeVar("F", bound=Callable[..., Any])

#: FIX tag MsgType(35).
MSG_TYPE_TAG = 35
#: Text of a refused Logon when ``onLogonRequest`` returns False.
DEFAULT_REFUSAL_TEXT = "Logon refused"

#: Administrative MsgType(35) values (FIX session layer): Heartbeat, TestRequest, ResendRequest, Reject,
#: SequenceReset, Logout, Logon, XML non-FIX (n).
ADMIN_MSG_TYPES = frozenset({"0", "1", "2", "3", "4", "5", "A", "n"})

_HANDLES_ATTR = "_pyfixmsg_plus_handles"


class DoNotSend(Exception):
    """Raise in ``toApp`` to drop an outbound application message (QuickFIX's DoNotSend)."""


@dataclass(frozen=True, slots=True)
class LogonDecision:
    """The application's answer to a Logon(35=A): accept, or refuse with ``text`` for Logout Text(58)."""

    accepted: bool
    text: str | None = None


class Direction:
    """Which way a middleware applies."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"


async def call_maybe_async(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn(*args)`` and await the result when it is awaitable; returns the final result.

    A plain function costs no event-loop iteration. A coroutine runs inside a task: when the engine runs this
    eagerly in a socket callback's frame, it first moves into the task that finishes the work, so that the
    application's ``asyncio.timeout`` or ``asyncio.current_task`` see a task of their own."""
    result = fn(*args)
    if inspect.isawaitable(result):
        await leave_eager_step()
        return await result
    return result


def msg_type_of(message: Message) -> str:
    """The MsgType(35) of ``message`` as a str ("" when absent); int or str keys, str or bytes values."""
    value = None
    getter = getattr(message, "get", None)
    if getter is not None:
        value = getter(MSG_TYPE_TAG)
        if type(value) is str:
            return value  # a FixMessage's own value: the usual case
        if value is None:
            value = getter(str(MSG_TYPE_TAG))
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("ascii", "replace")
    return str(value)


def handles(*msg_types: str) -> Callable[[F], F]:
    """Mark a method of an :class:`Application` subclass as the handler of ``msg_types`` (MessageCracker).

    Example: ``@handles("D")`` above ``def on_new_order(self, message, sessionID)``.
    """
    _check_msg_types(msg_types)

    def mark(method: F) -> F:
        existing: tuple[str, ...] = getattr(method, _HANDLES_ATTR, ())
        setattr(method, _HANDLES_ATTR, existing + tuple(msg_types))
        return method

    return mark


def _check_msg_types(msg_types: Iterable[str]) -> None:
    types = list(msg_types)
    if not types:
        raise ValueError("a handler needs at least one MsgType(35), e.g. 'D'")
    for msg_type in types:
        if not isinstance(msg_type, str) or not msg_type:
            raise ValueError(f"MsgType(35) must be a non-empty str such as 'D', got {msg_type!r}")


class Application:
    """Base class of user applications: every callback is a no-op until overridden.

    QuickFIX's callbacks keep their names (camelCase, as the original project's users wrote them). Beyond
    them: ``onLogonRequest`` can refuse a Logon, ``onBatch`` receives whole received batches, handlers
    dispatch by MsgType(35), middleware inspects, changes or drops messages, and state listeners follow the
    session.
    """

    #: Application MsgTypes(35) that ``onBatch`` consumes on its own (when ``onBatch`` is overridden): the
    #: engine builds no message object for them and calls no other callback. Admin types are not allowed.
    batch_msg_types: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._fallback: Handler | None = None
        self._inbound: list[MiddlewareFn] = []
        self._outbound: list[MiddlewareFn] = []
        self._state_listeners: list[StateListener] = []
        # deliver_inbound_nowait may skip the coroutines of deliver_inbound unless a subclass replaced a step
        self._plain_delivery = all(
            getattr(type(self), name) is getattr(Application, name)
            for name in ("deliver_inbound", "run_inbound", "dispatch", "handler_for")
        )
        self._register_marked_methods()

    # ------------------------------------------------------------------ QuickFIX callbacks (override)
    def onCreate(self, sessionID: SessionID) -> Any:
        """A session was created (once per session, before any connection)."""

    def onLogon(self, sessionID: SessionID) -> Any:
        """The Logon(35=A) exchange completed: application messages may flow."""

    def onLogout(self, sessionID: SessionID) -> Any:
        """The session logged out or its connection was lost."""

    def toAdmin(self, message: Message, sessionID: SessionID) -> Any:
        """An administrative message is about to be sent; change it in place (e.g. add Username(553) and
        Password(554) to the Logon) and the change is what is stored and written.

        BeginString(8), MsgSeqNum(34), MsgType(35), SenderCompID(49) and TargetCompID(56) stay the session's.
        """

    def fromAdmin(self, message: Message, sessionID: SessionID) -> Any:
        """An administrative message was received."""

    def toApp(self, message: Message, sessionID: SessionID) -> Any:
        """An application message is about to be sent; raise :class:`DoNotSend` to drop it."""

    def fromApp(self, message: Message, sessionID: SessionID) -> Any:
        """An application message was received (before its MsgType handler)."""

    def onMessage(self, message: Message, sessionID: SessionID) -> Any:
        """The default fallback: every received message whose MsgType(35) has no registered handler."""

    def onReject(self, message: Message) -> Any:
        """A Reject(35=3) concerning one of our messages was received."""

    def onLogonRequest(self, message: Message, sessionID: SessionID) -> Any:
        """A Logon(35=A) arrived: True/None accepts, False refuses, a str refuses with that text.

        Check credentials here (Username(553), Password(554)); the text goes into the Logout's Text(58).
        """
        return True

    def onBatch(self, batch: Any, sessionID: SessionID) -> Any:
        """The messages of :attr:`batch_msg_types` that one socket read brought and the session accepted.

        ``batch`` is a FrameIndex of those frames only, in MsgSeqNum(34) order: ``batch.buffer`` (the bytes
        read), ``offsets``/``lengths`` (bytes), ``seqnums``, ``msgtypes`` (NumPy arrays), ``batch.frame(i)``.
        Called once per read, where the read's first such frame sits among the other callbacks, for users who
        scan market data without one Python object per message; those frames get no other callback.
        """

    def onStateChange(self, sessionID: SessionID, old: Any, new: Any) -> Any:
        """The session moved from state ``old`` to ``new`` (SessionState values)."""

    # ------------------------------------------------------------------ handler registry (MessageCracker)
    def register_handler(self, msg_type: str, handler: Handler) -> None:
        """Call ``handler(message, sessionID)`` for received messages of MsgType(35) ``msg_type``.

        Any MsgType works, including custom ones from the user's own dictionary; a second registration for the
        same MsgType replaces the first.
        """
        _check_msg_types([msg_type])
        self._handlers[msg_type] = handler

    def unregister_handler(self, msg_type: str) -> None:
        """Remove the handler of ``msg_type``; KeyError naming it when there is none."""
        if msg_type not in self._handlers:
            raise KeyError(f"no handler registered for MsgType(35)={msg_type!r}")
        del self._handlers[msg_type]

    def handler(self, *msg_types: str) -> Callable[[F], F]:
        """Decorator form of :meth:`register_handler`: ``@app.handler("D", "G")``."""
        _check_msg_types(msg_types)

        def register(fn: F) -> F:
            for msg_type in msg_types:
                self.register_handler(msg_type, fn)
            return fn

        return register

    def set_fallback(self, handler: Handler | None) -> None:
        """Handler for messages with no registered MsgType handler (None restores ``onMessage``)."""
        self._fallback = handler

    def handler_for(self, msg_type: str) -> Handler:
        """The callable that a message of ``msg_type`` is dispatched to."""
        return self._handlers.get(msg_type) or self._fallback or self.onMessage

    @property
    def handled_msg_types(self) -> frozenset[str]:
        """MsgTypes(35) with a registered handler."""
        return frozenset(self._handlers)

    async def dispatch(self, message: Message, sessionID: SessionID) -> Any:
        """Call the handler of the message's MsgType(35), or the fallback; returns the handler's result."""
        return await call_maybe_async(self.handler_for(msg_type_of(message)), message, sessionID)

    # ------------------------------------------------------------------ middleware
    def add_middleware(self, middleware: Any, direction: str = Direction.BOTH) -> None:
        """Add a middleware: ``fn(message, sessionID) -> message | None`` (None drops the message).

        ``middleware`` is either such a callable, applied in ``direction`` ("inbound", "outbound" or "both"),
        or an object with ``inbound`` and/or ``outbound`` methods of that shape (``direction`` is then
        ignored). Plain or async.
        """
        inbound = getattr(middleware, Direction.INBOUND, None)
        outbound = getattr(middleware, Direction.OUTBOUND, None)
        if inbound is not None or outbound is not None:
            if inbound is not None:
                self._inbound.append(inbound)
            if outbound is not None:
                self._outbound.append(outbound)
            return
        if not callable(middleware):
            raise TypeError(f"middleware {middleware!r} is neither callable nor has inbound/outbound methods")
        if direction not in (Direction.INBOUND, Direction.OUTBOUND, Direction.BOTH):
            raise ValueError(f"middleware direction={direction!r} must be 'inbound', 'outbound' or 'both'")
        if direction in (Direction.INBOUND, Direction.BOTH):
            self._inbound.append(middleware)
        if direction in (Direction.OUTBOUND, Direction.BOTH):
            self._outbound.append(middleware)

    async def run_inbound(self, message: Message, sessionID: SessionID) -> Message | None:
        """Pass a received message through the inbound middleware, first added first; None when dropped."""
        return await _run_chain(self._inbound, message, sessionID)

    async def run_outbound(self, message: Message, sessionID: SessionID) -> Message | None:
        """Pass an outgoing message through the outbound middleware, last added first; None when dropped."""
        return await _run_chain(reversed(self._outbound), message, sessionID)

    # ------------------------------------------------------------------ what the engine calls
    async def deliver_inbound(
        self, message: Message, sessionID: SessionID, *, admin: bool | None = None
    ) -> bool:
        """Hand a received message to the application; False when a middleware dropped it.

        ``admin`` says whether it is a session-level message (decided from MsgType(35) when None).
        """
        passed = await self.run_inbound(message, sessionID)
        if passed is None:
            return False
        is_admin = msg_type_of(passed) in ADMIN_MSG_TYPES if admin is None else admin
        await call_maybe_async(self.fromAdmin if is_admin else self.fromApp, passed, sessionID)
        await self.dispatch(passed, sessionID)
        return True

    def deliver_inbound_nowait(
        self, message: Message, sessionID: SessionID, *, admin: bool | None = None
    ) -> Awaitable[bool] | None:
        """:meth:`deliver_inbound` as a plain call: None once the message was delivered, else an awaitable that
        finishes the delivery (await it; its result is ``deliver_inbound``'s).

        Without inbound middleware and with plain (not ``async``) callbacks, the usual case on a busy session,
        the callbacks run at once and no coroutine is created; an async callback's rest is returned to await,
        and it runs inside a task as with ``deliver_inbound``. The order of calls is the same."""
        if self._inbound or not self._plain_delivery:
            return self.deliver_inbound(message, sessionID, admin=admin)
        is_admin = msg_type_of(message) in ADMIN_MSG_TYPES if admin is None else admin
        result = (self.fromAdmin if is_admin else self.fromApp)(message, sessionID)
        # plain callbacks return None: the awaitable check (an ABC instance check) only for other results
        if result is not None and inspect.isawaitable(result):
            return self._dispatch_after(result, message, sessionID)
        handlers = self._handlers  # handler_for, without reading MsgType(35) when no handler is registered
        handler = None
        if handlers:
            # read after fromApp, as handler_for does (a callback may change it); msg_type_of for anything but a
            # str value read by get(), the usual FixMessage case, without its call
            try:
                msg_type = message.get(MSG_TYPE_TAG)
            except AttributeError:  # not a mapping: msg_type_of says what it is
                msg_type = None
            handler = handlers.get(msg_type if type(msg_type) is str else msg_type_of(message))
        handler = handler or self._fallback or self.onMessage
        result = handler(message, sessionID)
        if result is not None and inspect.isawaitable(result):
            return _delivered_after(result)
        return None

    async def _dispatch_after(self, pending: Awaitable[Any], message: Message, sessionID: SessionID) -> bool:
        """The rest of a delivery whose ``fromApp``/``fromAdmin`` returned an awaitable: await it, dispatch."""
        await leave_eager_step()
        await pending
        await self.dispatch(message, sessionID)
        return True

    async def prepare_outbound(
        self, message: Message, sessionID: SessionID, *, admin: bool | None = None
    ) -> Message | None:
        """Let the application see (and change) a message before it is sent; None when it must not be sent.

        Calls ``toAdmin`` or ``toApp`` (a :class:`DoNotSend` from ``toApp`` drops the message), then the
        outbound middleware. Administrative messages cannot be dropped by ``toAdmin`` (the session needs
        them), only by middleware.
        """
        is_admin = msg_type_of(message) in ADMIN_MSG_TYPES if admin is None else admin
        if is_admin:
            await call_maybe_async(self.toAdmin, message, sessionID)
        else:
            try:
                await call_maybe_async(self.toApp, message, sessionID)
            except DoNotSend:
                return None
        return await self.run_outbound(message, sessionID)

    async def check_logon(self, message: Message, sessionID: SessionID) -> LogonDecision:
        """Ask ``onLogonRequest`` whether to accept a Logon(35=A)."""
        answer = await call_maybe_async(self.onLogonRequest, message, sessionID)
        if answer is None or answer is True:
            return LogonDecision(True)
        if answer is False:
            return LogonDecision(False, DEFAULT_REFUSAL_TEXT)
        if isinstance(answer, str):
            return LogonDecision(False, answer or DEFAULT_REFUSAL_TEXT)
        raise TypeError(f"onLogonRequest returned {answer!r}: expected True, False, None or a refusal str")

    # ------------------------------------------------------------------ state listeners
    def add_state_listener(self, listener: StateListener) -> None:
        """Call ``listener(sessionID, old, new)`` (plain or async) on every session state change."""
        self._state_listeners.append(listener)

    def remove_state_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener``; ValueError when it was not added."""
        self._state_listeners.remove(listener)

    async def notify_state_change(self, sessionID: SessionID, old: Any, new: Any) -> None:
        """Tell ``onStateChange``, then every listener in the order added, that the session changed state."""
        await call_maybe_async(self.onStateChange, sessionID, old, new)
        for listener in list(self._state_listeners):
            await call_maybe_async(listener, sessionID, old, new)

    # ------------------------------------------------------------------ internals
    def _register_marked_methods(self) -> None:
        for name, _ in inspect.getmembers(type(self), callable):
            attr = getattr(type(self), name, None)
            for msg_type in getattr(attr, _HANDLES_ATTR, ()):
                self._handlers[msg_type] = getattr(self, name)


async def _delivered_after(pending: Awaitable[Any]) -> bool:
    """The rest of a delivery whose handler returned an awaitable (run inside a task, as call_maybe_async)."""
    await leave_eager_step()
    await pending
    return True


async def _run_chain(
    chain: Iterable[MiddlewareFn], message: Message, sessionID: SessionID
) -> Message | None:
    current = message
    for middleware in list(chain):
        current = await call_maybe_async(middleware, current, sessionID)
        if current is None:
            return None
    return current


__all__ = [
    "ADMIN_MSG_TYPES",
    "Application",
    "Direction",
    "DoNotSend",
    "LogonDecision",
    "call_maybe_async",
    "handles",
    "msg_type_of",
]
