"""The connecting side: open a connection to the first reachable target, and reconnect when it drops.

Each connect round tries the targets in the order given, so the first one is the primary and the others are
failovers; a round that reaches none is followed by a :class:`Backoff` delay and another round, until
``Backoff.max_retries`` rounds in a row have failed. After a connection was open and then lost, the initiator
waits ``Backoff.delay(0)`` (so a peer that accepts and drops at once cannot make us spin) and starts over from
the primary.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl as ssl_module
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import cast

from pyfixmsg_plus.transport.backoff import Backoff
from pyfixmsg_plus.transport.connection import Connection, FlowControl, Receiver, TransportError

log = logging.getLogger("pyfixmsg_plus.transport")

Target = tuple[str, int]


class ConnectFailed(TransportError):
    """No target of a connect round could be reached; ``errors`` holds each target's failure."""

    def __init__(self, errors: list[tuple[Target, BaseException]]) -> None:
        self.errors = errors
        detail = "; ".join(f"{_hostport(target)}: {_reason(exc)}" for target, exc in errors)
        super().__init__(f"could not connect to any target ({detail})")


class ReconnectGaveUp(TransportError):
    """The initiator stopped after ``Backoff.max_retries`` failed rounds (or at once: ``reconnect=False``)."""


class Initiator:
    """Keeps one connection open to one of ``targets``, reconnecting with backoff until :meth:`stop`.

    ``receiver_factory`` is called for every new connection. ``ssl`` is a client context from
    :func:`pyfixmsg_plus.transport.tls.client_context`; the certificate is checked against the target's host
    unless ``server_hostname`` names another. ``connect_timeout`` bounds each attempt (TCP and TLS
    handshake), in seconds. ``rng`` draws the backoff jitter (seed it for reproducible tests); ``sleep``
    waits between rounds.
    """

    def __init__(
        self,
        targets: Sequence[Target],
        receiver_factory: Callable[[], Receiver],
        *,
        ssl: ssl_module.SSLContext | None = None,
        server_hostname: str | None = None,
        backoff: Backoff | None = None,
        reconnect: bool = True,
        connect_timeout: float = 10.0,
        close_timeout: float = 5.0,
        flow: FlowControl | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.targets: list[Target] = _checked_targets(targets)
        self.receiver_factory = receiver_factory
        self.ssl = ssl
        self.server_hostname = server_hostname
        self.backoff = backoff or Backoff()
        self.reconnect = reconnect
        self.connect_timeout = connect_timeout
        self.close_timeout = close_timeout
        self.flow = flow or FlowControl()
        self.rng = rng or random.Random()
        self._sleep = sleep
        self.connection: Connection | None = None
        self.target: Target | None = None
        self.last_error: BaseException | None = None
        self.connect_count = 0
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._stopping = False

    # ------------------------------------------------------------------ one round
    async def connect(self) -> Connection:
        """Try every target once, in order; the first that answers wins. Raises :class:`ConnectFailed`."""
        errors: list[tuple[Target, BaseException]] = []
        for target in self.targets:
            try:
                conn = await self._open(target)
            except (TimeoutError, OSError) as exc:
                log.warning("connect to %s failed: %s", _hostport(target), _reason(exc))
                errors.append((target, exc))
                continue
            self.connection, self.target = conn, target
            self.connect_count += 1
            log.info("connected to %s", _hostport(target))
            return conn
        raise ConnectFailed(errors)

    # ------------------------------------------------------------------ supervised life
    def start(self) -> asyncio.Task[None]:
        """Start connecting (and reconnecting) in a background task; returns the task."""
        if self._task is not None and not self._task.done():
            raise TransportError("Initiator is already running")
        self._stopping = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name="pyfixmsg_plus.Initiator")
        return self._task

    async def wait_connected(self) -> Connection:
        """Wait for an open connection. Raises :class:`ReconnectGaveUp` if the initiator gives up first."""
        if self._task is None:
            raise TransportError("Initiator.wait_connected() before start()")
        while True:
            if self.connection is not None and not self.connection.is_closing:
                return self.connection
            self._connected.clear()
            waiter = asyncio.ensure_future(self._connected.wait())
            await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if self._task.done():
                await self._task  # re-raises ReconnectGaveUp
                raise TransportError("Initiator stopped before a connection was open")

    async def wait_stopped(self) -> None:
        """Wait until the initiator stops; raises :class:`ReconnectGaveUp` when it stopped by giving up."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, *, graceful: bool = True) -> None:
        """Stop reconnecting and close the current connection (flushing queued bytes when ``graceful``)."""
        self._stopping = True
        conn = self.connection
        if conn is not None:
            if graceful:
                conn.close()
            else:
                conn.abort()
        if self._task is not None and not self._task.done():
            current = asyncio.current_task()
            cancelled_before = current.cancelling() if current is not None else 0  # e.g. stop() in a cleanup
            self._task.cancel()
            with contextlib.suppress(ReconnectGaveUp, asyncio.CancelledError):  # the connect loop's own end
                await self._task
            # a cancellation of our caller while we waited went to the connect loop's task; when that task ends
            # without raising (3.11's wait_for can lose it as a connect round fails), it must not be lost
            if current is not None and current.cancelling() > cancelled_before:
                raise asyncio.CancelledError
        if conn is not None:
            try:
                await asyncio.wait_for(conn.wait_closed(), self.close_timeout)
            except TimeoutError:
                log.warning("connection to %s did not close within close_timeout=%ss; aborting",
                            conn.describe(), self.close_timeout)
                conn.abort()
                await conn.wait_closed()

    @property
    def is_running(self) -> bool:
        """True while the background task is connecting, connected or waiting to reconnect."""
        return self._task is not None and not self._task.done()

    async def __aenter__(self) -> Initiator:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ internals
    async def _run(self) -> None:
        retry = 0
        first = True
        while not self._stopping:
            if not first:
                await self._wait_before_round(retry)
                retry += 1
            first = False
            try:
                conn = await self.connect()
            except ConnectFailed as exc:
                self.last_error = exc
                continue
            retry = 0
            self._connected.set()
            await conn.wait_closed()
            self.connection = None
            if not self.reconnect:
                return
            if not self._stopping:
                log.info("connection to %s lost%s; reconnecting", conn.describe(),
                         f" ({conn.error})" if conn.error else "")

    async def _wait_before_round(self, retry: int) -> None:
        if not self.reconnect or not self.backoff.allows(retry):
            reason = "reconnect is off" if not self.reconnect else f"max_retries={self.backoff.max_retries}"
            raise ReconnectGaveUp(f"gave up connecting ({reason}): {self.last_error}")
        delay = self.backoff.delay(retry, self.rng)
        log.info("reconnect round %d in %.3fs", retry + 1, delay)
        await self._sleep(delay)

    async def _open(self, target: Target) -> Connection:
        loop = asyncio.get_running_loop()
        host, port = target
        tls = self.ssl is not None
        _, protocol = await asyncio.wait_for(
            loop.create_connection(
                lambda: Connection(self.receiver_factory, self.flow), host, port, ssl=self.ssl,
                server_hostname=(self.server_hostname or host) if tls else None,
                ssl_handshake_timeout=self.connect_timeout if tls else None,
            ),
            self.connect_timeout,
        )
        return cast(Connection, protocol)

    def __repr__(self) -> str:
        now = _hostport(self.target) if self.connection is not None and self.target else "not connected"
        return f"Initiator({[_hostport(t) for t in self.targets]}, {now}, tls={self.ssl is not None})"


def _checked_targets(targets: Sequence[Target]) -> list[Target]:
    checked = [(str(host), int(port)) for host, port in targets]
    if not checked:
        raise ValueError("Initiator targets is empty: give at least one (host, port)")
    for host, port in checked:
        if not 1 <= port <= 65535:
            raise ValueError(f"Initiator target {host!r} port={port} must be between 1 and 65535")
    return checked


def _hostport(target: Target) -> str:
    host, port = target
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
