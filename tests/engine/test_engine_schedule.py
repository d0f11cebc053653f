"""Session time over loopback: StartTime/EndTime refuse Logons outside the window, hold an initiator back until
the start, log out at the end, and reset sequence numbers when a new period begins. Windows are a few seconds
long (times of day in UTC, whole seconds) and every test is bounded."""

from __future__ import annotations

import asyncio
import datetime
import logging
import time
from typing import Any

import pytest
from engine_kit import Executor, acceptor_config, free_port, initiator_config, run_bounded

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.session_time import OUTSIDE_SESSION_TIME, SESSION_TIME_ENDED

#: EndTime of the tests that log on and are then logged out at the end, in seconds from now. The times are whole
#: seconds (truncated), so the Logon has at least END_IN_S - 1 s to complete before EndTime; with 3 (2 s at worst)
#: a slow or busy machine could log on after EndTime and be refused as outside session time
END_IN_S = 5
#: StartTime of the new-period test, in seconds from now: the store must be created (and its numbers set) before
#: it, at least START_IN_S - 1 s later
START_IN_S = 3


def window(start_in: float, end_in: float) -> dict[str, Any]:
    """StartTime/EndTime (UTC, HH:MM:SS) ``start_in``/``end_in`` seconds from now (negative: in the past)."""
    now = time.time()

    def clock(offset: float) -> str:
        return datetime.datetime.fromtimestamp(now + offset, datetime.UTC).strftime("%H:%M:%S")

    return {"StartTime": clock(start_in), "EndTime": clock(end_in), "TimeZone": "UTC"}


class Watcher(Application):
    """Counts logons and the Logons the application was asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.logons = 0
        self.asked = 0

    def onLogon(self, sessionID: Any) -> None:
        self.logons += 1

    def onLogonRequest(self, message: Any, sessionID: Any) -> bool:
        self.asked += 1
        return True


def logon_frame(sender: str = "CLIENT", target: str = "EXEC", seqnum: int = 1) -> bytes:
    """A FIX.4.4 Logon(35=A) with HeartBtInt(108)=30, BodyLength(9) and CheckSum(10) computed."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H:%M:%S.000")
    body = f"35=A\x0134={seqnum}\x0149={sender}\x0152={stamp}\x0156={target}\x0198=0\x01108=30\x01".encode()
    head = b"8=FIX.4.4\x019=" + str(len(body)).encode() + b"\x01"
    checksum = sum(head + body) % 256
    return head + body + f"10={checksum:03d}\x01".encode()


async def logon_and_read_until_closed(port: int, seqnum: int = 1) -> bytes:
    """Connect as CLIENT, send a Logon, and return every byte the acceptor wrote before closing (bounded; a
    connection reset, as an aborted connection may end, counts as the close)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(logon_frame(seqnum=seqnum))
    received = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(4096), 15):
            received += chunk
    except ConnectionResetError:
        pass  # what arrived before the reset is kept
    finally:
        writer.close()
    return received


def test_acceptor_refuses_a_logon_outside_session_time(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        port = free_port()
        guard = Watcher()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], **window(3600, 7200)), guard)
        await acceptor.open()
        answer = await logon_and_read_until_closed(port)
        numbers = (acceptor.session.next_sender_seqnum, acceptor.session.next_target_seqnum)
        await acceptor.disconnect()
        # QuickFIX: the connection closed without an answer, no MsgSeqNum(34) used on either side
        assert answer == b"" and numbers == (1, 1)
        # the refused Logon never reached the acceptor's application
        assert guard.logons == 0 and guard.asked == 0

    with caplog.at_level(logging.WARNING, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    # the log line names the session, the reason and when session time starts again
    assert "session FIX.4.4:EXEC->CLIENT refuses its Logon without an answer" in caplog.text
    assert OUTSIDE_SESSION_TIME in caplog.text and "session time starts again at" in caplog.text


async def counting_server() -> tuple[asyncio.Server, int, list[Any]]:
    """A listener on a free 127.0.0.1 port that closes every connection and records it: (server, port, those)."""
    port = free_port()
    connections: list[Any] = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        writer.close()

    return await asyncio.start_server(count, "127.0.0.1", port), port, connections


def test_initiator_waits_for_start_time() -> None:
    async def scenario() -> None:
        server, port, connections = await counting_server()
        engine = await FixEngine.create(initiator_config(port, "CLIENT", **window(3600, 7200)), Watcher())
        await engine.open()
        await asyncio.sleep(0.5)  # several reconnect intervals (0.1 s): an unscheduled initiator would connect
        assert engine.initiators == {}
        assert connections == []
        await engine.disconnect()
        server.close()
        await server.wait_closed()

    run_bounded(scenario())


def test_end_time_logs_out_and_later_logons_are_refused() -> None:
    async def scenario() -> None:
        port = free_port()
        executor = Executor()
        acceptor = await FixEngine.create(
            acceptor_config(port, ["CLIENT"], LogoutTimeout=0.5, **window(-10, END_IN_S)), executor
        )
        executor.engine = acceptor
        await acceptor.open()
        during = await logon_and_read_until_closed(port)
        # the next Logon (MsgSeqNum 2: the peer never answered the Logout) comes after EndTime
        after = await logon_and_read_until_closed(port, seqnum=2)
        await acceptor.disconnect()
        assert during.index(b"\x0135=A\x01") < during.index(b"\x0135=5\x01")
        assert f"\x0158={SESSION_TIME_ENDED}\x01".encode() in during
        assert after == b""  # outside session time: closed without an answer (no Logout using a number)
        assert len(executor.logons) == 1

    run_bounded(scenario())


def test_scheduled_initiator_stops_at_end_time() -> None:
    async def scenario() -> None:
        port = free_port()
        executor = Executor()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), executor)
        executor.engine = acceptor
        await acceptor.open()
        engine = await FixEngine.create(initiator_config(port, "CLIENT", **window(-10, END_IN_S)), Watcher())
        await engine.open()
        assert await engine.wait_logged_on(5)
        assert await acceptor.wait_logged_on(5)
        # EndTime: the initiator sends Logout, the acceptor answers, and the initiator does not reconnect
        assert await acceptor.wait_disconnected(10)
        assert await engine.wait_disconnected(5)
        assert engine.initiators == {}
        assert acceptor.session.next_target_seqnum == 3  # Logon and Logout received, nothing after them
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


def test_new_period_resets_sequence_numbers_before_logon() -> None:
    async def scenario() -> None:
        port = free_port()
        executor = Executor()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), executor)
        executor.engine = acceptor
        await acceptor.open()
        # the store is created now, before the period that starts in ~2-3 s: that period resets it
        engine = await FixEngine.create(initiator_config(port, "CLIENT", **window(START_IN_S, 3600)), Watcher())
        await engine.initialize()
        await engine.set_sequence_numbers(incoming_seqnum=40, outgoing_seqnum=50)
        await engine.open()
        assert await engine.wait_logged_on(10)
        assert engine.session.next_sender_seqnum == 2  # the Logon went out as MsgSeqNum 1
        assert await engine.message_store.get_next_outgoing_sequence_number() == 2
        assert acceptor.session.next_target_seqnum == 2
        await engine.disconnect()
        await acceptor.disconnect()

    run_bounded(scenario())


def test_a_failure_while_keeping_session_time_is_logged_and_enforcement_goes_on(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store error in the new-period check must not end session-time enforcement silently."""
    monkeypatch.setattr("pyfixmsg_plus.engine.session_time.SCHEDULE_RETRY_SECONDS", 0.05)

    async def scenario() -> None:
        acceptor = await FixEngine.create(acceptor_config(free_port(), ["CLIENT"], **window(-60, 3600)), Watcher())
        runner = acceptor.runner()
        calls = 0
        original = runner.start_new_period_if_due

        async def failing_once() -> bool:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("store unavailable")
            return await original()

        runner.start_new_period_if_due = failing_once  # type: ignore[method-assign]
        await acceptor.open()
        deadline = time.monotonic() + 5
        while calls < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await acceptor.disconnect()
        assert calls >= 2  # retried after the failure

    with caplog.at_level(logging.ERROR, logger="pyfixmsg_plus.engine"):
        run_bounded(scenario())
    assert "keeping session time failed" in caplog.text and "store unavailable" in caplog.text


class HungLogonCheck(Application):
    """An async Logon check that never answers the first time, then accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    async def onLogonRequest(self, message: Any, sessionID: Any) -> bool:
        self.asked += 1
        if self.asked == 1:
            await asyncio.Event().wait()  # hangs until cancelled
        return True


def test_logon_timeout_bounds_a_hung_async_logon_check_and_frees_the_session() -> None:
    async def scenario() -> None:
        port = free_port()
        app = HungLogonCheck()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], LogonTimeout=1), app)
        await acceptor.open()
        try:
            first = await logon_and_read_until_closed(port)  # closed after LogonTimeout, no answer
            assert first == b"" and app.asked == 1
            second = await logon_and_read_until_closed_after_logon(port)
            assert b"\x0135=A\x01" in second and app.asked == 2  # the session was released: served now
        finally:
            await acceptor.disconnect()

    run_bounded(scenario())


async def logon_and_read_until_closed_after_logon(port: int) -> bytes:
    """Connect as CLIENT, send a Logon, read the answer, then log out; every byte the acceptor wrote (bounded)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(logon_frame())
    try:
        answer = await asyncio.wait_for(reader.readuntil(b"\x0110="), 10)
        answer += await asyncio.wait_for(reader.readuntil(b"\x01"), 10)
        return answer
    finally:
        writer.close()
