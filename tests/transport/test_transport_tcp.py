"""Acceptor and Connection over real TCP sockets on loopback (IPv4 and IPv6), both loop kinds."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
from transport_kit import (
    Recorder,
    RecorderFactory,
    ipv6_loopback_available,
    loop_kind_fixture,  # noqa: F401 - pytest fixtures
    run_bounded,
)

from pyfixmsg_plus.transport import Acceptor, ConnectionClosed, Initiator, TransportError

pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")


async def _connect(port: int, host: str = "127.0.0.1") -> tuple[Initiator, Recorder]:
    made = RecorderFactory()
    initiator = Initiator([(host, port)], made, reconnect=False)
    conn = await initiator.connect()
    assert conn.receiver is made.made[0]
    return initiator, made.made[0]


def test_echo_round_trip_and_many_connections(loop_kind: str) -> None:
    async def scenario() -> None:
        server = RecorderFactory(echo=True)
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            assert acceptor.port > 0
            clients = [await _connect(acceptor.port) for _ in range(3)]
            for i, (initiator, _) in enumerate(clients):
                assert initiator.connection is not None
                initiator.connection.write(f"hello {i}".encode())
            for i, (_, rec) in enumerate(clients):  # each client got its own bytes back
                assert await rec.wait_bytes(7) == f"hello {i}".encode()
            assert len(acceptor.connections) == 3
            assert all(r.conn is not None and r.conn.describe().startswith("127.0.0.1:")
                       for r in server.connected)
            for initiator, _ in clients:
                await initiator.stop()
        assert [r.events[0] for r in server.made] == ["connected"] * 3
        assert all(r.events[-1] == "disconnected" for r in server.made)

    run_bounded(scenario(), loop_kind)


def test_acceptor_keeps_listening_after_the_first_connection_closes() -> None:
    async def scenario() -> None:
        server = RecorderFactory(echo=True)
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            first, _ = await _connect(acceptor.port)
            await first.stop()
            await server.made[0].disconnected
            second, second_rec = await _connect(acceptor.port)
            assert second.connection is not None
            second.connection.write(b"again")
            assert await second_rec.wait_bytes(5) == b"again"
            await second.stop()
        assert len(server.connected) == 2

    run_bounded(scenario())


def test_close_disconnects_every_client_and_stops_listening() -> None:
    async def scenario() -> None:
        server = RecorderFactory()
        acceptor = Acceptor("127.0.0.1", 0, server)
        await acceptor.start()
        port = acceptor.port
        _, rec = await _connect(port)
        await server.made[0].connected
        await acceptor.close()
        await asyncio.wait_for(rec.disconnected, 5)
        assert not acceptor.is_listening
        assert acceptor.connections == set()
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)

    run_bounded(scenario())


@pytest.mark.skipif(not ipv6_loopback_available(), reason="IPv6 loopback ::1 is not available here")
def test_ipv6_loopback(loop_kind: str) -> None:
    async def scenario() -> None:
        server = RecorderFactory(echo=True)
        async with Acceptor("::1", 0, server) as acceptor:
            assert acceptor.addresses_text() == [f"[::1]:{acceptor.port}"]
            initiator, rec = await _connect(acceptor.port, "::1")
            assert initiator.connection is not None
            assert initiator.connection.describe() == f"[::1]:{acceptor.port}"
            initiator.connection.write(b"v6")
            assert await rec.wait_bytes(2) == b"v6"
            await initiator.stop()

    run_bounded(scenario(), loop_kind)


def test_all_interfaces_share_one_port_across_address_families() -> None:
    async def scenario() -> None:
        server = RecorderFactory(echo=True)
        async with Acceptor(None, 0, server) as acceptor:
            families = {":" in host for host, _ in acceptor.addresses}
            assert {port for _, port in acceptor.addresses} == {acceptor.port}
            assert False in families
            if ipv6_loopback_available():
                assert True in families
            targets = ["127.0.0.1"] + (["::1"] if ipv6_loopback_available() else [])
            for host in targets:
                initiator, rec = await _connect(acceptor.port, host)
                assert initiator.connection is not None
                initiator.connection.write(b"x")
                assert await rec.wait_bytes(1) == b"x"
                await initiator.stop()

    run_bounded(scenario())


def test_listening_on_a_busy_port_names_the_address() -> None:
    async def scenario() -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            acceptor = Acceptor("127.0.0.1", port, RecorderFactory())
            with pytest.raises(TransportError, match=f"cannot listen on 127.0.0.1:{port}"):
                await acceptor.start()
            assert not acceptor.is_listening

    run_bounded(scenario())


def test_port_before_start_and_bad_port_are_errors() -> None:
    with pytest.raises(ValueError, match="port=70000"):
        Acceptor("127.0.0.1", 70000, RecorderFactory())
    with pytest.raises(TransportError, match="not listening"):
        _ = Acceptor("127.0.0.1", 0, RecorderFactory()).port


def test_write_after_close_raises_and_drain_reports_closed() -> None:
    async def scenario() -> None:
        async with Acceptor("127.0.0.1", 0, RecorderFactory()) as acceptor:
            initiator, rec = await _connect(acceptor.port)
            conn = initiator.connection
            assert conn is not None
            conn.close()
            await conn.wait_closed()
            with pytest.raises(ConnectionClosed, match="cannot write 3 bytes"):
                conn.write(b"abc")
            with pytest.raises(ConnectionClosed):
                await conn.drain()
            assert rec.events == ["connected", "disconnected"]
            assert rec.disconnect_error is None

    run_bounded(scenario())


def test_peer_closing_reports_a_clean_disconnect() -> None:
    async def scenario() -> None:
        server = RecorderFactory()
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            _, writer = await asyncio.open_connection("127.0.0.1", acceptor.port)
            writer.write(b"8=FIX.4.4")
            await writer.drain()
            writer.close()
            await writer.wait_closed()
            await asyncio.wait_for((await _first_made(server)).disconnected, 5)
            rec = server.made[0]
            assert bytes(rec.received) == b"8=FIX.4.4"
            assert rec.disconnect_error is None
            assert acceptor.connections == set()

    run_bounded(scenario())


def test_a_receiver_that_raises_is_logged_and_dropped(caplog: pytest.LogCaptureFixture) -> None:
    class Exploding(Recorder):
        def on_data(self, data: bytes) -> None:
            raise RuntimeError("receiver bug")

    async def scenario() -> None:
        exploding: list[Exploding] = []

        def factory() -> Exploding:
            exploding.append(Exploding())
            return exploding[-1]

        async with Acceptor("127.0.0.1", 0, factory) as acceptor:
            initiator, client = await _connect(acceptor.port)
            assert initiator.connection is not None
            initiator.connection.write(b"boom")
            await asyncio.wait_for(client.disconnected, 5)
            await asyncio.wait_for(exploding[0].disconnected, 5)
            assert isinstance(exploding[0].disconnect_error, RuntimeError)

    with caplog.at_level(logging.ERROR, logger="pyfixmsg_plus.transport"):
        run_bounded(scenario())
    assert any("Receiver.on_data failed" in r.getMessage() for r in caplog.records)


async def _first_made(factory: RecorderFactory) -> Recorder:
    while not factory.made:
        await asyncio.sleep(0.01)
    return factory.made[0]
