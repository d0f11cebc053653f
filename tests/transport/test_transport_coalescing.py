"""Writes of one event-loop iteration: the first leaves at once, the later ones are handed to the transport
together at the start of the next iteration (one send(2) for a burst), in order, counted in the buffer size,
written by close() and dropped by abort()."""

from __future__ import annotations

import asyncio

from fake_transport import FakeTransport
from transport_kit import (
    NullReceiver,
    RecorderFactory,
    loop_kind_fixture,  # noqa: F401 - pytest fixture
    run_bounded,
)

from pyfixmsg_plus.transport import Acceptor, Connection, FlowControl, Initiator
from pyfixmsg_plus.transport.connection import WriteBufferOverflow


def connected(flow: FlowControl | None = None) -> tuple[Connection, FakeTransport]:
    """A Connection over a FakeTransport (call inside a running loop)."""
    conn = Connection(NullReceiver, flow)
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]
    return conn, transport


def test_a_burst_is_one_transport_write_after_the_first_and_keeps_its_order(loop_kind: str) -> None:
    async def scenario() -> None:
        conn, transport = connected()
        conn.write(b"first")
        assert transport.writes == [b"first"]  # a lone message pays no delay
        for n in range(5):
            conn.write(b"m%d" % n)
        assert transport.writes == [b"first"]
        assert conn.write_buffer_size == 5 * 2  # held bytes count as queued
        assert conn.bytes_sent == len(b"first") + 10
        await asyncio.sleep(0)
        assert transport.writes == [b"first", b"m0m1m2m3m4"]
        assert conn.write_buffer_size == 0
        await asyncio.sleep(0)
        conn.write(b"later")  # a new iteration: at once again
        assert transport.writes[-1] == b"later"

    run_bounded(scenario(), loop_kind)


def test_a_burst_over_a_real_socket_arrives_whole_and_in_order(loop_kind: str) -> None:
    messages = [b"%05d;" % n for n in range(2000)]

    async def scenario() -> bytes:
        server = RecorderFactory()
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            initiator = Initiator([("127.0.0.1", acceptor.port)], RecorderFactory(), reconnect=False)
            conn = await initiator.connect()
            for message in messages:  # one loop iteration: the first at once, the rest in one write
                conn.write(message)
            while not server.connected:
                await asyncio.sleep(0.01)
            received = await server.connected[0].wait_bytes(len(b"".join(messages)))
            await initiator.stop(graceful=False)
        return received

    assert run_bounded(scenario(), loop_kind) == b"".join(messages)


def test_close_writes_the_held_bytes_first_and_abort_drops_them() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        conn.write(b"a")
        conn.write(b"b")
        conn.write(b"c")
        conn.close()
        assert transport.writes == [b"a", b"bc"] and transport.closing

        conn, transport = connected()
        conn.write(b"a")
        conn.write(b"b")
        conn.abort()
        await asyncio.sleep(0)
        assert transport.writes == [b"a"] and transport.aborted
        assert conn.write_buffer_size == 0

    run_bounded(scenario())


def test_held_bytes_past_max_buffer_drop_the_connection() -> None:
    async def scenario() -> None:
        flow = FlowControl(high_water=64, max_buffer=100)
        conn, transport = connected(flow)
        conn.write(b"x" * 60)  # written: the kernel took it (queued stays 0)
        conn.write(b"y" * 60)  # held: 60 <= 100
        assert not transport.aborted
        conn.write(b"z" * 60)  # held: 120 > 100
        assert transport.aborted
        assert isinstance(conn.error, WriteBufferOverflow)
        assert "max_buffer=100" in str(conn.error)

    run_bounded(scenario())


def test_bytes_held_for_a_transport_that_went_away_are_dropped() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        conn.write(b"a")
        conn.write(b"b")
        transport.closing = True  # the peer went away before the next iteration
        await asyncio.sleep(0)
        assert transport.writes == [b"a"]

    run_bounded(scenario())
