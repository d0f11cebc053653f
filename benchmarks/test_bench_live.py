"""Live sessions over loopback beside QuickFIX C++ (``pytest benchmarks/test_bench_live.py --benchmark-only``).

Each scenario runs once per benchmark (a live run is seconds long and not repeatable in a loop); its rows, ours and
QuickFIX<->QuickFIX's, go into ``extra_info`` (``--benchmark-json`` keeps them). BENCH_COUNT sets the messages per
blast, BENCH_SAMPLES the round trips. ``pyfixmsg-plus bench all`` prints the same figures as a table with ratios.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from pyfixmsg_plus.bench.live import LIVE_SCENARIOS
from pyfixmsg_plus.bench.peers import find_peer

COUNT = int(os.environ.get("BENCH_COUNT", "10000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "5000"))


@pytest.mark.parametrize("scenario", list(LIVE_SCENARIOS))
def test_live(benchmark: Any, scenario: str) -> None:
    peer = find_peer()
    if not peer.available:
        pytest.skip(f"QuickFIX C++ peer unavailable: {peer.reason}")
    size = SAMPLES if scenario == "roundtrip" else COUNT
    benchmark.group = "live sessions"
    rows = benchmark.pedantic(LIVE_SCENARIOS[scenario], args=(size,), rounds=1, iterations=1)
    benchmark.extra_info["rows"] = [row.as_json() for row in rows]
    assert not [row.unavailable for row in rows if row.unavailable]
