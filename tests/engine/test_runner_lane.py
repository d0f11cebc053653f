"""The runner's use of the session's lane (``SessionLane``): a one-frame in-sequence order and its answer go
through it without the general path, and its guarantees hold (stored before written, MsgSeqNum order, a store
that waits holds later sends behind it)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from engine_kit import run_bounded
from test_runner_single_frame import Answering, order
from test_runner_turn_end import active

from pyfixmsg_plus.session import Session
from pyfixmsg_plus.store import Direction, FrameRecord, MessageQuery


def refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the general path was taken")


def test_orders_and_their_answers_take_the_lane_once_the_type_is_learnt() -> None:
    async def scenario() -> None:
        app = Answering()
        engine, runner, _, transport = await active(app)
        app.engine = engine
        first = runner.session.next_target_seqnum
        runner.on_data(order(first, "O0"))  # the general path learns D's shape
        await asyncio.sleep(0)
        session: Any = runner.session
        session.receive_single_frame = session.send = refuse  # from here on only the lane may take them
        for k in range(1, 4):
            runner.on_data(order(first + k, f"O{k}"))
            assert app.orders[-1] == f"O{k}" and not runner._pumping
            await asyncio.sleep(0)
        engine.send_fields_nowait("D", [(11, "OUT"), (55, "X"), (54, "1"), (38, 1), (40, "1")])
        assert runner.session.next_target_seqnum == first + 4
        await runner.flush()
        inbound = await runner.store.query(MessageQuery(session=runner.key, direction=Direction.INBOUND))
        assert [m.seq_num for m in inbound][-4:] == list(range(first, first + 4))
        outbound = await runner.store.query(MessageQuery(session=runner.key, direction=Direction.OUTBOUND))
        written = b"".join(transport.writes)
        assert all(m.data in written for m in outbound[-5:])  # what was written is what was stored
        assert [m.msg_type for m in outbound[-5:]] == ["8", "8", "8", "8", "D"]
        numbers = [m.seq_num for m in outbound]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


class WaitingStore:
    """The engine's store, except that saving outbound frames waits a loop iteration (as a store doing I/O)."""

    def __init__(self, store: Any, events: list[str]) -> None:
        self._store = store
        self._events = events

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def save_outbound(self, session: Any, records: Sequence[FrameRecord]) -> None:
        await asyncio.sleep(0)
        await self._store.save_outbound(session, records)
        self._events.extend(f"stored {r.seq_num}" for r in records)


def test_a_store_that_waits_is_awaited_before_the_write_and_later_sends_queue_behind() -> None:
    async def scenario() -> None:
        app = Answering()
        engine, runner, _, transport = await active(app)
        events: list[str] = []
        runner.writer.store = WaitingStore(runner.writer.store, events)  # type: ignore[assignment]
        writes = transport.writes
        session: Session = runner.session
        sent = session.next_sender_seqnum
        first = engine.send_fields_nowait("D", [(11, "A"), (55, "X")])
        second = engine.send_fields_nowait("D", [(11, "B"), (55, "X")])
        assert first is not None and second is not None  # both wait for the store
        assert writes == []  # nothing written before it is stored
        await second
        assert first.done()
        assert events[:2] == [f"stored {sent}", f"stored {sent + 1}"]
        joined = b"".join(writes)
        assert joined.index(b"\x0111=A\x01") < joined.index(b"\x0111=B\x01")  # MsgSeqNum order on the wire
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
