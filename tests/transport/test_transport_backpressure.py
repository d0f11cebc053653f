"""Backpressure: a peer that never reads cannot make us buffer without bound."""

from __future__ import annotations

import asyncio
import logging

import pytest
from transport_kit import (
    RecorderFactory,
    loop_kind_fixture,  # noqa: F401 - pytest fixtures
    run_bounded,
)

from pyfixmsg_plus.transport import Acceptor, Connection, FlowControl, Initiator, WriteBufferOverflow

CHUNK = b"x" * 65536


async def _stalled_pair(flow: FlowControl) -> tuple[Acceptor, Connection, Connection, RecorderFactory]:
    """An acceptor and a client whose reading is paused: the server's writes pile up."""
    server = RecorderFactory()
    acceptor = Acceptor("127.0.0.1", 0, server, flow=flow)
    await acceptor.start()
    initiator = Initiator([("127.0.0.1", acceptor.port)], RecorderFactory(), reconnect=False)
    client = await initiator.connect()
    client.pause_reading()  # the slow reader: never reads
    server_conn = await server.made[0].connected
    return acceptor, server_conn, client, server


def test_writer_past_max_buffer_is_disconnected_with_a_log_line(
    loop_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    flow = FlowControl(high_water=64 * 1024, max_buffer=1024 * 1024)

    async def scenario() -> int:
        acceptor, server_conn, client, server = await _stalled_pair(flow)
        largest = 0
        with pytest.raises(ConnectionError):
            for _ in range(10_000):  # at most 640 MiB: far beyond any kernel socket buffer
                server_conn.write(CHUNK)
                largest = max(largest, server_conn.write_buffer_size)
                await asyncio.sleep(0)
        await server.made[0].disconnected
        assert isinstance(server.made[0].disconnect_error, WriteBufferOverflow)
        assert isinstance(server_conn.error, WriteBufferOverflow)
        client.abort()
        await acceptor.close()
        return largest

    with caplog.at_level(logging.WARNING, logger="pyfixmsg_plus.transport"):
        largest = run_bounded(scenario(), loop_kind)
    # The buffer is checked after every write, so it never held more than the limit plus one chunk.
    assert largest <= flow.max_buffer + len(CHUNK)
    assert any("is not reading" in r.getMessage() and "max_buffer=1048576" in r.getMessage()
               for r in caplog.records)


def test_drain_waits_for_the_reader_and_reading_pauses_meanwhile(loop_kind: str) -> None:
    flow = FlowControl(high_water=64 * 1024, max_buffer=64 * 1024 * 1024, pause_reading=True)

    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(flow)
        while not server_conn.writing_paused:
            server_conn.write(CHUNK)
            await asyncio.sleep(0)
        assert not server_conn.is_reading  # flow control stopped reading from the stalled peer
        drained = asyncio.ensure_future(server_conn.drain())
        await asyncio.sleep(0.2)
        assert not drained.done()  # nobody reads, so drain must still be waiting
        client.resume_reading()
        await drained
        assert not server_conn.writing_paused
        assert server_conn.is_reading
        client.abort()
        await acceptor.close()

    run_bounded(scenario(), loop_kind)


def test_drain_raises_when_the_connection_drops_while_waiting() -> None:
    flow = FlowControl(high_water=64 * 1024, max_buffer=64 * 1024 * 1024)

    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(flow)
        while not server_conn.writing_paused:
            server_conn.write(CHUNK)
            await asyncio.sleep(0)
        drained = asyncio.ensure_future(server_conn.drain())
        await asyncio.sleep(0)
        server_conn.abort()
        with pytest.raises(ConnectionError):
            await drained
        client.abort()
        await acceptor.close()

    run_bounded(scenario())


def test_drain_returns_at_once_when_not_paused() -> None:
    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(FlowControl())
        server_conn.write(b"small")
        await asyncio.wait_for(server_conn.drain(), 1)
        client.abort()
        await acceptor.close()

    run_bounded(scenario())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"high_water": 0}, "high_water=0"),
        ({"high_water": 100, "low_water": 200}, "low_water=200"),
        ({"high_water": 1000, "max_buffer": 10}, "max_buffer=10"),
    ],
)
def test_flow_control_settings_are_checked(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FlowControl(**kwargs)  # type: ignore[arg-type]
