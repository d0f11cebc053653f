"""Live-session benchmarks over loopback TCP, each beside the same scenario between two QuickFIX C++ peers.

* :func:`run_inbound`: a pre-encoded blaster process (:mod:`pyfixmsg_plus.bench.live.blaster`) sends
  MarketDataIncrementalRefresh to our acceptor (memory, aiosqlite write_behind, aiosqlite group; fromApp and
  onBatch rows) and to a QuickFIX acceptor, plus the raw batched SQLite ceiling of the same frames;
* :func:`~pyfixmsg_plus.bench.live.scale.run_scale` and :func:`~pyfixmsg_plus.bench.live.recovery.run_recovery`
  (``bench scale`` / ``bench recovery``): 100/500 sessions held with heartbeats, and 100k stored messages resent;
* :func:`run_round_trip`: NewOrderSingle -> ExecutionReport one at a time, percentiles, plus a bare echo floor;
* :func:`run_outbound`: our initiator blasts NewOrderSingle to the peer acceptor.

Every function returns :class:`LiveResult` rows, the QuickFIX<->QuickFIX row first; without the peer (see
:mod:`pyfixmsg_plus.bench.peers`) its rows carry the reason in ``unavailable``.
"""

from __future__ import annotations

from collections.abc import Callable

from pyfixmsg_plus.bench.live.inbound import inbound_steps, run_inbound
from pyfixmsg_plus.bench.live.outbound import outbound_steps, run_outbound
from pyfixmsg_plus.bench.live.results import (
    ECHO_FLOOR,
    QUICKFIX,
    QUICKFIX_PYTHON,
    LatencySummary,
    LiveResult,
    reference_row,
)
from pyfixmsg_plus.bench.live.roundtrip import round_trip_steps, run_round_trip

#: scenario name on the command line -> runner(count or samples, on_step=, repeat=) (in the order `all` runs them)
LIVE_SCENARIOS: dict[str, Callable[..., list[LiveResult]]] = {
    "inbound": run_inbound,
    "roundtrip": run_round_trip,
    "outbound": run_outbound,
}
#: scenario name -> progress steps its runner advances with ``repeat`` rounds on this machine, counted from the
#: same round plan the runner runs
LIVE_STEPS: dict[str, Callable[[int], int]] = {
    "inbound": inbound_steps,
    "roundtrip": round_trip_steps,
    "outbound": outbound_steps,
}

__all__ = [
    "ECHO_FLOOR",
    "LIVE_SCENARIOS",
    "LIVE_STEPS",
    "QUICKFIX",
    "QUICKFIX_PYTHON",
    "LatencySummary",
    "LiveResult",
    "reference_row",
    "run_inbound",
    "run_outbound",
    "run_round_trip",
]
