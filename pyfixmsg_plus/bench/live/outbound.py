"""Outbound blast: the initiator sends N NewOrderSingle (35=D) as fast as it can to a QuickFIX acceptor, which
answers each with an ExecutionReport (35=8).

Figure: application messages both ways (N orders + N reports) per second, from the first order sent to the last
report received — the QuickFIX initiator's own summary (``messages_per_s``) counts the same way. Rows: QuickFIX C++
initiator -> QuickFIX C++ acceptor (the reference), the same between two QuickFIX Python binding processes
(:mod:`~pyfixmsg_plus.bench.live.qfpy_rows`), and our initiator -> the QuickFIX C++ acceptor.

Our row also keeps the CPU time its event-loop thread spent (``time.thread_time``) from the first order to the
last report: ``details["cpu_ns_per_message"]`` (over orders plus reports, the figure's messages) does not depend on
how much of a core the loop got, and ``details["loop_cpu_share"]`` is that CPU time over the blast's seconds.

``repeat`` > 1 runs every row that many times in interleaved rounds (:mod:`~pyfixmsg_plus.bench.live.repeat`), as
``bench inbound`` does: each row's figure is the median of its runs, the min, the max and every run's figures are
in its details, and the ratios are taken between medians.
"""

from __future__ import annotations

import asyncio
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
from pyfixmsg_plus.bench.live.inbound import loop_cpu_details
from pyfixmsg_plus.bench.live.qfpy_rows import planned_binding_row, qfpy_outbound
from pyfixmsg_plus.bench.live.repeat import combine_rounds
from pyfixmsg_plus.bench.live.results import QUICKFIX, LiveResult
from pyfixmsg_plus.bench.live.rounds import PlannedRow, no_step, planned_steps, run_planned_rounds, unmeasured_row
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
            # this coroutine runs on the loop thread: its CPU clock is the loop's
            cpu_started, started = time.thread_time(), time.perf_counter()
            await asyncio.wait_for(_send_all(engine, count), timeout_for(count))
            await asyncio.wait_for(app.done.wait(), timeout_for(count))
            # read on the wake-up after the last report: the loop's CPU up to it plus that one wake-up
            loop_cpu_seconds = time.thread_time() - cpu_started
            seconds = app.last_at - started
            await engine.request_logoff(timeout=10)
        await in_thread(qf.wait_for, "logout", timeout_s=10)
    summary = await in_thread(qf.stop)
    received = int((summary or {}).get("orders_received", 0))
    messages = count + app.count
    details = {"orders_received_by_peer": received, "reports_received": app.count}
    return LiveResult(SCENARIO, OUR_ROW, messages, seconds,
                      details=details | loop_cpu_details(loop_cpu_seconds, messages, seconds))  # fmt: skip


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


def outbound_plan(count: int, peers: PeerAvailability, use_uvloop: bool | None = None) -> list[PlannedRow]:
    """One round's rows in order: QuickFIX C++, the QuickFIX Python binding, our initiator (``count`` orders each).
    Our initiator needs the C++ acceptor: without it both those rows are unavailable, with the reason, and take no
    progress step."""
    binding = planned_binding_row(SCENARIO, lambda found, _: qfpy_outbound(count, found, SCENARIO))
    if not peers.available:
        return [unmeasured_row(SCENARIO, QUICKFIX, peers.reason), binding,
                unmeasured_row(SCENARIO, OUR_ROW, peers.reason)]  # fmt: skip

    def ours(scratch: Path) -> LiveResult:
        return run_loop(_ours(count, scratch, peers), use_uvloop)

    return [PlannedRow(f"{SCENARIO}: {QUICKFIX}", lambda _: quickfix_outbound(count, peers)), binding,
            PlannedRow(f"{SCENARIO}: {OUR_ROW}", ours)]  # fmt: skip


def outbound_steps(repeat: int = 1) -> int:
    """Progress steps :func:`run_outbound` advances with ``repeat`` on this machine (from its own plan)."""
    return planned_steps(lambda: outbound_plan(0, find_peer()), repeat)


def run_outbound(
    count: int = 20_000, on_step: Callable[[str], None] | None = None, use_uvloop: bool | None = None,
    repeat: int = 1,
) -> list[LiveResult]:  # fmt: skip
    """The QuickFIX C++ reference row, the QuickFIX Python binding's row, then our initiator (``count`` orders
    each), see :func:`outbound_plan`. ``repeat``: interleaved rounds, each running every row once in the same
    order; each row's figure is then the median of its runs with the lowest and highest (see
    :func:`~pyfixmsg_plus.bench.live.repeat.combine_runs`)."""
    if repeat < 1:
        raise ValueError(f"outbound repeat = {repeat}: must be at least 1 round")
    peers = find_peer()
    rounds = run_planned_rounds(repeat, lambda: outbound_plan(count, peers, use_uvloop), on_step or no_step)
    return combine_rounds(rounds)


__all__ = ["OUR_ROW", "SCENARIO", "outbound_plan", "outbound_steps", "quickfix_outbound", "run_outbound"]
