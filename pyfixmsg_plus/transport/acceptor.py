"""The listening side: accept any number of connections on one port, over IPv4 and IPv6, with optional TLS.

Unlike the original project (which stopped listening after its first connection), an :class:`Acceptor` keeps
listening until :meth:`Acceptor.close`, and every accepted connection gets its own :class:`Receiver`.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl as ssl_module
from collections.abc import Callable, Sequence
from types import TracebackType

from pyfixmsg_plus.transport.connection import Connection, FlowControl, Receiver, TransportError

log = logging.getLogger("pyfixmsg_plus.transport")

#: Bind addresses used when ``host`` is None or "": every IPv4 and every IPv6 interface.
ALL_INTERFACES: tuple[str, ...] = ("0.0.0.0", "::")


class Acceptor:
    """Listens on ``host``:``port`` and hands each accepted connection to a new receiver.

    ``host`` is one address, a list of addresses, or None/"" for every interface (IPv4 and, when the machine
    has it, IPv6). ``port=0`` asks the system for a free port; :attr:`port` tells which, and every address
    shares it. ``ssl`` is a server context from :func:`pyfixmsg_plus.transport.tls.server_context`;
    handshakes taking longer than ``ssl_handshake_timeout`` seconds are dropped.
    """

    def __init__(
        self,
        host: str | Sequence[str] | None,
        port: int,
        receiver_factory: Callable[[], Receiver],
        *,
        ssl: ssl_module.SSLContext | None = None,
        flow: FlowControl | None = None,
        backlog: int = 100,
        ssl_handshake_timeout: float = 10.0,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"Acceptor port={port} must be between 0 and 65535")
        self.hosts = _bind_hosts(host)
        self.requested_port = port
        self.receiver_factory = receiver_factory
        self.ssl = ssl
        self.flow = flow or FlowControl()
        self.backlog = backlog
        self.ssl_handshake_timeout = ssl_handshake_timeout
        self.connections: set[Connection] = set()
        self._servers: list[asyncio.AbstractServer] = []
        self._closing = False

    # ------------------------------------------------------------------ life cycle
    async def start(self) -> None:
        """Start listening on every address. Raises :class:`TransportError` naming the address that failed."""
        if self._servers:
            raise TransportError(f"Acceptor on port {self.port} is already listening")
        self._closing = False
        port = self.requested_port
        try:
            for host in self.hosts:
                server = await self._listen(host, port)
                self._servers.append(server)
                # Port 0: the first address picks the port, the others share it so clients see one port.
                port = _bound_port(server)
        except BaseException:
            await self.close(graceful=False)
            raise
        log.info("listening on %s", ", ".join(self.addresses_text()))

    async def close(self, *, graceful: bool = True) -> None:
        """Stop listening, close every connection (flushing queued bytes when ``graceful``), wait for both."""
        self._closing = True
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
        connections = list(self.connections)
        for conn in connections:
            if graceful:
                conn.close()
            else:
                conn.abort()
        if connections:
            await asyncio.gather(*(conn.wait_closed() for conn in connections))
        # Since Python 3.12 Server.wait_closed also waits for the accepted connections, closed just above.
        for server in servers:
            await server.wait_closed()

    async def serve_forever(self) -> None:
        """Start when needed, then listen until cancelled or closed."""
        if not self._servers:
            await self.start()
        try:
            await asyncio.gather(*(server.serve_forever() for server in self._servers))
        except asyncio.CancelledError:
            if self._closing:
                return
            raise

    async def __aenter__(self) -> Acceptor:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ what is bound
    @property
    def is_listening(self) -> bool:
        """True between a successful :meth:`start` and :meth:`close`."""
        return bool(self._servers)

    @property
    def port(self) -> int:
        """The port listened on (the system's choice when 0 was asked). Raises before :meth:`start`."""
        if not self._servers:
            raise TransportError(f"Acceptor for port {self.requested_port} is not listening")
        return _bound_port(self._servers[0])

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """Every (address, port) listened on."""
        found: list[tuple[str, int]] = []
        for server in self._servers:
            for sock in getattr(server, "sockets", ()):
                name = sock.getsockname()
                found.append((str(name[0]), int(name[1])))
        return found

    def addresses_text(self) -> list[str]:
        """Every listened address as ``host:port`` (``[host]:port`` for IPv6), for logs."""
        return [f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.addresses]

    # ------------------------------------------------------------------ internals
    async def _listen(self, host: str, port: int) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        try:
            return await loop.create_server(
                self._new_connection,
                host=host,
                port=port,
                ssl=self.ssl,
                backlog=self.backlog,
                reuse_address=True,
                ssl_handshake_timeout=self.ssl_handshake_timeout if self.ssl else None,
            )
        except OSError as exc:
            raise TransportError(f"cannot listen on {_hostport(host, port)}: {exc.strerror or exc}") from exc

    def _new_connection(self) -> Connection:
        return Connection(lambda: _Tracked(self, self.receiver_factory()), self.flow)

    def __repr__(self) -> str:
        where = f"port {self.requested_port} (not listening)"
        if self._servers:
            where = ", ".join(self.addresses_text())
        return f"Acceptor({where}, connections={len(self.connections)}, tls={self.ssl is not None})"


class _Tracked:
    """Wraps the user's receiver to keep :attr:`Acceptor.connections` up to date."""

    def __init__(self, acceptor: Acceptor, inner: Receiver) -> None:
        self.acceptor = acceptor
        self.inner = inner
        self.conn: Connection | None = None

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        self.acceptor.connections.add(conn)
        log.info("accepted connection from %s", conn.describe())
        self.inner.on_connected(conn)

    def on_data(self, data: bytes) -> None:
        self.inner.on_data(data)

    def on_disconnected(self, exc: BaseException | None) -> None:
        if self.conn is not None:
            self.acceptor.connections.discard(self.conn)
            log.info("connection from %s closed%s", self.conn.describe(), f": {exc}" if exc else "")
        self.inner.on_disconnected(exc)


def _bind_hosts(host: str | Sequence[str] | None) -> list[str]:
    if host is None or host == "":
        return [h for h in ALL_INTERFACES if ":" not in h or _ipv6_available()]
    if isinstance(host, str):
        return [host]
    hosts = list(host)
    if not hosts:
        raise ValueError("Acceptor host list is empty: give an address, or None for every interface")
    return hosts


def _ipv6_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def _bound_port(server: asyncio.AbstractServer) -> int:
    sockets: Sequence[socket.socket] = getattr(server, "sockets", ())  # asyncio and uvloop servers have it
    return int(sockets[0].getsockname()[1])


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
