"""CI smoke test of the live benchmarks: every scenario once on a tiny N against the QuickFIX C++ peer.

No timing assertions: each run must deliver exactly the messages it promised (counted on both sides) and report
consistent figures. Skipped, with the reason, where the peer cannot be built (run scripts/install_quickfix.sh).
Every scenario also has a QuickFIX Python binding row: measured where the binding is installed, else unavailable
with the reason (its own checks are in test_bench_qfpy.py).
"""

from __future__ import annotations

import gc
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from rich.console import Console

from pyfixmsg_plus.bench import peers
from pyfixmsg_plus.bench.live import ECHO_FLOOR, QUICKFIX, LatencySummary, LiveResult, run_inbound, run_round_trip
from pyfixmsg_plus.bench.live.engines import INBOUND_STORES
from pyfixmsg_plus.bench.live.outbound import run_outbound
from pyfixmsg_plus.bench.live.qfpy_harness import PYTHON_ENV, find_binding
from pyfixmsg_plus.bench.live.results import PEER_FLOOR, QUICKFIX_PYTHON, ceiling_label
from pyfixmsg_plus.bench.live.table import render_live_table
from pyfixmsg_plus.bench.sqlite_ceiling import CEILING_BATCH, CEILING_METHODS
from pyfixmsg_plus.cli.main import main

BLAST = 300
SAMPLES = 50


def measured(rows: list[LiveResult]) -> list[LiveResult]:
    """``rows``, checked to be measured; the QuickFIX Python row only where the binding is installed (else it
    must carry the reason), and then left out."""
    binding = find_binding()
    for row in rows:
        if row.implementation == QUICKFIX_PYTHON and not binding.available:
            assert row.unavailable == binding.reason
        else:
            assert not row.unavailable, row
    return [row for row in rows if not row.unavailable]


def expected(*implementations: str) -> list[str]:
    """``implementations`` as ``measured`` keeps them: without the binding its row is not among them."""
    return [name for name in implementations if name != QUICKFIX_PYTHON or find_binding().available]


def test_inbound_blast_delivers_every_refresh_with_each_store(quickfix_peer: peers.PeerAvailability) -> None:
    rows = measured(run_inbound(BLAST))
    assert [row.implementation for row in rows[:-1]] == expected(QUICKFIX, QUICKFIX_PYTHON) + [
        f"pyfixmsg-plus acceptor, {store.label}" for store in INBOUND_STORES
    ]
    # the ceiling keeps the faster way of writing of this run, and its label says which
    assert rows[-1].implementation == ceiling_label(CEILING_BATCH, "NORMAL", rows[-1].details["method"])
    assert rows[-1].details["method"] in CEILING_METHODS
    for row in rows[:-1]:
        # every MarketDataIncrementalRefresh the peer sent reached the application, none twice
        assert (row.messages, row.details["peer_md_sent"]) == (BLAST, BLAST), row
    assert rows[-1].messages == BLAST  # the ceiling inserted as many rows as a store row kept
    for row in rows:
        assert row.seconds > 0 and row.messages_per_second > 0


def test_round_trip_times_every_order_and_the_echo_floor(quickfix_peer: peers.PeerAvailability) -> None:
    rows = measured(run_round_trip(SAMPLES))
    assert [row.implementation for row in rows] == expected(
        QUICKFIX, QUICKFIX_PYTHON, "pyfixmsg-plus initiator, memory store, GcFreeze=Y", PEER_FLOOR, ECHO_FLOOR
    )
    assert gc.get_freeze_count() == 0  # our row froze the process's objects and thawed them after it
    for row in rows:
        latency = row.latency
        assert latency is not None and latency.samples == SAMPLES
        assert 0 < latency.p50_us <= latency.p99_us <= latency.p999_us <= latency.max_us
    # every row with a FIX peer counted its reports (the floors count nothing but their own round trips)
    assert {row.details["reports_received"] for row in rows if "reports_received" in row.details} == {SAMPLES}
    assert sum("reports_received" in row.details for row in rows) == len(rows) - 2


def test_bench_outbound_command_prints_one_json_row_per_implementation(
    quickfix_peer: peers.PeerAvailability,
) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["bench", "outbound", "--count", str(BLAST), "--json"]) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(row["kind"], row["implementation"]) for row in rows] == [
        ("live", QUICKFIX),
        ("live", QUICKFIX_PYTHON),
        ("live", "pyfixmsg-plus initiator, memory store"),
    ]
    ours = rows[-1]
    assert ours["ratios"]["vs_quickfix_cpp"] == pytest.approx(
        ours["messages_per_second"] / rows[0]["messages_per_second"]
    )
    rows = [row for row in rows if not (row["implementation"] == QUICKFIX_PYTHON and row["unavailable"])]
    for row in rows:
        # BLAST orders out, BLAST ExecutionReports back
        assert row["messages"] == 2 * BLAST
        assert row["details"]["orders_received_by_peer"] == BLAST
        assert row["details"]["reports_received"] == BLAST
        assert row["messages_per_second"] > 0


def test_without_the_harness_the_peer_rows_say_why(no_peer: Path, no_binding: Path) -> None:
    rows = run_outbound(10)
    assert [row.implementation for row in rows] == [QUICKFIX, QUICKFIX_PYTHON, "pyfixmsg-plus initiator, memory store"]
    for row in rows:
        if row.implementation == QUICKFIX_PYTHON:
            assert str(no_binding) in row.unavailable and PYTHON_ENV in row.unavailable
        else:
            assert str(no_peer) in row.unavailable and peers.HARNESS_ENV in row.unavailable
        assert row.messages == 0
    console = Console(width=400, record=True)
    console.print(render_live_table(rows, "no peer"))
    text = console.export_text()
    assert "unavailable: peer harness not found" in text
    assert "unavailable: cannot run" in text
    assert "vs QuickFIX Python" not in text  # no measured binding row: no column of its ratios


def test_latency_summary_percentiles_are_in_microseconds() -> None:
    summary = LatencySummary.from_nanoseconds(list(range(1_000, 1_001_000, 1_000)))  # 1 µs .. 1000 µs
    assert summary.samples == 1000
    assert summary.p50_us == pytest.approx(500.5)
    assert summary.p99_us == pytest.approx(990.01)
    assert summary.max_us == 1000.0
    with pytest.raises(ValueError, match="latency samples"):
        LatencySummary.from_nanoseconds([])


def test_table_ratios_compare_with_the_quickfix_row_of_the_same_scenario() -> None:
    fast = LatencySummary(10, 20.0, 40.0, 50.0, 60.0)
    rows = [
        LiveResult("inbound blast", QUICKFIX, messages=1000, seconds=1.0),
        LiveResult("inbound blast", "ours", messages=1500, seconds=1.0),
        LiveResult("round trip D->8", QUICKFIX, messages=10, seconds=0.1, latency=fast),
        LiveResult("round trip D->8", "ours", messages=10, seconds=0.1,
                   latency=LatencySummary(10, 30.0, 100.0, 120.0, 130.0)),
    ]  # fmt: skip
    console = Console(width=400, record=True)
    console.print(render_live_table(rows, "ratios"))
    text = console.export_text()
    assert "1.50x" in text  # 1500/s against 1000/s
    assert "p50 1.50x / p99 2.50x" in text  # 30 µs against 20 µs, 100 µs against 40 µs
