"""Paced writers (a resend) wait for room in the write buffer; every TCP connection has Nagle disabled."""

from __future__ import annotations

import asyncio
import socket

import pytest
from test_transport_backpressure import CHUNK, _stalled_pair
from transport_kit import loop_kind_fixture, run_bounded  # noqa: F401 - pytest fixtures

from pyfixmsg_plus.transport import FlowControl


def test_wait_for_room_returns_at_once_when_the_piece_fits(loop_kind: str) -> None:
    flow = FlowControl(high_water=64 * 1024, max_buffer=1024 * 1024)

    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(flow)
        assert server_conn.has_room(len(CHUNK))
        await server_conn.wait_for_room(len(CHUNK))  # nothing queued: no wait
        client.abort()
        await acceptor.close()

    run_bounded(scenario(), loop_kind)


@pytest.mark.parametrize("pause_reading", [True, False])
def test_wait_for_room_waits_for_the_reader_below_and_above_high_water(loop_kind: str, pause_reading: bool) -> None:
    # high_water == max_buffer is the SlowConsumerAction=disconnect shape: asyncio never pauses writing before
    # the hard limit, so the wait has to poll; with a lower high-water mark it waits for resume_writing
    high = 256 * 1024 if pause_reading else 1024 * 1024
    flow = FlowControl(high_water=high, max_buffer=1024 * 1024, pause_reading=pause_reading)

    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(flow)
        while server_conn.has_room(len(CHUNK)):
            server_conn.write(CHUNK)
            await asyncio.sleep(0)
        room = asyncio.ensure_future(server_conn.wait_for_room(len(CHUNK)))
        await asyncio.sleep(0.2)
        assert not room.done()  # nobody reads: no room
        client.resume_reading()
        await room
        assert server_conn.has_room(len(CHUNK)) and not server_conn.is_closing
        client.abort()
        await acceptor.close()

    run_bounded(scenario(), loop_kind)


def test_wait_for_room_raises_when_the_connection_drops(loop_kind: str) -> None:
    flow = FlowControl(high_water=1024 * 1024, max_buffer=1024 * 1024, pause_reading=False)

    async def scenario() -> None:
        acceptor, server_conn, client, _ = await _stalled_pair(flow)
        while server_conn.has_room(len(CHUNK)):
            server_conn.write(CHUNK)
            await asyncio.sleep(0)
        room = asyncio.ensure_future(server_conn.wait_for_room(len(CHUNK)))
        await asyncio.sleep(0.01)
        server_conn.abort()
        with pytest.raises(ConnectionError):
            await room
        client.abort()
        await acceptor.close()

    run_bounded(scenario(), loop_kind)


@pytest.mark.parametrize("nodelay", [True, False])
def test_tcp_nodelay_follows_the_flow_control_setting(loop_kind: str, nodelay: bool) -> None:
    async def scenario() -> int:
        acceptor, server_conn, client, _ = await _stalled_pair(FlowControl(nodelay=nodelay))
        sock = server_conn.get_extra_info("socket")
        value = int(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        client.abort()
        await acceptor.close()
        return value

    assert bool(run_bounded(scenario(), loop_kind)) is nodelay
