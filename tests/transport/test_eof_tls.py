"""A TLS peer that writes a lot and then drops TCP without a TLS close_notify (a killed process, a load balancer
cutting the connection) must not cost us the bytes it sent before: its Logout, its last executions.

asyncio's TLS layer reads only one application buffer at that EOF (``_do_flush``) and uvloop's reads none
(``eof_received`` goes straight to SHUTDOWN); the rest stays in the SSL object. The peer here is a raw ``ssl``
socket in a thread that sends every byte (and its FIN) while our receiver is still busy with the first read, so
that everything is pending when our side reads on. Before the fix the 4 KiB-buffer runs lost bytes on uvloop
and, with a pause near the end, on asyncio too; uvloop with the default buffer lost them after such a pause.
The last tests drive :class:`Connection` over a stand-in SSL object, without sockets.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fake_transport import FakeTransport
from transport_kit import (
    Pki,
    Recorder,
    loop_kind_fixture,  # noqa: F401 - pytest fixture
    pki_fixture,  # noqa: F401 - pytest fixture
    run_bounded,
)

from pyfixmsg_plus.transport import Acceptor, Connection, Initiator, client_context, server_context
from pyfixmsg_plus.transport.tls import read_what_tls_kept

#: bytes the peer sends before dropping TCP: several times the 256 KiB read buffers and TLS read-ahead limits
PAYLOAD_BYTES = 2 * 1024 * 1024
#: how long the peer thread may take to send everything, seconds
PEER_TIMEOUT_S = 10.0
#: bytes still to come when a pausing receiver pauses: under the TLS layers' 256 KiB incoming limit, so that the
#: rest and the EOF reach the TLS layer while we are paused
NEAR_END = 192 * 1024
#: how long a pausing receiver stays paused, seconds (ample for the loop to read the rest and the EOF)
RESUME_AFTER_S = 0.2


def fix_frames(total: int) -> bytes:
    """Complete FIX 4.4 ExecutionReport-like frames (BodyLength(9) and CheckSum(10) right), ``total`` bytes or a
    little more."""
    frames: list[bytes] = []
    size, seq = 0, 1
    while size < total:
        body = (f"35=8\x0134={seq}\x0149=SELLER\x0156=BUYER\x0152=20260101-00:00:00.000\x01"
                f"37=O{seq}\x0117=E{seq}\x01150=F\x0139=2\x0155=XYZ\x0154=1\x0138=100\x0132=100\x0131=1.5\x01"
                ).encode()
        head = b"8=FIX.4.4\x019=" + str(len(body)).encode() + b"\x01"
        checksum = sum(head + body) % 256
        frame = head + body + b"10=%03d\x01" % checksum
        frames.append(frame)
        size += len(frame)
        seq += 1
    return b"".join(frames)


class SmallReader:
    """Reads land in a 4 KiB buffer (a framer with a small buffer): far less than the TLS layer holds at EOF."""

    def __init__(self, size: int = 4096) -> None:
        self._buffer = bytearray(size)

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        return memoryview(self._buffer)

    def received(self, nbytes: int) -> bytes:
        return bytes(self._buffer[:nbytes])


class SlowStart:
    """A receiver that blocks the loop in its first ``on_data`` until the peer has sent everything and gone, so
    that all of it and the EOF are pending at once, then reads on:

    * ``reads``: ``"default"`` (the connection's own 256 KiB buffer) or ``"small"`` (a 4 KiB one);
    * ``pause_near_end``: pauses reading (as the engine does when its inbound queue is full) once less than
      ``NEAR_END`` bytes are still to come, and resumes ``RESUME_AFTER_S`` later. The TLS layer reads the socket
      on meanwhile, up to its own 256 KiB limit, so the rest and the EOF reach it while we are paused: uvloop
      then drops them at once, asyncio keeps the connection open and reads one buffer when we resume.
    """

    def __init__(self, peer_done: threading.Event, expected: int, reads: str, pause_near_end: bool) -> None:
        self.peer_done = peer_done
        self.expected = expected
        self.reads = reads
        self.pause_near_end = pause_near_end
        self.conn: Connection | None = None
        self.received = bytearray()
        self.loop = asyncio.get_running_loop()
        self.disconnected: asyncio.Future[BaseException | None] = self.loop.create_future()

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        if self.reads == "small":
            conn.read_with(SmallReader())

    def on_data(self, data: bytes) -> None:
        if not self.received:
            self.peer_done.wait(PEER_TIMEOUT_S)
        self.received += data
        if self.pause_near_end and self.conn is not None and len(self.received) >= self.expected - NEAR_END:
            self.pause_near_end = False
            self.conn.pause_reading()
            self.loop.call_later(RESUME_AFTER_S, self.conn.resume_reading)

    def on_disconnected(self, exc: BaseException | None) -> None:
        if not self.disconnected.done():
            self.disconnected.set_result(exc)


def drop_without_close_notify(tls: ssl.SSLSocket, done: threading.Event) -> None:
    """End the TCP stream under ``tls`` without the TLS shutdown (no close_notify): FIN, then read what we sent
    until our side closes, so that the close is a FIN and never an RST (a socket closed with bytes unread, such
    as our TLS 1.3 session tickets, resets the connection, and what was still in flight is discarded: a loss
    that nothing on the receiving side can undo)."""
    raw = socket.socket(fileno=tls.detach())
    with raw:
        raw.shutdown(socket.SHUT_WR)
        done.set()
        raw.settimeout(PEER_TIMEOUT_S)
        while raw.recv(65536):
            pass


def serve_once(listener: socket.socket, context: ssl.SSLContext, payload: bytes, done: threading.Event,
               errors: list[BaseException]) -> None:
    """Peer thread (raw TLS server): accept one connection, send ``payload``, drop TCP."""
    try:
        plain, _ = listener.accept()
        with context.wrap_socket(plain, server_side=True) as tls:
            tls.sendall(payload)
            drop_without_close_notify(tls, done)
    except BaseException as exc:  # reported by the test, not lost in the thread
        errors.append(exc)
    finally:
        done.set()


def connect_once(port: int, context: ssl.SSLContext, payload: bytes, done: threading.Event,
                 errors: list[BaseException]) -> None:
    """Peer thread (raw TLS client): connect, send ``payload``, drop TCP."""
    try:
        plain = socket.create_connection(("127.0.0.1", port), timeout=PEER_TIMEOUT_S)
        with context.wrap_socket(plain, server_hostname="localhost") as tls:
            tls.sendall(payload)
            drop_without_close_notify(tls, done)
    except BaseException as exc:
        errors.append(exc)
    finally:
        done.set()


async def _receive_from_raw_server(pki: Pki, payload: bytes, mode: str) -> bytes:
    done = threading.Event()
    errors: list[BaseException] = []
    made: list[SlowStart] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        server = server_context(pki.server_cert, pki.server_key)
        peer = threading.Thread(target=serve_once, args=(listener, server, payload, done, errors), daemon=True)
        peer.start()
        factory = _factory(made, done, payload, mode)
        initiator = Initiator([("127.0.0.1", listener.getsockname()[1])], factory,
                              ssl=client_context(cafile=pki.ca), reconnect=False, connect_timeout=5)
        try:
            await initiator.connect()
            await asyncio.wait_for(made[0].disconnected, PEER_TIMEOUT_S)
        finally:
            await initiator.stop(graceful=False)
            await asyncio.to_thread(peer.join, PEER_TIMEOUT_S)
    assert not errors, errors
    return bytes(made[0].received)


async def _receive_from_raw_client(pki: Pki, payload: bytes, mode: str) -> bytes:
    done = threading.Event()
    errors: list[BaseException] = []
    made: list[SlowStart] = []
    server = server_context(pki.server_cert, pki.server_key)
    async with Acceptor("127.0.0.1", 0, _factory(made, done, payload, mode), ssl=server) as acceptor:
        peer = threading.Thread(target=connect_once,
                                args=(acceptor.port, client_context(cafile=pki.ca), payload, done, errors),
                                daemon=True)
        peer.start()
        try:
            while not made:  # the acceptor makes the receiver once the TLS handshake is done
                await asyncio.sleep(0.01)
            await asyncio.wait_for(made[0].disconnected, PEER_TIMEOUT_S)
        finally:
            await asyncio.to_thread(peer.join, PEER_TIMEOUT_S)
    assert not errors, errors
    return bytes(made[0].received)


def _factory(made: list[SlowStart], done: threading.Event, payload: bytes, mode: str) -> Callable[[], SlowStart]:
    def make() -> SlowStart:
        reads, _, pause = mode.partition("+")
        receiver = SlowStart(done, len(payload), reads, pause_near_end=pause == "pause")
        made.append(receiver)
        return receiver

    return make


Scenario = Callable[[Pki, bytes, str], Any]


@pytest.mark.parametrize("mode", ["default", "small", "default+pause", "small+pause"])
@pytest.mark.parametrize("scenario", [_receive_from_raw_server, _receive_from_raw_client],
                         ids=["we_initiate", "we_accept"])
def test_every_byte_sent_before_a_tcp_close_without_close_notify_arrives(
        pki: Pki, loop_kind: str, scenario: Scenario, mode: str) -> None:
    payload = fix_frames(PAYLOAD_BYTES)
    received = run_bounded(scenario(pki, payload, mode), loop_kind)
    assert len(received) == len(payload)
    assert received == payload


# ---------------------------------------------------------------------- without sockets
class KeptByTls:
    """Stands for the SSL object of a TLS transport after the peer's EOF: ``chunks`` still to read, then
    SSLWantReadError (nothing whole left)."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = list(chunks)

    def read(self, size: int, buffer: memoryview) -> int:
        if not self.chunks:
            raise ssl.SSLWantReadError("The operation did not complete (read)")
        chunk = self.chunks.pop(0)
        assert len(chunk) <= size
        buffer[:len(chunk)] = chunk
        return len(chunk)


class TlsStandIn(FakeTransport):
    def __init__(self, ssl_object: KeptByTls) -> None:
        super().__init__()
        self.ssl_object = ssl_object

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.ssl_object if name == "ssl_object" else default


def test_connection_lost_hands_over_what_the_tls_object_kept_before_on_disconnected() -> None:
    async def scenario() -> Recorder:
        receiver = Recorder()
        conn = Connection(lambda: receiver)
        conn.connection_made(TlsStandIn(KeptByTls(b"8=FIX.4.4\x019=5\x01", b"35=5\x0110=000\x01")))
        conn.connection_lost(None)
        return receiver

    receiver = run_bounded(scenario())
    assert bytes(receiver.received) == b"8=FIX.4.4\x019=5\x0135=5\x0110=000\x01"
    assert receiver.events == ["connected", "data", "data", "disconnected"]


def test_nothing_more_is_read_after_our_own_close() -> None:
    async def scenario() -> Recorder:
        receiver = Recorder()
        conn = Connection(lambda: receiver)
        conn.connection_made(TlsStandIn(KeptByTls(b"after our close")))
        conn.close()
        conn.connection_lost(None)
        return receiver

    receiver = run_bounded(scenario())
    assert receiver.events == ["connected", "disconnected"]


def test_reading_what_tls_kept_stops_when_told_and_at_a_close_notify() -> None:
    class Into:
        def __init__(self) -> None:
            self.buffer = bytearray(8)
            self.got: list[bytes] = []

        def get_buffer(self, sizehint: int) -> memoryview:
            return memoryview(self.buffer)

        def buffer_updated(self, nbytes: int) -> None:
            self.got.append(bytes(self.buffer[:nbytes]))

    into = Into()
    assert read_what_tls_kept(KeptByTls(b"one", b"two"), into, lambda: len(into.got) < 1) == 3  # type: ignore[arg-type]
    assert into.got == [b"one"]

    class CloseNotify(KeptByTls):
        def read(self, size: int, buffer: memoryview) -> int:
            return super().read(size, buffer) if self.chunks else 0

    into = Into()
    assert read_what_tls_kept(CloseNotify(b"last"), into, lambda: True) == 4  # type: ignore[arg-type]
    assert into.got == [b"last"]
