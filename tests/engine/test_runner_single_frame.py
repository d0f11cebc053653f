"""A read holding one frame, given to an idle runner, is executed in the read callback without the pump's
coroutines (``SessionRunner._receive_now``); whatever must wait goes the pump's way, in the same order."""

from __future__ import annotations

import asyncio
from typing import Any

from engine_kit import run_bounded
from test_engine_batch_and_admin import frame
from test_runner_bursts import numbers, report
from test_runner_turn_end import active

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.store import Direction, MessageQuery


def order(seqnum: int, clordid: str) -> bytes:
    return frame("D", seqnum, (11, clordid), (21, "1"), (55, "EUR/USD"), (54, "1"), (60, "20240603-12:00:00"),
                 (38, 100), (40, "1"))  # fmt: skip


class Answering(Application):
    """Answers every order with an ExecutionReport from fromApp (a plain callback)."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: FixEngine | None = None
        self.orders: list[str] = []

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.orders.append(message[11])
        assert self.engine is not None
        self.engine.send_fields_nowait("8", report(message[11]))


class SlowAnswering(Answering):
    """The same from an async fromApp that waits a loop iteration first."""

    async def fromApp(self, message: Any, sessionID: Any) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        super().fromApp(message, sessionID)


def test_a_one_frame_read_is_delivered_stored_and_answered_within_the_read_callback() -> None:
    async def scenario() -> None:
        app = Answering()
        engine, runner, _, transport = await active(app)
        app.engine = engine
        first = runner.session.next_target_seqnum
        for k in range(3):  # the first order teaches the fast path its shape; the others take it
            runner.on_data(order(first + k, f"O{k}"))
            assert app.orders[-1] == f"O{k}"  # delivered inside on_data
            assert not runner._pumping and runner._pump is None  # nothing left running
            assert len(transport.writes) == k + 1  # the answer written inside the read's callback
            await asyncio.sleep(0)  # each read is an event-loop iteration of its own
        assert runner.session.next_target_seqnum == first + 3
        await runner.flush()
        stored = await runner.store.query(MessageQuery(session=runner.key, direction=Direction.INBOUND))
        assert [m.seq_num for m in stored][-3:] == [first, first + 1, first + 2]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_reads_behind_an_async_callback_wait_for_it_and_keep_their_order() -> None:
    async def scenario() -> None:
        app = SlowAnswering()
        engine, runner, _, transport = await active(app)
        app.engine = engine
        first = runner.session.next_target_seqnum
        runner.on_data(order(first, "A"))  # the fromApp waits: the rest goes to a task holding the pump
        assert app.orders == [] and runner._pumping
        runner.on_data(order(first + 1, "B"))  # queued behind it
        runner.on_data(order(first + 2, "C"))
        await runner.flush()
        for _ in range(5):
            await asyncio.sleep(0)
        assert app.orders == ["A", "B", "C"]
        written = b"".join(transport.writes)
        assert written.count(b"\x0135=8\x01") == 3
        sent = numbers(written)
        assert sent == sorted(sent)
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_a_reject_read_alone_reaches_on_reject() -> None:
    class Rejects(Application):
        def __init__(self) -> None:
            super().__init__()
            self.rejected: list[str] = []

        def onReject(self, message: Any) -> None:
            self.rejected.append(message[45])

    async def scenario() -> None:
        app = Rejects()
        engine, runner, _, _ = await active(app)
        seqnum = runner.session.next_target_seqnum
        runner.on_data(frame("3", seqnum, (45, 1), (58, "bad")))
        await runner.flush()
        for _ in range(3):
            await asyncio.sleep(0)
        assert app.rejected == ["1"]
        assert runner.session.next_target_seqnum == seqnum + 1
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_a_one_frame_read_and_its_plain_answer_need_no_index_and_no_pump() -> None:
    """The read is checked as one whole frame (``Framer.msgtype_if_one_frame``: no FrameIndex) and the answer
    fromApp queued is sent as a plain send once the read is done (``send_queued_at_once``: no pump coroutine),
    stored before it is written."""

    class NoIndex:
        def __init__(self, framer: Any) -> None:
            self.msgtype_if_one_frame = framer.msgtype_if_one_frame

        def feed(self, data: bytes) -> Any:
            raise AssertionError("a FrameIndex was built")

    async def no_pump() -> None:
        raise AssertionError("the pump ran")

    async def scenario() -> None:
        app = Answering()
        engine, runner, _, transport = await active(app)
        app.engine = engine
        first = runner.session.next_target_seqnum
        runner.on_data(order(first, "learn"))  # the first order teaches the fast path its shape
        await asyncio.sleep(0)
        runner._framer = NoIndex(runner._framer)
        runner._run_pump = no_pump  # type: ignore[method-assign]
        sent_before = runner.session.next_sender_seqnum
        for k in range(3):
            runner.on_data(order(first + 1 + k, f"O{k}"))
            assert app.orders[-1] == f"O{k}" and not runner._pumping
            await asyncio.sleep(0)
        await runner.flush()  # the inbound store writes in batches
        written = b"".join(transport.writes)
        assert numbers(written)[-3:] == [sent_before, sent_before + 1, sent_before + 2]
        stored = await runner.store.query(MessageQuery(session=runner.key, direction=Direction.OUTBOUND))
        assert [m.seq_num for m in stored][-3:] == [sent_before, sent_before + 1, sent_before + 2]
        inbound = await runner.store.query(MessageQuery(session=runner.key, direction=Direction.INBOUND))
        assert [(m.seq_num, m.msg_type) for m in inbound][-3:] == [(first + 1 + k, "D") for k in range(3)]
        del runner._run_pump  # the runner's own pump again: stopping the session queues an input
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
