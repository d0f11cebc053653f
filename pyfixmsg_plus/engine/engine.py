"""FixEngine: wires configuration, sessions, transports, stores and the application together.

One engine runs every session of its configuration: initiator sessions each keep a connection (with reconnect
and failover), acceptor sessions share listening ports and are routed by their Logon. The attributes and
methods of the original single-session engine (``sender``, ``message_store``, ``send_message`` ...) act on the
*primary* session, the first of the configuration, unless a ``session_id`` is given.
"""

from __future__ import annotations

import asyncio
import datetime
import functools
import logging
import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

from pyfixmsg_plus.application import Application, DoNotSend
from pyfixmsg_plus.config import ConfigManager, SessionSettings
from pyfixmsg_plus.engine import building
from pyfixmsg_plus.engine.acceptor_router import AcceptorRouter
from pyfixmsg_plus.engine.gc_freeze import freeze_survivors, thaw
from pyfixmsg_plus.engine.metrics import MetricsServer, serve_metrics
from pyfixmsg_plus.engine.scheduler import EngineScheduler
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.engine.session_time import SessionTimeKeeper
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.session import Session, SessionID, SessionState
from pyfixmsg_plus.session.states import CONNECTED_STATES
from pyfixmsg_plus.store import BatchSettings, InboundWriter, MessageStore, make_writer
from pyfixmsg_plus.transport import Acceptor, Initiator

log = logging.getLogger("pyfixmsg_plus.engine")

#: fields the session sets itself on every message: BeginString, BodyLength, CheckSum, MsgSeqNum, MsgType,
#: SenderCompID, SendingTime, TargetCompID
_SESSION_SET_TAGS = frozenset({8, 9, 10, 34, 35, 49, 52, 56})


class StateMachineView:
    """The original engine's ``state_machine``: ``.state`` (with ``.name``) and ``subscribe(callback)``."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def state(self) -> SessionState:
        """The session's current state; ``.name`` is e.g. ``"ACTIVE"``."""
        return self._session.state

    def subscribe(self, callback: Callable[[str], Any]) -> None:
        """Call ``callback(state_name)`` after every state change."""
        self._session.add_listener(lambda old, new: callback(new.name))


class FixEngine(SessionTimeKeeper):
    """A FIX engine over one configuration (see docs/engine.md)."""

    def __init__(
        self,
        config: ConfigManager,
        application: Application,
        *,
        initial_incoming_seqnum: int | None = None,
        initial_outgoing_seqnum: int | None = None,
        deliver_per_frame: bool = False,
        batch_settings: BatchSettings | None = None,
    ) -> None:
        self.config = config
        self.application = application
        self.settings: list[SessionSettings] = config.sessions()
        if not self.settings:
            raise ValueError(f"{config!r} configures no session")
        self._initial = (initial_incoming_seqnum, initial_outgoing_seqnum)
        self._specs = building.SpecCache()
        self._stores = building.StoreCache()
        self.runners: dict[SessionID, SessionRunner] = {}
        for settings in self.settings:
            runner = self._build_runner(settings, deliver_per_frame, batch_settings)
            self.runners[runner.session_id] = runner
        self._primary = next(iter(self.runners.values()))
        self._primary_settings = self.settings[0]
        self.acceptors: list[Acceptor] = []
        self.routers: list[AcceptorRouter] = []
        self.initiators: dict[SessionID, Initiator] = {}
        self._schedule_tasks: list[asyncio.Task[None]] = []
        #: ``[Scheduler] schedules`` (None without them): start/stop/reset of every session at daily times
        self.scheduler = EngineScheduler.for_engine(self)
        self._initialized = False
        self._running = False
        self._froze_gc = False  # GcFreeze: this engine froze the process's objects (thawed at disconnect)
        self.metrics_server: MetricsServer | None = None  # MetricsPort: the Prometheus exporter while open
        self._stopped = asyncio.Event()

    # ------------------------------------------------------------------ construction
    @classmethod
    async def create(
        cls,
        config: ConfigManager | str | os.PathLike[str],
        application: Application,
        initial_incoming_seqnum: int | None = None,
        initial_outgoing_seqnum: int | None = None,
        **options: Any,
    ) -> FixEngine:
        """An engine for ``config`` (a ConfigManager or the path of an INI file) and ``application``."""
        manager = config if isinstance(config, ConfigManager) else ConfigManager(config)
        return cls(
            manager,
            application,
            initial_incoming_seqnum=initial_incoming_seqnum,
            initial_outgoing_seqnum=initial_outgoing_seqnum,
            **options,
        )

    def _build_runner(
        self, settings: SessionSettings, deliver_per_frame: bool, batch: BatchSettings | None
    ) -> SessionRunner:
        spec = self._specs.for_session(settings)
        validator = self._specs.validator_for(settings, spec)
        supported = getattr(self.application, "supported_app_msg_types", None)
        config = building.build_session_config(
            settings, supported_app_msg_types=frozenset(supported) if supported is not None else None
        )
        store = self._stores.for_session(settings)
        key = building.session_key(settings)
        return SessionRunner(
            Session(config, validator),
            self.application,
            self._specs.codec_for(spec, settings),
            store,
            key,
            make_writer(
                settings.persistence_mode.value, store, key, batch, persist_messages=settings.persist_messages
            ),
            InboundWriter(store, key, batch),
            deliver_per_frame=deliver_per_frame,
            schedule=building.build_schedule(settings),
        )

    # ------------------------------------------------------------------ the original attributes
    @property
    def session(self) -> Session:
        """The primary session."""
        return self._primary.session

    @property
    def session_id(self) -> SessionID:
        """The primary session's identity."""
        return self._primary.session_id

    @property
    def sender(self) -> str:
        """SenderCompID(49) of the primary session."""
        return self._primary_settings.sender_comp_id

    @property
    def target(self) -> str:
        """TargetCompID(56) of the primary session."""
        return self._primary_settings.target_comp_id

    @property
    def version(self) -> str:
        """BeginString(8) of the primary session."""
        return self._primary_settings.begin_string

    @property
    def mode(self) -> str:
        """``initiator`` or ``acceptor`` (the primary session's ConnectionType)."""
        return self._primary_settings.connection_type.value

    @property
    def codec(self) -> Codec:
        """The primary session's codec (its dictionary's groups and field order)."""
        return self._primary.codec

    @property
    def spec(self) -> Any:
        """The primary session's data dictionary (a FixSpec)."""
        return self._primary.codec.spec

    @property
    def message_store(self) -> MessageStore:
        """The primary session's store (``get_next_outgoing_sequence_number()`` etc. act on that session)."""
        return self._primary.store

    @property
    def state_machine(self) -> StateMachineView:
        """The primary session's state: ``engine.state_machine.state.name``."""
        return StateMachineView(self._primary.session)

    @property
    def stores(self) -> list[MessageStore]:
        """Every store the engine uses (sessions naming the same StorePath share one)."""
        return self._stores.stores

    def runner(self, session_id: SessionID | str | None = None) -> SessionRunner:
        """The runner of ``session_id`` (a SessionID or its text), the primary one when None."""
        if session_id is None:
            return self._primary
        for sid, runner in self.runners.items():
            if session_id == sid or session_id == str(sid):
                return runner
        known = ", ".join(str(s) for s in self.runners)
        raise KeyError(f"no session {session_id}; this engine runs: {known}")

    # ------------------------------------------------------------------ life cycle
    async def initialize(self) -> None:
        """Open the stores, restore every session's sequence numbers, and call ``onCreate`` per session."""
        if self._initialized:
            return
        for store in self.stores:
            await store.open()
        for runner in self.runners.values():
            await runner.recover()
        incoming, outgoing = self._initial
        if incoming is not None or outgoing is not None:
            await self._primary.set_sequence_numbers(incoming, outgoing)
        for runner in self.runners.values():
            await _maybe_await(self.application.onCreate(runner.session_id))
        self._initialized = True

    async def open(self) -> None:
        """Initialize when needed, start listening and connecting, and return (the engine runs in background)."""
        if self._running:
            return
        await self.initialize()
        self._stopped.clear()
        if self.scheduler is not None:
            self.scheduler.apply_state_now()
        try:
            self._serve_metrics()  # first: a port in use or a missing prometheus-client fails before any session
            if self.scheduler is not None:  # a reset missed while the engine was down, before anyone logs on
                await self.scheduler.catch_up_or_log()
            await self._start_acceptors()
            self._start_initiators()
            self._start_schedules()
        except BaseException:
            await self._stop_transports(graceful=False)
            await self._stop_metrics()
            raise
        self._running = True
        if self.config.engine_settings().gc_freeze:
            freeze_survivors()
            self._froze_gc = True

    async def start(self) -> None:
        """Run the engine until :meth:`disconnect` (await it for the engine's life, or run it as a task)."""
        await self.open()
        await self._stopped.wait()

    async def wait_closed(self) -> None:
        """Wait until the engine was stopped by :meth:`disconnect`."""
        await self._stopped.wait()

    async def _start_acceptors(self) -> None:
        by_address: dict[tuple[str | None, int], list[tuple[SessionSettings, SessionRunner]]] = {}
        for settings, runner in zip(self.settings, self.runners.values(), strict=True):
            if not settings.is_initiator:
                by_address.setdefault(building.accept_address(settings), []).append((settings, runner))
        for (host, port), members in by_address.items():
            first = members[0][0]
            _check_same_tls(members)
            router = AcceptorRouter([runner for _, runner in members], logon_timeout=first.logon_timeout or 10.0)
            acceptor = Acceptor(host, port, router, ssl=building.build_server_tls(first),
                                flow=building.build_flow_control(first))
            await acceptor.start()
            self.routers.append(router)
            self.acceptors.append(acceptor)

    def _start_initiators(self) -> None:
        """Start the initiators that are always in session (the schedule tasks start the others)."""
        for settings, runner in zip(self.settings, self.runners.values(), strict=True):
            if settings.is_initiator and runner.schedule.always and runner.schedule.is_in_session(runner.clock()):
                self._start_initiator(settings, runner)

    def _start_initiator(self, settings: SessionSettings, runner: SessionRunner) -> None:
        if runner.session_id in self.initiators:
            return
        targets = [(a.host, a.port) for a in settings.connect_addresses]
        initiator = Initiator(
            targets,
            _factory(runner),
            ssl=building.build_client_tls(settings),
            server_hostname=settings.ssl_server_name,
            backoff=building.build_backoff(settings),
            flow=building.build_flow_control(settings),
        )
        task = initiator.start()
        task.add_done_callback(functools.partial(_log_gave_up, runner.session_id))
        self.initiators[runner.session_id] = initiator

    def _serve_metrics(self) -> None:
        """MetricsPort set: serve the sessions' Prometheus metrics while the engine runs (docs/metrics.md)."""
        settings = self.config.engine_settings()
        if settings.metrics_port is not None and self.metrics_server is None:
            self.metrics_server = serve_metrics(self, settings.metrics_port, settings.metrics_address)

    async def _stop_metrics(self) -> None:
        server, self.metrics_server = self.metrics_server, None
        if server is not None:  # its shutdown waits for the serving thread: not on the event loop
            await asyncio.to_thread(server.close)

    async def disconnect(self, graceful: bool = True, timeout: float = 10.0) -> None:
        """Stop the engine: Logout every logged-on session when ``graceful`` (waiting up to ``timeout``
        seconds for the answers), close every connection and listener, store what is queued, close stores."""
        if graceful:
            await asyncio.gather(
                *(self.request_logoff(timeout, session_id=sid) for sid, r in self.runners.items()
                  if r.state is SessionState.ACTIVE)
            )
        await self._stop_transports(graceful)
        for runner in self.runners.values():
            runner.stop_session()  # Disconnected, not Reconnecting: no connection follows
            await runner.close()
        for store in self.stores:
            await store.close()
        if self._froze_gc:  # what was frozen becomes collectable again: cycles dropped meanwhile are freed
            thaw()
            self._froze_gc = False
        await self._stop_metrics()
        self._running = False
        self._initialized = False
        self._stopped.set()

    stop = disconnect

    async def _stop_transports(self, graceful: bool) -> None:
        await self._stop_schedules()
        for initiator in self.initiators.values():
            await initiator.stop(graceful=graceful)
        self.initiators.clear()
        for acceptor in self.acceptors:
            await acceptor.close(graceful=graceful)
        self.acceptors.clear()
        self.routers.clear()

    async def __aenter__(self) -> FixEngine:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.disconnect(graceful=exc is None)

    # ------------------------------------------------------------------ waiting
    async def wait_logged_on(self, timeout: float | None = None, session_id: SessionID | str | None = None) -> bool:
        """Wait until the session is Active (seconds); False when ``timeout`` passed first."""
        return await self.runner(session_id).wait_for(lambda s: s is SessionState.ACTIVE, timeout)

    async def wait_disconnected(
        self, timeout: float | None = None, session_id: SessionID | str | None = None
    ) -> bool:
        """Wait until the session has no connection (seconds); False when ``timeout`` passed first."""
        return await self.runner(session_id).wait_for(lambda s: s not in CONNECTED_STATES, timeout)

    # ------------------------------------------------------------------ messages
    def fixmsg(self, fields: Mapping[Any, Any] | None = None, session_id: SessionID | str | None = None) -> FixMessage:
        """A FixMessage for the session, with BeginString(8), SenderCompID(49), TargetCompID(56) and
        SendingTime(52) filled in (the session sets 34 and a fresh 52 when it is sent)."""
        runner = self.runner(session_id)
        sid = runner.session_id
        message = FixMessage({8: sid.begin_string, 49: sid.sender_comp_id, 56: sid.target_comp_id,
                              52: _utc_timestamp()})
        message.update({_tag(tag): value for tag, value in (fields or {}).items()})
        message.codec = runner.codec
        return message

    def create_message_with_repeating_group(
        self, msg_type: str, groups: Mapping[Any, list[Mapping[Any, Any]]] | None = None, **fields: Any
    ) -> FixMessage:
        """A message of ``msg_type`` with repeating groups ``{count_tag: [entry, ...]}`` and plain ``fields``
        (keyword names are tag numbers, e.g. ``**{"55": "EUR/USD"}``); BodyLength and CheckSum are computed
        when it is encoded, so groups are counted right."""
        message = self.fixmsg({35: msg_type, **fields})
        for count_tag, entries in (groups or {}).items():
            message[_tag(count_tag)] = [{_tag(t): v for t, v in entry.items()} for entry in entries]
        return message

    async def send_message(self, message: Mapping[Any, Any], session_id: SessionID | str | None = None) -> bool:
        """Send an application message (toApp and outbound middleware first); True once stored as the
        persistence mode requires and written, False when the application dropped it.

        The session is the one named by ``session_id``, else the one whose CompIDs the message carries,
        else the primary. Raises SessionNotActive when that session is not logged on.
        """
        runner = self._runner_for_message(message, session_id)
        prepared = await self.application.prepare_outbound(message, runner.session_id, admin=False)
        if prepared is None:
            return False
        msg_type = str(prepared.get(35) or "")
        if not msg_type:
            raise ValueError("send_message: MsgType(35) is missing from the message")
        fields = [(tag, value) for tag, value in runner.codec.body_fields(prepared) if tag not in _SESSION_SET_TAGS]
        await self.send_fields(msg_type, fields, runner.session_id)
        return True

    async def send_fields(
        self, msg_type: str, fields: list[tuple[int, Any]], session_id: SessionID | str | None = None
    ) -> None:
        """Send a message from (tag, value) pairs in wire order, without toApp or middleware (the fast path).

        Returns once the frame is stored as the persistence mode requires and written; called from an
        application callback it returns at once (the frame goes out right after the callback)."""
        waiter = self.send_fields_nowait(msg_type, fields, session_id)
        if waiter is not None:
            await waiter

    def send_fields_nowait(
        self, msg_type: str, fields: list[tuple[int, Any]], session_id: SessionID | str | None = None
    ) -> asyncio.Future[None] | None:
        """:meth:`send_fields` as a plain call, for senders of many messages that need not wait for each.

        The message is numbered at once (MsgSeqNum(34) order is call order) and handed to the session's runner;
        returns None when its frame is already stored and written, else a future that resolves once it is
        (raising the store's or the connection's error; the runner logs that error and drops the connection in
        any case). Awaiting the future of the last of several sends waits for all of them: frames are executed
        in the order they were numbered. Raises SessionNotActive at once when the session is not logged on.
        Must be called from the engine's event loop."""
        runner = self._primary if session_id is None else self.runner(session_id)  # runner(None), inlined
        return runner.send_fields_now(msg_type, fields)

    def _runner_for_message(self, message: Mapping[Any, Any], session_id: SessionID | str | None) -> SessionRunner:
        if session_id is not None or len(self.runners) == 1:
            return self.runner(session_id)
        sender, target = message.get(49), message.get(56)
        for runner in self.runners.values():
            sid = runner.session_id
            if sid.sender_comp_id == sender and sid.target_comp_id == target:
                return runner
        return self._primary

    async def send_reject_message(
        self,
        ref_seq_num: int,
        ref_tag_id: int | None,
        session_reject_reason: int,
        text: str,
        ref_msg_type: str | None = None,
        session_id: SessionID | str | None = None,
    ) -> None:
        """Send a session Reject(35=3): RefSeqNum(45), RefTagID(371), RefMsgType(372), SessionRejectReason(373),
        Text(58)."""
        fields: list[tuple[int, Any]] = [(45, ref_seq_num)]
        if ref_tag_id is not None:
            fields.append((371, ref_tag_id))
        if ref_msg_type is not None:
            fields.append((372, ref_msg_type))
        fields += [(373, session_reject_reason), (58, text)]
        await self.send_fields("3", fields, session_id)

    async def send_logout_message(self, text: str = "", session_id: SessionID | str | None = None) -> None:
        """Send Logout(35=5) with Text(58) and wait for nothing (see :meth:`request_logoff`)."""
        runner = self.runner(session_id)
        waiter = runner.send_outputs(runner.session.logout(runner.clock(), text))
        if waiter is not None:
            await waiter

    async def request_logoff(
        self, timeout: float = 10.0, text: str = "", session_id: SessionID | str | None = None
    ) -> bool:
        """Start the Logout handshake and wait up to ``timeout`` seconds for the connection to end; True
        when it ended in time."""
        runner = self.runner(session_id)
        if runner.state in CONNECTED_STATES:
            await self.send_logout_message(text, session_id)
        done = await runner.wait_for(lambda s: s not in CONNECTED_STATES, timeout)
        initiator = self.initiators.get(runner.session_id)
        if initiator is not None and done:
            # a logoff is the user's decision: do not reconnect
            await initiator.stop()
            del self.initiators[runner.session_id]
        return done

    # ------------------------------------------------------------------ sequence numbers
    async def set_sequence_numbers(
        self,
        incoming_seqnum: int | None = None,
        outgoing_seqnum: int | None = None,
        session_id: SessionID | str | None = None,
    ) -> None:
        """Set the next expected inbound and/or next outbound MsgSeqNum(34), in the session and its store."""
        await self.runner(session_id).set_sequence_numbers(incoming_seqnum, outgoing_seqnum)

    async def set_inbound_sequence_number(self, seqnum: int, session_id: SessionID | str | None = None) -> None:
        """Set the next expected inbound MsgSeqNum(34)."""
        await self.set_sequence_numbers(incoming_seqnum=seqnum, session_id=session_id)

    async def set_outbound_sequence_number(self, seqnum: int, session_id: SessionID | str | None = None) -> None:
        """Set the next outbound MsgSeqNum(34)."""
        await self.set_sequence_numbers(outgoing_seqnum=seqnum, session_id=session_id)

    async def reset_sequence_numbers(self, session_id: SessionID | str | None = None) -> None:
        """Both numbers back to 1: while Active by a Logon with ResetSeqNumFlag(141)=Y, else in the store."""
        runner = self.runner(session_id)
        if runner.state is SessionState.ACTIVE:
            waiter = runner.send_outputs(runner.session.reset_sequence(runner.clock()))
            if waiter is not None:
                await waiter
            return
        await runner.reset_while_disconnected()

    def __repr__(self) -> str:
        sessions = ", ".join(f"{sid} {r.state.value}" for sid, r in self.runners.items())
        return f"FixEngine({sessions})"


def _factory(runner: SessionRunner) -> Callable[[], SessionRunner]:
    return lambda: runner


def _check_same_tls(members: list[tuple[SessionSettings, SessionRunner]]) -> None:
    first = members[0][0]
    for settings, _ in members[1:]:
        if settings.socket_use_ssl != first.socket_use_ssl:
            raise ValueError(
                f"sessions {first.session_id} and {settings.session_id} share SocketAcceptPort "
                f"{first.socket_accept_port} but not SocketUseSSL: one port is either TLS or plain TCP"
            )


def _tag(tag: Any) -> Any:
    if isinstance(tag, str) and tag.isdigit():
        return int(tag)
    return tag


def _utc_timestamp() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


async def _maybe_await(result: Any) -> Any:
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        return await result
    return result


__all__ = ["DoNotSend", "FixEngine", "StateMachineView"]


def _log_gave_up(session_id: SessionID, task: asyncio.Task[None]) -> None:
    """The initiator's connect loop ended: a give-up (ReconnectGaveUp, ReconnectMaxRetries reached) is logged
    here, where nothing else awaits the task (asyncio would otherwise report it as never retrieved)."""
    error = None if task.cancelled() else task.exception()
    if error is not None:
        log.warning("session %s: the initiator stopped connecting: %s", session_id, error)
