"""Round trip: NewOrderSingle (35=D) -> ExecutionReport (35=8), one order at a time, to a QuickFIX acceptor.

Each sample is the time from just before the order is handed to the initiator to the report's arrival, in
nanoseconds (``time.perf_counter_ns``; the peer uses the monotonic clock the same way). Rows: a QuickFIX C++
initiator (``--round-trip``), two QuickFIX Python binding processes (:mod:`~pyfixmsg_plus.bench.live.qfpy_rows`),
our initiator (with ``GcFreeze=Y``, thawed after its row), and a bare echo of canned bytes as the floor; numpy
computes the percentiles. Each row keeps its samples in ``samples_ns`` for the latency histogram of ``bench --plot``.

Our row also keeps the user plus system CPU time of its event-loop thread (``getrusage(RUSAGE_THREAD)``, Linux)
over the round trips: ``details["cpu_ns_per_round_trip"]`` (what one order out and its report in cost the loop,
whatever share of a core it got) and ``details["loop_cpu_share"]``, that CPU time over the round trips' wall time.

``repeat`` > 1 runs every row that many times in interleaved rounds of ``samples`` round trips each: each row's
p50, p99 and p99.9 are then the medians of its per-round percentiles, its max the largest of all rounds, the
ratios are taken between those medians, and ``samples_ns`` holds every round's samples (see
:func:`~pyfixmsg_plus.bench.live.repeat.combine_latency_runs`).
"""

from __future__ import annotations

import asyncio
import gc
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
from pyfixmsg_plus.bench.live.peer_floor import peer_floor
from pyfixmsg_plus.bench.live.qfpy_rows import planned_binding_row, qfpy_round_trip
from pyfixmsg_plus.bench.live.repeat import combine_rounds
from pyfixmsg_plus.bench.live.results import ECHO_FLOOR, PEER_FLOOR, QUICKFIX, LatencySummary, LiveResult
from pyfixmsg_plus.bench.live.rounds import PlannedRow, no_step, planned_steps, run_planned_rounds, unmeasured_row
from pyfixmsg_plus.bench.live.thread_cpu import ThreadCpuClock, ThreadCpuSpan
from pyfixmsg_plus.bench.peers import PeerAvailability, find_peer
from pyfixmsg_plus.testing.peer_process import free_port
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
                # this coroutine runs on the loop thread: the clock reads the loop's own CPU time
                clock = ThreadCpuClock.start()
                latencies = await asyncio.wait_for(_one_at_a_time(engine, app, samples), timeout)
                cpu = clock.stop()
                await engine.request_logoff(timeout=10)
        finally:
            gc.unfreeze()  # process-wide: the rows after this one run as before
        await in_thread(qf.wait_for, "logout", timeout_s=10)
    details = {"reports_received": app.count} | round_trip_cpu_details(cpu, samples)
    return LiveResult(SCENARIO, OUR_ROW, samples, float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies,
                      details=details)  # fmt: skip


def round_trip_cpu_details(cpu: ThreadCpuSpan | None, round_trips: int) -> dict[str, Any]:
    """Our loop thread's user plus system CPU over ``round_trips``: ``loop_cpu_seconds``,
    ``cpu_ns_per_round_trip`` (nanoseconds) and ``loop_cpu_share`` (CPU over wall seconds); empty where the
    thread's CPU time cannot be read (no ``RUSAGE_THREAD``) or nothing was timed."""
    if cpu is None or round_trips <= 0 or cpu.wall_seconds <= 0:
        return {}
    return {
        "loop_cpu_seconds": cpu.cpu_seconds,
        "cpu_ns_per_round_trip": cpu.cpu_seconds * 1e9 / round_trips,
        "loop_cpu_share": cpu.cpu_seconds / cpu.wall_seconds,
    }


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


def round_trip_plan(samples: int, peers: PeerAvailability, use_uvloop: bool | None = None) -> list[PlannedRow]:
    """One round's rows in order: QuickFIX C++, the QuickFIX Python binding, our initiator, the peer floor (canned
    frames to the same acceptor as ours), then the echo floor, ``samples`` round trips each. Our initiator and the
    peer floor need the C++ acceptor: without it those rows are unavailable, with the reason, and take no progress
    step; the echo floor needs nothing."""
    binding = planned_binding_row(SCENARIO, lambda found, scratch: qfpy_round_trip(samples, found, SCENARIO, scratch))
    floor = PlannedRow(f"{SCENARIO}: {ECHO_FLOOR}", lambda _: echo_floor(samples, free_port(), use_uvloop))
    if not peers.available:
        return [unmeasured_row(SCENARIO, QUICKFIX, peers.reason), binding,
                unmeasured_row(SCENARIO, OUR_ROW, peers.reason), unmeasured_row(SCENARIO, PEER_FLOOR, peers.reason),
                floor]  # fmt: skip

    def ours(scratch: Path) -> LiveResult:
        return run_loop(_ours(samples, scratch, peers), use_uvloop)

    def canned(_scratch: Path) -> LiveResult:
        return run_loop(peer_floor(samples, peers), use_uvloop)

    return [PlannedRow(f"{SCENARIO}: {QUICKFIX}", lambda scratch: quickfix_round_trip(samples, peers, scratch)),
            binding, PlannedRow(f"{SCENARIO}: {OUR_ROW}", ours), PlannedRow(f"{SCENARIO}: {PEER_FLOOR}", canned),
            floor]  # fmt: skip


def round_trip_steps(repeat: int = 1) -> int:
    """Progress steps :func:`run_round_trip` advances with ``repeat`` on this machine (from its own plan)."""
    return planned_steps(lambda: round_trip_plan(0, find_peer()), repeat)


def run_round_trip(
    samples: int = 10_000, on_step: Callable[[str], None] | None = None, use_uvloop: bool | None = None,
    repeat: int = 1,
) -> list[LiveResult]:  # fmt: skip
    """QuickFIX C++ reference, the QuickFIX Python binding, our initiator, then the echo floor; ``samples``
    round trips each (see :func:`round_trip_plan`). ``repeat``: interleaved rounds; each row's p50/p99/p99.9 are
    then the medians of its per-round percentiles and its max the largest (see
    :func:`~pyfixmsg_plus.bench.live.repeat.combine_latency_runs`)."""
    if repeat < 1:
        raise ValueError(f"roundtrip repeat = {repeat}: must be at least 1 round")
    peers = find_peer()
    rounds = run_planned_rounds(repeat, lambda: round_trip_plan(samples, peers, use_uvloop), on_step or no_step)
    return combine_rounds(rounds)


__all__ = [
    "EXECUTION_REPORT",
    "OUR_ROW",
    "SCENARIO",
    "echo_floor",
    "order_fields",
    "quickfix_round_trip",
    "round_trip_cpu_details",
    "round_trip_plan",
    "round_trip_steps",
    "run_round_trip",
]
