"""The session pump starts eagerly: a send with a memory store and a received message delivered to a plain
callback cost no event-loop iteration of their own, and the ordering rules hold (frames in MsgSeqNum(34) order,
the outputs of one input before the next input)."""

from __future__ import annotations

import asyncio
from typing import Any

from engine_kit import Client, Executor, acceptor_config, free_port, initiator_config, order, run_bounded

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine

#: upper bound (s) of the wait for the answers to a burst of orders (the scenario itself is bounded by 30 s)
REPORTS_TIMEOUT_S = 20.0


class _Recorder(Application):
    """A plain (not async) fromApp recording the ClOrdID(11) of every ExecutionReport."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[str] = []

    def fromApp(self, message: Any, sessionID: Any) -> None:
        if message[35] == "8":
            self.reports.append(message[11])


async def _pair(app: Application) -> tuple[FixEngine, FixEngine]:
    port = free_port()
    executor = Executor()
    acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"]), executor)
    executor.engine = acceptor
    await acceptor.open()
    client = await FixEngine.create(initiator_config(port, "CLIENT"), app)
    await client.open()
    assert await client.wait_logged_on(5) and await acceptor.wait_logged_on(5)
    return acceptor, client


def test_a_send_with_a_memory_store_is_written_before_the_loop_turns() -> None:
    async def scenario() -> tuple[bool, int]:
        acceptor, client = await _pair(Client())
        turned: list[bool] = []
        asyncio.get_running_loop().call_soon(turned.append, True)  # runs at the loop's next iteration
        conn = client.runner().conn
        assert conn is not None
        sent_before = conn.bytes_sent
        await client.send_message(order(client, "EAGER-1"))
        written = conn.bytes_sent - sent_before
        no_turn = not turned
        await client.disconnect()
        await acceptor.disconnect()
        return no_turn, written

    no_turn, written = run_bounded(scenario())
    assert written > 0  # the frame reached the socket inside the call
    assert no_turn  # and no event-loop iteration passed while it did


def test_orders_sent_together_are_answered_in_order() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        recorder = _Recorder()
        acceptor, client = await _pair(recorder)
        ids = [f"ORD-{n:03d}" for n in range(50)]
        await asyncio.gather(*(client.send_message(order(client, clordid)) for clordid in ids))
        # every report arrives, however slow the machine: a fixed 200 polls (2 s) could end first under load
        deadline = asyncio.get_running_loop().time() + REPORTS_TIMEOUT_S
        while len(recorder.reports) < len(ids) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await client.disconnect()
        await acceptor.disconnect()
        return ids, recorder.reports

    ids, reports = run_bounded(scenario())
    assert reports == ids
