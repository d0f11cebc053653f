"""Outbound blast: the initiator sends N NewOrderSingle (35=D) as fast as it can to a QuickFIX acceptor, which
answers each with an ExecutionReport (35=8).

Figure: application messages both ways (N orders + N reports) per second, from the first order sent to the last
report received — the QuickFIX initiator's own summary (``messages_per_s``) counts the same way. Rows: QuickFIX C++
initiator -> QuickFIX C++ acceptor (the reference), the same between two QuickFIX Python binding processes
(:mod:`~pyfixmsg_plus.bench.live.qfpy_rows`), and our initiator -> the QuickFIX C++ acceptor.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pyfixmsg_plus.bench.live.engines import (
    HEARTBEAT_S,
    MEMORY,
    OURS,
    PEER_ACCEPTOR,
    PEER_INITIATOR,
    QUICKFIX_SIDE,
    CountingApplication,
    in_thread,
    initiator_config,
)
from pyfixmsg_plus.bench.live.qfpy_rows import qfpy_outbound, qfpy_row
from pyfixmsg_plus.bench.live.results import QUICKFIX, LiveResult, unavailable
from pyfixmsg_plus.bench.live.roundtrip import EXECUTION_REPORT, order_fields
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.transport.loop import run as run_loop

SCENARIO = "outbound blast"
OUR_ROW = "pyfixmsg-plus initiator, memory store"
#: orders handed to the engine in one loop iteration before waiting for them: they go out as one batch (one
#: store transaction, one write)
BURST = 500


def timeout_for(count: int) -> float:
    """Longest wait for ``count`` orders and their reports, seconds."""
    return 60.0 + count / 1_000


async def _send_all(engine: Any, count: int) -> None:
    """``count`` orders, ``BURST`` at a time: each burst handed over by plain calls (no coroutine or task per
    order), then awaited through its last pending future (frames are executed in MsgSeqNum order), and every
    future of the burst checked for an error."""
    for start in range(0, count, BURST):
        burst = range(start, min(count, start + BURST))
        sends = [engine.send_fields_nowait("D", order_fields(f"OB{i}")) for i in burst]
        pending = [future for future in sends if future is not None]
        if pending:
            await pending[-1]
        for future in pending:
            future.result()  # raises the error of a send that failed


async def _ours(count: int, scratch: Path, peers: PeerAvailability) -> LiveResult:
    from pyfixmsg_plus.engine import FixEngine

    with peers.peer("acceptor", sender_comp_id=QUICKFIX_SIDE, target_comp_id=OURS, heartbeat_s=HEARTBEAT_S) as qf:
        app = CountingApplication(EXECUTION_REPORT, count)
        async with await FixEngine.create(initiator_config(qf.port, MEMORY, scratch), app) as engine:
            if not await engine.wait_logged_on(30):
                raise RuntimeError(f"{SCENARIO}: our initiator did not log on to the peer on port {qf.port}")
            started = time.perf_counter()
            await asyncio.wait_for(_send_all(engine, count), timeout_for(count))
            await asyncio.wait_for(app.done.wait(), timeout_for(count))
            seconds = app.last_at - started
            await engine.request_logoff(timeout=10)
        await in_thread(qf.wait_for, "logout", timeout_s=10)
    summary = await in_thread(qf.stop)
    received = int((summary or {}).get("orders_received", 0))
    return LiveResult(SCENARIO, OUR_ROW, count + app.count, seconds,
                      details={"orders_received_by_peer": received, "reports_received": app.count})  # fmt: skip


def quickfix_outbound(count: int, peers: PeerAvailability) -> LiveResult:
    """QuickFIX initiator (``--orders N``) -> QuickFIX acceptor: the initiator's first-to-last figure."""
    with peers.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                    heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        sender = peers.peer("initiator", sender_comp_id=PEER_INITIATOR, target_comp_id=PEER_ACCEPTOR,
                            port=receiver.port, orders=count, heartbeat_s=HEARTBEAT_S,
                            work_timeout_s=timeout_for(count))  # fmt: skip
        try:
            sender.start()
            sender.wait(timeout_for(count))
        finally:
            sender.stop()
    summary = sender.summary or {}
    messages = int(summary.get("orders_sent", 0)) + int(summary.get("reports_received", 0))
    return LiveResult(SCENARIO, QUICKFIX, messages, float(summary.get("elapsed_s", 0.0)),
                      details={"orders_received_by_peer": (receiver.summary or {}).get("orders_received"),
                               "reports_received": summary.get("reports_received")})  # fmt: skip


def _binding_row(count: int, step: Callable[[str], None]) -> LiveResult:
    """The QuickFIX Python binding's row (unavailable, with the reason, without the binding)."""
    return qfpy_row(SCENARIO, lambda binding: qfpy_outbound(count, binding, SCENARIO), step)


def run_outbound(
    count: int = 20_000, on_step: Callable[[str], None] | None = None, use_uvloop: bool | None = None
) -> list[LiveResult]:
    """The QuickFIX C++ reference row, the QuickFIX Python binding's row, then our initiator (``count`` orders
    each). Our initiator needs the C++ acceptor: without it both those rows are unavailable, with the reason."""
    peers = find_peer()
    step = on_step or (lambda _: None)
    if not peers.available:
        return [unavailable(SCENARIO, QUICKFIX, peers.reason), _binding_row(count, step),
                unavailable(SCENARIO, OUR_ROW, peers.reason)]  # fmt: skip
    step(f"{SCENARIO}: {QUICKFIX}")
    results = [quickfix_outbound(count, peers), _binding_row(count, step)]
    step(f"{SCENARIO}: {OUR_ROW}")
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        results.append(run_loop(_ours(count, Path(scratch), peers), use_uvloop))
    return results
