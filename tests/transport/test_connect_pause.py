"""A receiver that pauses reading in ``on_connected`` (to hold a connection until its session is ready) gets no
``on_data`` until it resumes, on both loops, and then every byte in order.

asyncio honours such a pause by itself. uvloop starts reading once ``connection_made`` returns whatever was asked
in it, so bytes the peer sent before we accepted (or right after we connected) reached the receiver while it
believed reading paused; the connection now holds them until ``resume_reading``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable

import pytest
from transport_kit import (
    Pki,
    loop_kind_fixture,  # noqa: F401 - pytest fixture
    pki_fixture,  # noqa: F401 - pytest fixture
    run_bounded,
)

from pyfixmsg_plus.transport import (
    Acceptor,
    Connection,
    Initiator,
    client_context,
    server_context,
)

#: what the peer sends before we resume, and after: distinct bytes, so that a lost or reordered piece shows
EARLY = b"".join(b"8=FIX.4.4\x019=5\x0135=0\x0110=%03d\x01" % (i % 1000) for i in range(200))
LATE = b"8=FIX.4.4\x019=5\x0135=5\x0110=999\x01" * 10
#: loop iterations (with a short sleep each) given to a wrongly started read before we check that none came
SETTLE_ROUNDS = 5
SETTLE_S = 0.01


class HeldAtConnect:
    """Pauses reading in ``on_connected``; records each ``on_data`` with whether it came while paused."""

    def __init__(self) -> None:
        self.conn: Connection | None = None
        self.paused = False
        self.received = bytearray()
        self.while_paused = 0
        self.loop = asyncio.get_running_loop()
        self.connected: asyncio.Future[Connection] = self.loop.create_future()
        self._wanted: tuple[int, asyncio.Future[None]] | None = None

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        conn.pause_reading()
        self.paused = True
        self.connected.set_result(conn)

    def on_data(self, data: bytes) -> None:
        self.while_paused += self.paused
        self.received += data
        if self._wanted and len(self.received) >= self._wanted[0] and not self._wanted[1].done():
            self._wanted[1].set_result(None)

    def on_disconnected(self, exc: BaseException | None) -> None:
        pass

    def resume(self) -> None:
        assert self.conn is not None
        self.paused = False
        self.conn.resume_reading()

    async def wait_bytes(self, count: int) -> None:
        if len(self.received) < count:
            waiter: asyncio.Future[None] = self.loop.create_future()
            self._wanted = (count, waiter)
            await asyncio.wait_for(waiter, 5)


async def settle() -> None:
    """Let the loop run a few iterations, in which a read that should not happen would."""
    for _ in range(SETTLE_ROUNDS):
        await asyncio.sleep(SETTLE_S)


async def _check_held_then_delivered(receiver: HeldAtConnect, send_late: Callable[[], Awaitable[None]]) -> None:
    conn = await asyncio.wait_for(receiver.connected, 5)
    await settle()
    assert receiver.while_paused == 0, "on_data came while reading was paused in on_connected"
    assert bytes(receiver.received) == b""
    assert not conn.is_reading
    receiver.resume()
    await receiver.wait_bytes(len(EARLY))
    assert conn.is_reading
    await send_late()
    await receiver.wait_bytes(len(EARLY) + len(LATE))
    assert bytes(receiver.received) == EARLY + LATE
    assert receiver.while_paused == 0


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
def test_acceptor_pause_in_on_connected_holds_bytes_already_sent(loop_kind: str, tls: bool, pki: Pki) -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        made: list[HeldAtConnect] = []

        def factory() -> HeldAtConnect:
            made.append(HeldAtConnect())
            return made[-1]

        server_ssl = server_context(pki.server_cert, pki.server_key) if tls else None
        async with Acceptor("127.0.0.1", 0, factory, ssl=server_ssl) as acceptor:
            if tls:
                _, peer_writer = await asyncio.open_connection(
                    "127.0.0.1", acceptor.port, ssl=client_context(cafile=pki.ca))
                peer_writer.write(EARLY)
                await peer_writer.drain()

                async def send_late() -> None:
                    peer_writer.write(LATE)
                    await peer_writer.drain()
            else:
                # connected and sent before the loop runs the accept: the bytes wait in the kernel when
                # connection_made is called, as from a peer that sends its Logon at once
                peer = socket.create_connection(("127.0.0.1", acceptor.port))
                peer.sendall(EARLY)
                peer.setblocking(False)

                async def send_late() -> None:
                    await loop.sock_sendall(peer, LATE)
            try:
                while not made:
                    await asyncio.sleep(SETTLE_S)
                await _check_held_then_delivered(made[0], send_late)
            finally:
                if tls:
                    peer_writer.close()
                else:
                    peer.close()

    run_bounded(scenario(), loop_kind)


def test_initiator_pause_in_on_connected_holds_bytes_the_acceptor_sends_at_once(loop_kind: str) -> None:
    async def scenario() -> None:
        accepted: list[socket.socket] = []
        ready = threading.Event()

        def peer(listener: socket.socket) -> None:
            conn, _ = listener.accept()
            conn.sendall(EARLY)  # at once: in flight while our side is still making the connection
            accepted.append(conn)
            ready.set()

        with socket.create_server(("127.0.0.1", 0)) as listener:
            thread = threading.Thread(target=peer, args=(listener,), daemon=True)
            thread.start()
            made: list[HeldAtConnect] = []

            def factory() -> HeldAtConnect:
                made.append(HeldAtConnect())
                return made[-1]

            initiator = Initiator([("127.0.0.1", listener.getsockname()[1])], factory, reconnect=False)
            try:
                await initiator.connect()
                await asyncio.to_thread(ready.wait, 5)

                async def send_late() -> None:
                    await asyncio.to_thread(accepted[0].sendall, LATE)

                await _check_held_then_delivered(made[0], send_late)
            finally:
                await initiator.stop(graceful=False)
                thread.join(5)
                for sock in accepted:
                    sock.close()

    run_bounded(scenario(), loop_kind)


def test_a_pause_again_before_the_held_bytes_are_handed_over_keeps_them(loop_kind: str) -> None:
    async def scenario() -> None:
        made: list[HeldAtConnect] = []

        def factory() -> HeldAtConnect:
            made.append(HeldAtConnect())
            return made[-1]

        async with Acceptor("127.0.0.1", 0, factory) as acceptor:
            peer = socket.create_connection(("127.0.0.1", acceptor.port))
            peer.sendall(EARLY)
            try:
                while not made:
                    await asyncio.sleep(SETTLE_S)
                receiver = made[0]
                conn = await asyncio.wait_for(receiver.connected, 5)
                await settle()
                conn.resume_reading()
                conn.pause_reading()  # in the same callback: the held bytes (if any) must stay held
                await settle()
                assert bytes(receiver.received) == b""
                receiver.resume()
                await receiver.wait_bytes(len(EARLY))
                assert bytes(receiver.received) == EARLY
            finally:
                peer.close()

    run_bounded(scenario(), loop_kind)


def test_bytes_sent_and_closed_before_resume_all_arrive_before_on_disconnected(loop_kind: str) -> None:
    async def scenario() -> None:
        made: list[HeldAtConnect] = []
        ended: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

        class HeldThenEnded(HeldAtConnect):
            def on_disconnected(self, exc: BaseException | None) -> None:
                ended.set_result(bytes(self.received))  # what had arrived by then

        def factory() -> HeldAtConnect:
            made.append(HeldThenEnded())
            return made[-1]

        async with Acceptor("127.0.0.1", 0, factory) as acceptor:
            with socket.create_connection(("127.0.0.1", acceptor.port)) as peer:
                peer.sendall(EARLY)
            while not made:
                await asyncio.sleep(SETTLE_S)
            await settle()
            assert bytes(made[0].received) == b""
            made[0].resume()
            assert await asyncio.wait_for(ended, 5) == EARLY
            assert made[0].while_paused == 0

    run_bounded(scenario(), loop_kind)
