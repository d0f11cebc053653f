"""The QuickFIX Python binding's rows of the live scenarios, beside the QuickFIX C++ ones and measured the same way.

Each row runs two binding processes (``qfpy_peer.py``, see :mod:`~pyfixmsg_plus.bench.live.qfpy_harness`) or the
blaster and one, CompIDs QFA/QFI, with a Python ``fromApp`` per application message as a user of the binding
writes it:

* inbound blast: the blaster -> the binding's acceptor, which counts every MarketDataIncrementalRefresh (35=X);
  figure: refreshes counted over the blaster's first write to its receipt of the Logout answer (the C++ row's);
* outbound blast: the binding's initiator sends N NewOrderSingle (35=D) as fast as ``sendToTarget`` goes to the
  binding's acceptor, which answers each with an ExecutionReport (35=8) from ``fromApp``; figure: orders plus
  reports over the initiator's first order to last report (the C++ row's);
* round trip: the binding's initiator sends one order, waits (``threading.Event``) for its report, and so on;
  samples from just before ``sendToTarget`` to the report's ``fromApp``, nanoseconds.

Without the binding (see :func:`~pyfixmsg_plus.bench.live.qfpy_harness.find_binding`) each row is unavailable,
with the reason; a run that fails is too, with the error: never an exception out of the benchmark.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from pyfixmsg_plus.bench.live.blaster import start_blaster
from pyfixmsg_plus.bench.live.engines import HEARTBEAT_S, PEER_ACCEPTOR, PEER_INITIATOR
from pyfixmsg_plus.bench.live.qfpy_harness import BindingAvailability, PeerError, find_binding
from pyfixmsg_plus.bench.live.results import QUICKFIX_PYTHON, LatencySummary, LiveResult, unavailable
from pyfixmsg_plus.bench.live.rounds import PlannedRow


def _timeouts(count: int, per_second: float) -> float:
    """Longest wait for ``count`` messages at no less than ``per_second`` (the binding is slow), seconds."""
    return 60.0 + count / per_second


def qfpy_inbound(count: int, binding: BindingAvailability, scenario: str) -> LiveResult:
    """The blaster -> the binding's acceptor (QFA, serving QFI): ``count`` refreshes, the C++ row's figure."""
    timeout = _timeouts(count, 1_000)
    with binding.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                      heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        blast = start_blaster(receiver.port, PEER_INITIATOR, PEER_ACCEPTOR, count, HEARTBEAT_S).wait(timeout)
        receiver.wait_for("logout", timeout_s=30)
    summary = receiver.summary or {}
    seconds = blast.blast_seconds or 0.0
    details = {"peer_md_sent": blast.sent, "sender_write_seconds": blast.write_seconds,
               "receiver_first_to_last_s": float(summary.get("elapsed_s", 0.0)),
               "binding": binding.version}  # fmt: skip
    return LiveResult(scenario, QUICKFIX_PYTHON, int(summary.get("md_received", 0)), seconds, details=details)


def qfpy_outbound(count: int, binding: BindingAvailability, scenario: str) -> LiveResult:
    """The binding's initiator (``orders=count``) -> the binding's acceptor: orders plus reports per second."""
    timeout = _timeouts(count, 200)
    with binding.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                      heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        sender = binding.peer("initiator", sender_comp_id=PEER_INITIATOR, target_comp_id=PEER_ACCEPTOR,
                              port=receiver.port, orders=count, heartbeat_s=HEARTBEAT_S,
                              work_timeout_s=timeout)  # fmt: skip
        try:
            sender.start()
            sender.wait(timeout)
        finally:
            sender.stop()
    summary = sender.summary or {}
    messages = int(summary.get("orders_sent", 0)) + int(summary.get("reports_received", 0))
    details = {"orders_received_by_peer": (receiver.summary or {}).get("orders_received"),
               "reports_received": summary.get("reports_received"), "binding": binding.version}  # fmt: skip
    return LiveResult(scenario, QUICKFIX_PYTHON, messages, float(summary.get("elapsed_s", 0.0)), details=details)


def qfpy_round_trip(samples: int, binding: BindingAvailability, scenario: str, scratch: Path) -> LiveResult:
    """The binding's initiator (``round_trip``) -> the binding's acceptor; latencies from the peer's file."""
    latency_file = scratch / "qfpy-latency.txt"
    timeout = _timeouts(samples, 100)
    with binding.peer("acceptor", sender_comp_id=PEER_ACCEPTOR, target_comp_id=PEER_INITIATOR,
                      heartbeat_s=HEARTBEAT_S) as receiver:  # fmt: skip
        sender = binding.peer("initiator", sender_comp_id=PEER_INITIATOR, target_comp_id=PEER_ACCEPTOR,
                              port=receiver.port, orders=samples, round_trip=True, latency_file=latency_file,
                              heartbeat_s=HEARTBEAT_S, work_timeout_s=timeout)  # fmt: skip
        try:
            sender.start()
            sender.wait(timeout)
        finally:
            sender.stop()
    latencies = np.loadtxt(latency_file, dtype=np.int64, ndmin=1)
    summary = sender.summary or {}
    return LiveResult(scenario, QUICKFIX_PYTHON, int(latencies.size), float(latencies.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(latencies), samples_ns=latencies,
                      details={"reports_received": summary.get("reports_received"),
                               "binding": binding.version})  # fmt: skip


def qfpy_row(scenario: str, measure: Callable[[BindingAvailability], LiveResult],
             on_step: Callable[[str], None] | None = None) -> LiveResult:  # fmt: skip
    """``measure(binding)`` when the binding is there, else an unavailable row naming why; a run that fails
    (the peer did not start, log on or finish in time) is an unavailable row naming the error."""
    binding = find_binding()
    if not binding.available:
        return unavailable(scenario, QUICKFIX_PYTHON, binding.reason)
    if on_step is not None:
        on_step(f"{scenario}: {QUICKFIX_PYTHON}")
    try:
        return measure(binding)
    except (PeerError, RuntimeError, OSError, ValueError) as exc:
        return unavailable(scenario, QUICKFIX_PYTHON, f"the run failed: {exc}".splitlines()[0])


def planned_binding_row(scenario: str, measure: Callable[[BindingAvailability, Path], LiveResult]) -> PlannedRow:
    """The binding's row in a round's plan: a progress step only where the binding is installed (the same
    :func:`find_binding` answer :func:`qfpy_row` acts on), measured by ``measure(binding, scratch)``."""
    step = f"{scenario}: {QUICKFIX_PYTHON}" if find_binding().available else None
    return PlannedRow(step, lambda scratch: qfpy_row(scenario, lambda binding: measure(binding, scratch)))


__all__ = ["planned_binding_row", "qfpy_inbound", "qfpy_outbound", "qfpy_round_trip", "qfpy_row"]
