"""Sends of one event-loop iteration go out as one store transaction and one write; ``send_fields_nowait``; a
plain send to an idle runner runs in the caller's frame, and one to a store that waits holds the pump."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from engine_kit import acceptor_config, free_port, run_bounded
from test_engine_batch_and_admin import FakeConnection, logon, order

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.store import Direction, MessageQuery

PEER = "CLIENT"


def report(clordid: str) -> list[tuple[int, Any]]:
    """An ExecutionReport's body (the fields the session does not set)."""
    return [(37, "O1"), (11, clordid), (17, "E1"), (150, "F"), (39, "2"), (55, "EUR/USD"), (54, "1"),
            (14, 100), (151, 0), (6, "1.1")]  # fmt: skip


class Recorder(Application):
    """Records the ClOrdID(11) of every received order."""

    def __init__(self) -> None:
        super().__init__()
        self.orders: list[str] = []

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.orders.append(message[11])


async def active(app: Application | None = None) -> tuple[FixEngine, SessionRunner, FakeConnection]:
    """An acceptor engine with a memory store, logged on over a fake connection that records every write."""
    engine = await FixEngine.create(acceptor_config(free_port(), [PEER]), app or Application())
    await engine.initialize()
    runner = engine.runner()
    conn = FakeConnection()
    runner.on_connected(conn)  # type: ignore[arg-type]
    runner.on_data(logon())
    await runner.flush()
    await asyncio.sleep(0)  # the turn of the Logon answer ends
    conn.written.clear()
    return engine, runner, conn


def numbers(written: bytes) -> list[int]:
    """MsgSeqNum(34) of every frame in ``written``."""
    frames = written.split(b"\x018=")
    return [int(next(v for t, v in parse_pairs(b"8=" + f if i else f) if t == 34)) for i, f in enumerate(frames)]


def test_a_burst_after_the_first_send_of_an_iteration_is_one_write() -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()
        first = runner.session.next_sender_seqnum
        assert engine.send_fields_nowait("8", report("A")) is None  # stored and written in the call
        assert len(conn.written) == 1
        waiters = [engine.send_fields_nowait("8", report(f"B{n}")) for n in range(5)]
        assert all(w is not None and not w.done() for w in waiters)
        assert len(conn.written) == 1  # the others wait for the end of the iteration
        last = waiters[-1]
        assert last is not None
        await last
        assert all(w is not None and w.done() and w.exception() is None for w in waiters)
        assert len(conn.written) == 2  # five frames, one write
        assert numbers(b"".join(conn.written)) == list(range(first, first + 6))
        stored = await runner.store.get_outbound(runner.key, first, first + 5)
        assert [m.seq_num for m in stored] == list(range(first, first + 6))
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_gathered_send_fields_go_out_in_two_writes() -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()
        first = runner.session.next_sender_seqnum
        await asyncio.gather(*(engine.send_fields("8", report(f"G{n}")) for n in range(50)))
        assert len(conn.written) == 2  # the first task's send at once, the other 49 together
        assert numbers(b"".join(conn.written)) == list(range(first, first + 50))
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_a_read_in_the_same_iteration_first_executes_the_queued_sends() -> None:
    async def scenario() -> None:
        app = Recorder()
        engine, runner, conn = await active(app)
        engine.send_fields_nowait("8", report("A"))
        later = engine.send_fields_nowait("8", report("B"))
        assert later is not None and not later.done() and len(conn.written) == 1
        runner.on_data(order(2, "ORD-1"))  # read in the same iteration: the queued send is executed first
        assert later.done() and later.exception() is None
        assert len(conn.written) == 2 and app.orders == ["ORD-1"]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_a_send_to_a_store_that_waits_holds_later_sends_behind_it(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()
        first = runner.session.next_sender_seqnum
        original = runner.store.save_outbound
        committed: list[int] = []

        async def slow_save_outbound(key: Any, records: Any) -> None:
            await asyncio.sleep(0.01)  # a store doing I/O (it committed without waiting so far)
            await original(key, records)
            committed.extend(r.seq_num for r in records)

        monkeypatch.setattr(runner.store, "save_outbound", slow_save_outbound)
        waiter = engine.send_fields_nowait("8", report("A"))
        assert waiter is not None and not waiter.done()
        assert conn.written == []  # stored before written: nothing out yet
        await asyncio.sleep(0)  # a new iteration: this send would go at once, but the first holds the pump
        second = engine.send_fields_nowait("8", report("B"))
        assert second is not None
        await asyncio.gather(waiter, second)
        assert committed == [first, first + 1]
        assert numbers(b"".join(conn.written)) == [first, first + 1]
        assert engine.send_fields_nowait("8", report("C")) is not None  # the store still waits: a future again
        await runner.flush()
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_a_store_failure_fails_the_send_and_drops_the_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()

        async def failing_save_outbound(key: Any, records: Any) -> None:
            raise OSError("disk full")

        monkeypatch.setattr(runner.store, "save_outbound", failing_save_outbound)
        waiter = engine.send_fields_nowait("8", report("A"))
        assert waiter is not None
        with pytest.raises(OSError, match="disk full"):
            await waiter
        assert conn.closed and conn.written == []  # never written: it was not stored
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_what_was_acknowledged_is_stored_in_every_burst() -> None:
    async def scenario() -> None:
        app = Recorder()
        engine, runner, conn = await active(app)
        first = runner.session.next_sender_seqnum
        futures = []
        for burst in range(4):
            futures += [engine.send_fields_nowait("8", report(f"{burst}-{n}")) for n in range(25)]
            await asyncio.sleep(0)
        await asyncio.gather(*(f for f in futures if f is not None))
        stored = await runner.store.query(MessageQuery(runner.key, Direction.OUTBOUND, first_seq=first))
        assert [m.seq_num for m in stored] == list(range(first, first + 100))
        assert numbers(b"".join(conn.written)) == list(range(first, first + 100))
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_flush_executes_the_sends_queued_behind_the_first_at_once() -> None:
    async def scenario() -> None:
        engine, runner, conn = await active()
        first = runner.session.next_sender_seqnum
        engine.send_fields_nowait("8", report("A"))
        queued = engine.send_fields_nowait("8", report("B"))
        await runner.flush()  # e.g. before a sequence reset or close: nothing may stay queued
        assert queued is not None and queued.done()
        stored = await runner.store.get_outbound(runner.key, first, first + 1)
        assert [m.seq_num for m in stored] == [first, first + 1]
        assert numbers(b"".join(conn.written)) == [first, first + 1]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
