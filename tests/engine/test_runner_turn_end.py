"""The send path over a real Connection: a lone send costs one loop callback (the send path's end of iteration
joins the connection's), the writes of one iteration reach the transport in MsgSeqNum(34) order in one write, and an
application that overrides toAdmin still sends its application messages at once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from contextvars import Context
from typing import Any, TypeVarTuple, Unpack

import pytest
from engine_kit import acceptor_config, free_port, run_bounded
from fake_transport import FakeTransport
from test_engine_batch_and_admin import frame, logon
from test_runner_bursts import numbers, report

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine, send_path
from pyfixmsg_plus.engine.admin_hook import tell_admin
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.session import SendFrame
from pyfixmsg_plus.transport import Connection

PEER = "CLIENT"
_Ts = TypeVarTuple("_Ts")


class CountingLoop(asyncio.SelectorEventLoop):
    """An asyncio event loop that counts the callbacks scheduled on it with call_soon."""

    def __init__(self) -> None:
        super().__init__()
        self.scheduled = 0

    def call_soon(
        self, callback: Callable[[Unpack[_Ts]], object], *args: *_Ts, context: Context | None = None
    ) -> asyncio.Handle:
        self.scheduled += 1
        return super().call_soon(callback, *args, context=context)


def run_counting(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` on a :class:`CountingLoop`, bounded in time."""
    with asyncio.Runner(loop_factory=CountingLoop) as runner:
        runner.run(asyncio.wait_for(coro, 30))


class AdminWatcher(Application):
    """Overrides toAdmin (as an application adding credentials to the Logon does) and records what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        self.seen.append(message[35])


async def active(app: Application) -> tuple[FixEngine, SessionRunner, Connection, FakeTransport]:
    """An acceptor engine with a memory store, logged on over a Connection whose transport records its writes."""
    engine = await FixEngine.create(acceptor_config(free_port(), [PEER]), app)
    await engine.initialize()
    runner = engine.runner()
    conn = Connection(lambda: runner)
    transport = FakeTransport()
    conn.connection_made(transport)  # type: ignore[arg-type]  # the runner's on_connected
    runner.on_data(logon())
    await runner.flush()
    await asyncio.sleep(0)  # the iteration of the Logon answer ends
    transport.writes.clear()
    return engine, runner, conn, transport


def test_a_lone_send_costs_one_loop_callback_and_the_next_iteration_sends_at_once() -> None:
    async def scenario() -> None:
        engine, _, _, transport = await active(Application())
        loop = asyncio.get_running_loop()
        assert isinstance(loop, CountingLoop)
        before = loop.scheduled
        assert engine.send_fields_nowait("8", report("A")) is None  # stored and written in the call
        # one callback for the end of the iteration: the connection's held writes and the send path's together
        assert len(transport.writes) == 1 and loop.scheduled - before == 1
        await asyncio.sleep(0)
        assert engine.send_fields_nowait("8", report("B")) is None  # a new iteration: at once again
        assert len(transport.writes) == 2
        await engine.disconnect(graceful=False)

    run_counting(scenario())


def test_an_answer_and_sends_of_one_iteration_reach_the_transport_in_order_in_one_write() -> None:
    async def scenario() -> None:
        engine, runner, _, transport = await active(Application())
        first = runner.session.next_sender_seqnum
        assert engine.send_fields_nowait("8", report("A")) is None  # at once: first
        runner.on_data(frame("1", 2, (112, "ping")))  # answered by a Heartbeat: first + 1, held
        later = engine.send_fields_nowait("8", report("B"))  # queued behind the first send: first + 2
        assert later is not None and len(transport.writes) == 1
        await later
        assert len(transport.writes) == 2  # the Heartbeat and the queued send together
        assert numbers(b"".join(transport.writes)) == [first, first + 1, first + 2]
        assert numbers(transport.writes[1]) == [first + 1, first + 2]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_application_messages_of_a_to_admin_application_skip_the_admin_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[list[str]] = []

    async def recording_tell_admin(frames: Sequence[SendFrame], *args: Any) -> Sequence[SendFrame]:
        told.append([f.msg_type for f in frames])
        return await tell_admin(frames, *args)

    monkeypatch.setattr(send_path, "tell_admin", recording_tell_admin)

    async def scenario() -> None:
        app = AdminWatcher()
        engine, runner, _, transport = await active(app)
        told.clear()
        turned: list[bool] = []
        asyncio.get_running_loop().call_soon(turned.append, True)  # runs at the loop's next iteration
        assert engine.send_fields_nowait("8", report("A")) is None  # toAdmin has nothing to see: at once
        assert len(transport.writes) == 1 and not turned and told == []
        runner.on_data(frame("1", 2, (112, "ping")))  # the Heartbeat answer is an admin frame: toAdmin sees it
        await runner.flush()
        await asyncio.sleep(0)
        assert told == [["0"]]
        assert app.seen == ["A", "0"]  # the Logon answer and the Heartbeat, never the ExecutionReport
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
