"""Connection.at_turn_end: code above the connection acts at the start of the next event-loop iteration in the same
loop callback that hands the held writes to the transport (one callback per iteration, not one per layer), and
what it writes joins them in one transport write, after them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest
from test_transport_coalescing import connected
from transport_kit import run_bounded

from pyfixmsg_plus.transport import Connection, ConnectionClosed


class CountingLoop:
    """Stands for the connection's event loop: counts the callbacks it schedules and forwards them."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.scheduled: list[Callable[..., Any]] = []

    def call_soon(self, callback: Callable[..., Any], *args: Any) -> asyncio.Handle:
        self.scheduled.append(callback)
        return self.loop.call_soon(callback, *args)


def counting(conn: Connection) -> CountingLoop:
    """Route ``conn``'s loop callbacks through a :class:`CountingLoop`."""
    proxy = CountingLoop(asyncio.get_running_loop())
    conn._loop = proxy  # type: ignore[assignment]
    return proxy


def test_a_write_and_a_turn_end_callback_share_one_loop_callback() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        loop = counting(conn)
        ran: list[str] = []
        conn.write(b"a")
        conn.at_turn_end(lambda: ran.append("first"))
        conn.at_turn_end(lambda: ran.append("second"))
        assert len(loop.scheduled) == 1 and ran == []  # nothing runs in the current iteration
        await asyncio.sleep(0)
        assert ran == ["first", "second"] and transport.writes == [b"a"]

    run_bounded(scenario())


def test_writes_of_a_turn_end_callback_follow_the_held_bytes_in_one_transport_write() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        conn.write(b"1")  # at once
        conn.write(b"2")  # held until the next iteration
        conn.at_turn_end(lambda: conn.write(b"3"))
        await asyncio.sleep(0)
        assert transport.writes == [b"1", b"23"]
        conn.write(b"4")  # a new iteration: at once again
        assert transport.writes == [b"1", b"23", b"4"]

    run_bounded(scenario())


def test_a_callback_asked_for_by_a_turn_end_callback_runs_one_iteration_later() -> None:
    async def scenario() -> None:
        conn, _ = connected()
        ran: list[str] = []

        def again() -> None:
            ran.append("outer")
            conn.at_turn_end(lambda: ran.append("inner"))

        conn.at_turn_end(again)
        await asyncio.sleep(0)
        assert ran == ["outer"]
        await asyncio.sleep(0)
        assert ran == ["outer", "inner"]

    run_bounded(scenario())


def test_a_failing_callback_is_logged_and_the_rest_still_runs(caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("callback failed on purpose")

    async def scenario() -> tuple[list[bytes], list[str]]:
        conn, transport = connected()
        ran: list[str] = []
        conn.write(b"a")
        conn.write(b"b")
        conn.at_turn_end(boom)
        conn.at_turn_end(lambda: ran.append("after"))
        await asyncio.sleep(0)
        return transport.writes, ran

    with caplog.at_level(logging.ERROR, logger="pyfixmsg_plus.transport"):
        writes, ran = run_bounded(scenario())
    assert writes == [b"a", b"b"] and ran == ["after"]
    assert any("callback failed on purpose" in (r.exc_text or "") for r in caplog.records)


def test_callbacks_run_after_an_abort_and_the_held_bytes_are_dropped() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        ran: list[str] = []
        conn.write(b"a")
        conn.write(b"b")
        conn.at_turn_end(lambda: ran.append("ran"))
        conn.abort()
        await asyncio.sleep(0)
        assert ran == ["ran"] and transport.writes == [b"a"] and transport.aborted

    run_bounded(scenario())


def test_write_unless_closing_writes_as_write_does_and_drops_once_closing() -> None:
    async def scenario() -> None:
        conn, transport = connected()
        assert conn.write_unless_closing(b"1") and conn.write_unless_closing(b"2")  # at once, then held
        await asyncio.sleep(0)
        assert transport.writes == [b"1", b"2"] and conn.bytes_sent == 2
        transport.closing = True  # the peer went away: write raises, write_unless_closing drops
        assert not conn.write_unless_closing(b"3")
        with pytest.raises(ConnectionClosed, match="3 bytes"):
            conn.write(b"333")
        assert transport.writes == [b"1", b"2"] and conn.bytes_sent == 2

    run_bounded(scenario())
