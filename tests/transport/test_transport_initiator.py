"""Initiator: failover across targets, reconnect after the server restarts, backoff, giving up, stopping."""

from __future__ import annotations

import asyncio

import pytest
from transport_kit import (
    RecorderFactory,
    free_port,
    loop_kind_fixture,  # noqa: F401 - pytest fixtures
    run_bounded,
)

from pyfixmsg_plus.transport import (
    Acceptor,
    Backoff,
    ConnectFailed,
    Initiator,
    ReconnectGaveUp,
    TransportError,
)

FAST = Backoff(initial=0.02, factor=2, cap=0.2, jitter=0.5, max_retries=50)


def test_failover_to_the_second_target_when_the_first_refuses(loop_kind: str) -> None:
    async def scenario() -> None:
        dead = free_port()
        async with Acceptor("127.0.0.1", 0, RecorderFactory(echo=True)) as acceptor:
            client = RecorderFactory()
            initiator = Initiator([("127.0.0.1", dead), ("127.0.0.1", acceptor.port)], client, backoff=FAST)
            initiator.start()
            conn = await initiator.wait_connected()
            assert initiator.target == ("127.0.0.1", acceptor.port)
            conn.write(b"via failover")
            assert await client.made[0].wait_bytes(12) == b"via failover"
            await initiator.stop()
            assert not initiator.is_running

    run_bounded(scenario(), loop_kind)


def test_connect_failed_names_every_target() -> None:
    async def scenario() -> None:
        first, second = free_port(), free_port()
        initiator = Initiator([("127.0.0.1", first), ("127.0.0.1", second)], RecorderFactory())
        with pytest.raises(ConnectFailed) as caught:
            await initiator.connect()
        assert f"127.0.0.1:{first}" in str(caught.value)
        assert f"127.0.0.1:{second}" in str(caught.value)
        assert [target for target, _ in caught.value.errors] == [("127.0.0.1", first), ("127.0.0.1", second)]

    run_bounded(scenario())


def test_reconnects_after_the_server_restarts(loop_kind: str) -> None:
    async def scenario() -> None:
        first_server = RecorderFactory(echo=True)
        acceptor = Acceptor("127.0.0.1", 0, first_server)
        await acceptor.start()
        port = acceptor.port
        client = RecorderFactory()
        initiator = Initiator([("127.0.0.1", port)], client, backoff=FAST)
        initiator.start()
        await initiator.wait_connected()
        await acceptor.close()  # the server goes away: the initiator must keep trying
        await client.made[0].disconnected

        second_server = RecorderFactory(echo=True)
        restarted = Acceptor("127.0.0.1", port, second_server)
        await restarted.start()
        conn = await initiator.wait_connected()
        conn.write(b"back")
        assert await client.made[-1].wait_bytes(4) == b"back"
        assert initiator.connect_count == 2
        assert len(second_server.connected) == 1
        await initiator.stop()
        await restarted.close()

    run_bounded(scenario(), loop_kind)


def test_gives_up_after_max_retries_with_the_backoff_delays() -> None:
    async def scenario() -> None:
        slept: list[float] = []

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)

        policy = Backoff(initial=1, factor=3, cap=5, jitter=0, max_retries=3)
        initiator = Initiator([("127.0.0.1", free_port())], RecorderFactory(), backoff=policy,
                              sleep=fake_sleep)
        initiator.start()
        with pytest.raises(ReconnectGaveUp, match="max_retries=3"):
            await initiator.wait_stopped()
        assert slept == [1, 3, 5]
        assert isinstance(initiator.last_error, ConnectFailed)
        with pytest.raises(ReconnectGaveUp):
            await initiator.wait_connected()

    run_bounded(scenario())


def test_without_reconnect_a_lost_connection_ends_the_initiator() -> None:
    async def scenario() -> None:
        server = RecorderFactory()
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            initiator = Initiator([("127.0.0.1", acceptor.port)], RecorderFactory(), reconnect=False)
            initiator.start()
            await initiator.wait_connected()
            rec = server.made[0]
            await rec.connected
            assert rec.conn is not None
            rec.conn.close()
            await initiator.wait_stopped()
            assert not initiator.is_running
            assert initiator.connection is None

    run_bounded(scenario())


def test_stop_while_waiting_to_reconnect_returns_promptly() -> None:
    async def scenario() -> None:
        slow = Backoff(initial=60, cap=60, jitter=0, max_retries=None)
        initiator = Initiator([("127.0.0.1", free_port())], RecorderFactory(), backoff=slow)
        initiator.start()
        await asyncio.sleep(0.05)  # let the first round fail; the initiator now waits 60 s
        assert initiator.is_running
        await asyncio.wait_for(initiator.stop(), 2)
        assert not initiator.is_running

    run_bounded(scenario())


def test_cancelling_the_caller_of_stop_is_not_swallowed() -> None:
    """stop() awaits its cancelled connect loop; a cancellation of stop()'s own caller must still propagate."""

    async def scenario() -> None:
        slow = Backoff(initial=60, cap=60, jitter=0, max_retries=None)
        initiator = Initiator([("127.0.0.1", free_port())], RecorderFactory(), backoff=slow)
        initiator.start()
        await asyncio.sleep(0.05)  # the first round failed; the connect loop now waits 60 s
        stopper = asyncio.ensure_future(initiator.stop())
        await asyncio.sleep(0)  # stopper runs up to its wait for the connect loop
        stopper.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopper
        assert stopper.cancelled()

    run_bounded(scenario())


def test_stop_closes_the_open_connection_and_the_server_sees_it() -> None:
    async def scenario() -> None:
        server = RecorderFactory()
        async with Acceptor("127.0.0.1", 0, server) as acceptor:
            target = ("127.0.0.1", acceptor.port)
            async with Initiator([target], RecorderFactory(), backoff=FAST) as initiator:
                await initiator.wait_connected()
                await server.made[0].connected
            await asyncio.wait_for(server.made[0].disconnected, 5)
            await asyncio.sleep(0.1)
            assert len(server.made) == 1  # no reconnect after stop

    run_bounded(scenario())


def test_invalid_targets_and_misuse_are_reported() -> None:
    with pytest.raises(ValueError, match="targets is empty"):
        Initiator([], RecorderFactory())
    with pytest.raises(ValueError, match="port=0"):
        Initiator([("127.0.0.1", 0)], RecorderFactory())

    async def scenario() -> None:
        initiator = Initiator([("127.0.0.1", free_port())], RecorderFactory())
        with pytest.raises(TransportError, match="before start"):
            await initiator.wait_connected()

    run_bounded(scenario())
