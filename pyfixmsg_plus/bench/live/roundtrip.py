"""Round trip: NewOrderSingle (35=D) -> ExecutionReport (35=8), one order at a time, to a QuickFIX acceptor.

Each sample is the time from just before the order is handed to the initiator to the report's arrival, in
nanoseconds (``time.perf_counter_ns``; the peer uses the monotonic clock the same way). Rows: a QuickFIX C++
initiator (``--round-trip``), two QuickFIX Python binding processes (:mod:`~pyfixmsg_plus.bench.live.qfpy_rows`),
our initiator (with ``GcFreeze=Y``, thawed after its row), and a bare echo of canned bytes as the floor; numpy
computes the percentiles. Each row keeps its samples in ``samples_ns`` for the latency histogram of ``bench --plot``.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pyfixmsg_plus.bench.live.echo import measure_echo
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
from pyfixmsg_plus.bench.live.qfpy_rows import qfpy_round_trip, qfpy_row
from pyfixmsg_plus.bench.live.results import ECHO_FLOOR, QUICKFIX, LatencySummary, LiveResult, unavailable
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.transport.loop import run as run_loop

SCENARIO = "round trip D->8"
OUR_ROW = "pyfixmsg-plus initiator, memory store, GcFreeze=Y"
EXECUTION_REPORT = "8"


def order_fields(clordid: str) -> list[tuple[int, Any]]:
    """A limit NewOrderSingle's body in wire order: buy 100 EUR/USD at 1.085 (the fields the peer requires)."""
    return [(11, clordid), (21, "1"), (38, 100), (40, "2"), (44, "1.085"), (54, "1"), (55, "EUR/USD"),
            (60, "20240603-12:00:00")]  # fmt: skip


class _ReportWaiter(CountingApplication):
    """Counts ExecutionReports and resolves ``waiter`` at each one."""

    def __init__(self, expected: int) -> None:
        super().__init__(EXECUTION_REPORT, expected)
        self.waiter: asyncio.Future[None] | None = None
        self.on_message = self._resolve

    def _resolve(self, _message: Any) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(None)


async def _ours(samples: int, scratch: Path, peers: PeerAvailability) -> LiveResult:
    from pyfixmsg_plus.engine import FixEngine

    timeout = 60.0 + samples / 500
    with peers.peer("acceptor", sender_comp_id=QUICKFIX_SIDE, target_comp_id=OURS, heartbeat_s=HEARTBEAT_S) as qf:
        app = _ReportWaiter(samples)
        config = initiator_config(qf.port, MEMORY, scratch)
        # the setting a latency-sensitive handler uses: full collections skip what the process holds at start
        # (and, in `bench all`, what the rows before this one left), a pause of 13-50 ms otherwise
        config.set("DEFAULT", "GcFreeze", True)
        try:
            async with await FixEngine.create(config, app) as engine:
                if not await engine.wait_logged_on(30):
                    raise RuntimeError(f"{SCENARIO}: our initiator did not log on to the peer on port {qf.port}")
                latencies = await asyncio.wait_for(_one_at_a_time(engine, app, samples), timeout)
                await engine.request_logoff(timeout=10)
        finally:
            gc.unfreeze()  # process-wide: the rows after this one run as before
        await in_thread(qf.wait_for, "logout", timeout_s=10)
    return LiveResult(SCENARIO, OUR_ROW, samples, float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies,
                      details={"reports_received": app.count})  # fmt: skip


async def _one_at_a_time(engine: Any, app: _ReportWaiter, samples: int) -> np.ndarray:
    """Round trips one order at a time, in nanoseconds each. Orders go out with ``send_fields_nowait``, the
    documented API for latency-sensitive senders (a plain call: the frame is stored and written before it
    returns, or a future says when it is); awaiting the ``send_fields`` coroutine instead adds its own step."""
    loop = asyncio.get_running_loop()
    send = engine.send_fields_nowait
    latencies = np.empty(samples, dtype=np.int64)
    for i in range(samples):
        app.waiter = loop.create_future()
        fields = order_fields(f"RT{i}")
        started = time.perf_counter_ns()
        pending = send("D", fields)
        if pending is not None:  # the store had to wait: the order is out once it resolves
            await pending
        await app.waiter
        latencies[i] = time.perf_counter_ns() - started
    return latencies


def quickfix_round_trip(samples: int, peers: PeerAvailability, scratch: Path) -> LiveResult:
    """QuickFIX initiator (``--round-trip``) -> QuickFIX acceptor; latencies from the peer's latency file."""
    latency_file = scratch / "qf-latency.txt"
    with peers.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                    heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        sender = peers.peer("initiator", sender_comp_id=PEER_INITIATOR, target_comp_id=PEER_ACCEPTOR,
                            port=receiver.port, orders=samples, round_trip=True, latency_file=latency_file,
                            heartbeat_s=HEARTBEAT_S, work_timeout_s=60.0 + samples / 500)  # fmt: skip
        try:
            sender.start()
            sender.wait(60.0 + samples / 500)
        finally:
            sender.stop()
    latencies = np.loadtxt(latency_file, dtype=np.int64, ndmin=1)
    summary = sender.summary or {}
    return LiveResult(SCENARIO, QUICKFIX, int(latencies.size), float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies,
                      details={"reports_received": summary.get("reports_received")})  # fmt: skip


def echo_floor(samples: int, port: int, use_uvloop: bool | None) -> LiveResult:
    """The bare echo of canned bytes, as many samples."""
    latencies = measure_echo(samples, port, use_uvloop=use_uvloop)
    return LiveResult(SCENARIO, ECHO_FLOOR, samples, float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies)  # fmt: skip


def _binding_row(samples: int, step: Callable[[str], None]) -> LiveResult:
    """The QuickFIX Python binding's row (unavailable, with the reason, without the binding)."""
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        return qfpy_row(SCENARIO, lambda binding: qfpy_round_trip(samples, binding, SCENARIO, Path(scratch)), step)


def run_round_trip(
    samples: int = 10_000, on_step: Callable[[str], None] | None = None, use_uvloop: bool | None = None
) -> list[LiveResult]:
    """QuickFIX C++ reference, the QuickFIX Python binding, our initiator, then the echo floor; ``samples``
    round trips each."""
    peers = find_peer()
    step = on_step or (lambda _: None)
    if not peers.available:
        results = [unavailable(SCENARIO, QUICKFIX, peers.reason), _binding_row(samples, step),
                   unavailable(SCENARIO, OUR_ROW, peers.reason)]  # fmt: skip
        step(f"{SCENARIO}: {ECHO_FLOOR}")
        return [*results, echo_floor(samples, _free_port(), use_uvloop)]
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        step(f"{SCENARIO}: {QUICKFIX}")
        results = [quickfix_round_trip(samples, peers, Path(scratch)), _binding_row(samples, step)]
        step(f"{SCENARIO}: {OUR_ROW}")
        results.append(run_loop(_ours(samples, Path(scratch), peers), use_uvloop))
    step(f"{SCENARIO}: {ECHO_FLOOR}")
    results.append(echo_floor(samples, peers.free_port(), use_uvloop))
    return results


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
