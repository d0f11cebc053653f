"""`bench outbound --repeat N` and `bench roundtrip --repeat N`: interleaved rounds, blast rows the medians of their
runs, round-trip rows the medians of their per-round percentiles (max the max, every sample kept for the plot);
our rows' loop CPU; and `bench all`'s progress bar, whose total must equal the steps that run
(pyfixmsg_plus.bench.live.repeat, .rounds, .outbound, .roundtrip, pyfixmsg_plus.cli.bench).

Fake row runners where the order and the arithmetic are the point; one tiny real run of each scenario for the CPU
figures (skipped without the QuickFIX C++ peer). No timing assertions."""

from __future__ import annotations

import argparse
import io
import json
import statistics
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from pyfixmsg_plus.bench.live import LIVE_SCENARIOS, inbound, outbound, qfpy_rows, roundtrip
from pyfixmsg_plus.bench.live.engines import InboundVariant
from pyfixmsg_plus.bench.live.outbound import run_outbound
from pyfixmsg_plus.bench.live.repeat import PERCENTILES_OF_ROUNDS, combine_latency_runs
from pyfixmsg_plus.bench.live.results import (
    ECHO_FLOOR,
    PEER_FLOOR,
    QUICKFIX,
    QUICKFIX_PYTHON,
    LatencySummary,
    LiveResult,
    ceiling_label,
    unavailable,
)
from pyfixmsg_plus.bench.live.roundtrip import round_trip_cpu_details, run_round_trip
from pyfixmsg_plus.bench.live.table import loop_cpu_cell, ratios, render_live_table
from pyfixmsg_plus.bench.live.thread_cpu import ThreadCpuClock, ThreadCpuSpan
from pyfixmsg_plus.cli import bench as cli_bench
from pyfixmsg_plus.cli.main import main

RT = roundtrip.SCENARIO
OB = outbound.SCENARIO


def latency_run(samples_us: list[float], implementation: str = roundtrip.OUR_ROW, **details: Any) -> LiveResult:
    """A measured round-trip run of the given latencies (microseconds)."""
    samples_ns = np.asarray([round(value * 1e3) for value in samples_us], dtype=np.int64)
    return LiveResult(RT, implementation, samples_ns.size, float(samples_ns.sum()) / 1e9,
                      latency=LatencySummary.from_nanoseconds(samples_ns), samples_ns=samples_ns,
                      details=dict(details))  # fmt: skip


def rate_run(rate: float, implementation: str, messages: int = 1_000, **details: Any) -> LiveResult:
    """A measured outbound run of ``messages`` at ``rate`` messages per second."""
    return LiveResult(OB, implementation, messages, messages / rate, details=dict(details))


# ------------------------------------------------------------------------------------------- round-trip rows


@settings(max_examples=40, deadline=None)
@given(rounds=st.lists(st.lists(st.floats(1.0, 5_000.0, allow_nan=False), min_size=1, max_size=40),
                       min_size=2, max_size=6))  # fmt: skip
def test_a_repeated_round_trip_row_is_the_median_of_its_per_round_percentiles(rounds: list[list[float]]) -> None:
    runs = [latency_run(samples) for samples in rounds]
    row = combine_latency_runs(runs)
    per_round = [run.latency for run in runs if run.latency is not None]
    latency = row.latency
    assert latency is not None
    assert latency.p50_us == pytest.approx(statistics.median(summary.p50_us for summary in per_round))
    assert latency.p99_us == pytest.approx(statistics.median(summary.p99_us for summary in per_round))
    assert latency.p999_us == pytest.approx(statistics.median(summary.p999_us for summary in per_round))
    assert latency.max_us == max(summary.max_us for summary in per_round)
    # every sample of every round is kept (the --plot histogram draws them all), in round order
    assert latency.samples == row.messages == sum(len(samples) for samples in rounds)
    assert row.samples_ns is not None
    assert row.samples_ns.tolist() == [value for run in runs if run.samples_ns is not None
                                       for value in run.samples_ns.tolist()]  # fmt: skip
    assert [run["p50_us"] for run in row.details["runs"]] == [summary.p50_us for summary in per_round]
    assert row.details["percentiles"] == PERCENTILES_OF_ROUNDS


def test_round_trip_cpu_figures_are_medians_and_failed_runs_are_named() -> None:
    runs = [
        latency_run([10.0, 20.0, 30.0], cpu_ns_per_round_trip=9_000.0, loop_cpu_share=0.4),
        unavailable(RT, roundtrip.OUR_ROW, "the peer did not log on"),
        latency_run([11.0, 21.0, 90.0], cpu_ns_per_round_trip=7_000.0, loop_cpu_share=0.5),
        latency_run([12.0, 22.0, 32.0], cpu_ns_per_round_trip=8_000.0, loop_cpu_share=0.6),
    ]
    row = combine_latency_runs(runs)
    assert (row.details["cpu_ns_per_round_trip"], row.details["loop_cpu_share"]) == pytest.approx((8_000.0, 0.5))
    assert [run["cpu_ns_per_round_trip"] for run in row.details["runs"]] == [9_000.0, 7_000.0, 8_000.0]
    assert row.details["failed_runs"] == ["the peer did not log on"]
    assert row.latency is not None and row.latency.max_us == pytest.approx(90.0)
    assert loop_cpu_cell(row) == "8,000 ns / round trip (50%)"
    # one run: as measured; never measured: unavailable with the reason
    assert combine_latency_runs(runs[:1]) is runs[0]
    assert combine_latency_runs([runs[1], runs[1]]).unavailable == "the peer did not log on"


def test_round_trip_cpu_details_are_per_round_trip_and_share_of_wall_time() -> None:
    details = round_trip_cpu_details(ThreadCpuSpan(cpu_seconds=0.02, wall_seconds=0.05), 1_000)
    assert details["cpu_ns_per_round_trip"] == pytest.approx(20_000.0)
    assert details["loop_cpu_share"] == pytest.approx(0.4)
    assert round_trip_cpu_details(None, 1_000) == {}
    assert round_trip_cpu_details(ThreadCpuSpan(0.02, 0.05), 0) == {}


def test_the_thread_cpu_clock_counts_work_on_this_thread() -> None:
    clock = ThreadCpuClock.start()
    total = sum(i * i for i in range(200_000))  # some CPU work of this thread
    span = clock.stop()
    assert total > 0
    assert span is not None and span.cpu_seconds > 0 and span.wall_seconds > 0


# ------------------------------------------------------------------------------------------- fake rows


def measured_binding_row(scenario: str, measure: object, step: object = None) -> LiveResult:
    """qfpy_row's stand-in: the binding's row as the (faked) find_binding says, never a real binding process."""
    found = qfpy_rows.find_binding()
    if not found.available:
        return unavailable(scenario, QUICKFIX_PYTHON, found.reason)
    if scenario == RT:
        return latency_run([500.0, 600.0, 700.0], QUICKFIX_PYTHON)
    return rate_run(1e4, QUICKFIX_PYTHON) if scenario == OB else LiveResult(scenario, QUICKFIX_PYTHON, 10, 1e-3)


@pytest.fixture
def fake_scenarios(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Every measurement of inbound, outbound and roundtrip replaced by fakes that note their calls (in order);
    ``setup(peer=..., binding=...)`` says whether the QuickFIX peer and the binding are there."""
    calls: list[str] = []
    rates = {QUICKFIX: iter([1e5, 3e5, 2e5]), outbound.OUR_ROW: iter([1.1e5, 2.5e5, 2.4e5])}
    latencies = {QUICKFIX: iter([[30.0, 40.0, 80.0], [20.0, 50.0, 60.0], [25.0, 45.0, 70.0]]),
                 roundtrip.OUR_ROW: iter([[40.0, 60.0, 90.0], [50.0, 70.0, 95.0], [45.0, 65.0, 99.0]]),
                 PEER_FLOOR: iter([[20.0, 26.0, 30.0], [21.0, 25.0, 33.0], [22.0, 26.0, 35.0]]),
                 ECHO_FLOOR: iter([[10.0, 12.0, 14.0], [11.0, 13.0, 15.0], [9.0, 12.0, 16.0]])}  # fmt: skip

    def fake_ours_inbound(count: int, variant: InboundVariant, scratch: Path) -> Any:
        async def run() -> LiveResult:
            calls.append(f"inbound: {variant.label}")
            persisted = {"rows_stored": count, "all_persisted": True} if variant.store.persists else {}
            return LiveResult(inbound.SCENARIO, f"ours, {variant.label}", count, 1e-3, details=persisted)

        return run()

    def fake_ours_outbound(count: int, scratch: Path, found: object) -> Any:
        async def run() -> LiveResult:
            calls.append(f"outbound: {outbound.OUR_ROW}")
            return rate_run(next(rates[outbound.OUR_ROW]), outbound.OUR_ROW, 2 * count, cpu_ns_per_message=5e3,
                            loop_cpu_share=0.9)  # fmt: skip

        return run()

    def fake_ours_round_trip(samples: int, scratch: Path, found: object) -> Any:
        async def run() -> LiveResult:
            calls.append(f"roundtrip: {roundtrip.OUR_ROW}")
            return latency_run(next(latencies[roundtrip.OUR_ROW]), cpu_ns_per_round_trip=2e4, loop_cpu_share=0.5)

        return run()

    def quickfix_outbound(count: int, found: object) -> LiveResult:
        calls.append(f"outbound: {QUICKFIX}")
        return rate_run(next(rates[QUICKFIX]), QUICKFIX, 2 * count)

    def quickfix_round_trip(samples: int, found: object, scratch: Path) -> LiveResult:
        calls.append(f"roundtrip: {QUICKFIX}")
        return latency_run(next(latencies[QUICKFIX]), QUICKFIX)

    async def peer_floor(samples: int, found: object) -> LiveResult:
        calls.append(f"roundtrip: {PEER_FLOOR}")
        return latency_run(next(latencies[PEER_FLOOR]), PEER_FLOOR)

    def echo_floor(samples: int, port: int, use_uvloop: object) -> LiveResult:
        calls.append(f"roundtrip: {ECHO_FLOOR}")
        return latency_run(next(latencies[ECHO_FLOOR]), ECHO_FLOOR)

    def setup(peer: bool = True, binding: bool = True) -> None:
        found = SimpleNamespace(available=peer, reason="" if peer else "peer harness not found (test)")
        for module in (inbound, outbound, roundtrip):
            monkeypatch.setattr(module, "find_peer", lambda: found)
        monkeypatch.setattr(
            qfpy_rows,
            "find_binding",
            lambda: SimpleNamespace(available=binding, reason="" if binding else "no binding (test)"),
        )

    monkeypatch.setattr(qfpy_rows, "qfpy_row", measured_binding_row)
    monkeypatch.setattr(inbound, "quickfix_inbound", lambda count, found: LiveResult(inbound.SCENARIO, QUICKFIX, 9, 1))
    monkeypatch.setattr(inbound, "_ours", fake_ours_inbound)
    monkeypatch.setattr(
        inbound,
        "sqlite_ceiling_row",
        lambda path, synchronous, into: LiveResult(inbound.SCENARIO, ceiling_label(2, "NORMAL"), 9, 1),
    )
    monkeypatch.setattr(outbound, "quickfix_outbound", quickfix_outbound)
    monkeypatch.setattr(outbound, "_ours", fake_ours_outbound)
    monkeypatch.setattr(roundtrip, "quickfix_round_trip", quickfix_round_trip)
    monkeypatch.setattr(roundtrip, "_ours", fake_ours_round_trip)
    monkeypatch.setattr(roundtrip, "echo_floor", echo_floor)
    monkeypatch.setattr(roundtrip, "peer_floor", peer_floor)
    setup()
    yield {"calls": calls, "setup": setup}


def test_outbound_rounds_are_interleaved_and_each_row_keeps_its_median(fake_scenarios: dict[str, Any]) -> None:
    steps: list[str] = []
    rows = run_outbound(100, on_step=steps.append, repeat=3)
    one_round = [f"outbound: {QUICKFIX}", f"outbound: {outbound.OUR_ROW}"]
    assert fake_scenarios["calls"] == one_round * 3  # round k runs every row once, always in the same order
    assert [row.implementation for row in rows] == [QUICKFIX, QUICKFIX_PYTHON, outbound.OUR_ROW]
    assert [row.messages_per_second for row in rows] == pytest.approx([2e5, 1e4, 2.4e5])
    ours = rows[2]
    assert (ours.details["min_per_s"], ours.details["max_per_s"]) == pytest.approx((1.1e5, 2.5e5))
    assert [run["messages_per_second"] for run in ours.details["runs"]] == pytest.approx([1.1e5, 2.5e5, 2.4e5])
    assert ours.details["cpu_ns_per_message"] == 5e3 and ours.details["loop_cpu_share"] == 0.9
    assert ratios(ours, rows)["vs_quickfix_cpp"] == pytest.approx(1.2)  # 2.4e5 over 2e5: medians
    assert steps == [f"round {k}/3: {OB}: {name}" for k in (1, 2, 3)
                     for name in (QUICKFIX, QUICKFIX_PYTHON, outbound.OUR_ROW)]  # fmt: skip
    assert len(steps) == outbound.outbound_steps(3)
    with pytest.raises(ValueError, match="outbound repeat = 0: must be at least 1 round"):
        run_outbound(100, repeat=0)


def test_round_trip_rounds_are_interleaved_and_percentiles_are_medians(fake_scenarios: dict[str, Any]) -> None:
    rows = run_round_trip(3, repeat=3)
    one_round = [f"roundtrip: {name}" for name in (QUICKFIX, roundtrip.OUR_ROW, PEER_FLOOR, ECHO_FLOOR)]
    assert fake_scenarios["calls"] == one_round * 3
    assert [row.implementation for row in rows] == [QUICKFIX, QUICKFIX_PYTHON, roundtrip.OUR_ROW, PEER_FLOOR,
                                                    ECHO_FLOOR]  # fmt: skip
    quickfix, binding, ours, peer, floor = (row.latency for row in rows)
    assert peer is not None and peer.p50_us == pytest.approx(26.0)  # p50s 26, 25, 26
    assert ratios(rows[2], rows)["vs_peer_floor"]["p50"] == pytest.approx(65.0 / 26.0)
    assert quickfix is not None and ours is not None and floor is not None and binding is not None
    assert quickfix.p50_us == pytest.approx(45.0) and quickfix.max_us == pytest.approx(80.0)  # p50s 40, 50, 45
    assert ours.p50_us == pytest.approx(65.0) and ours.max_us == pytest.approx(99.0)  # p50s 60, 70, 65
    assert ours.samples == 9 and binding.samples == 9  # the binding's fake row ran every round too
    assert ratios(rows[2], rows)["vs_quickfix_cpp"]["p50"] == pytest.approx(65.0 / 45.0)
    assert ratios(rows[2], rows)["vs_echo_floor"]["p50"] == pytest.approx(65.0 / 12.0)  # floor p50s 12, 13, 12
    console = Console(width=400, record=True)
    console.print(render_live_table(rows, "round trips"))
    text = console.export_text()
    assert "9 (3 runs)" in text and "20,000 ns / round trip (50%)" in text


def test_without_the_peer_our_rows_say_why_and_take_no_step(fake_scenarios: dict[str, Any]) -> None:
    fake_scenarios["setup"](peer=False, binding=False)
    steps: list[str] = []
    rows = run_round_trip(3, on_step=steps.append, repeat=2)
    assert [row.unavailable for row in rows] == ["peer harness not found (test)", "no binding (test)",
                                                 "peer harness not found (test)", "peer harness not found (test)",
                                                 ""]  # fmt: skip
    assert steps == [f"round {k}/2: {RT}: {ECHO_FLOOR}" for k in (1, 2)] and len(steps) == roundtrip.round_trip_steps(2)
    assert fake_scenarios["calls"] == [f"roundtrip: {ECHO_FLOOR}"] * 2
    assert [row.unavailable != "" for row in run_outbound(10, repeat=2)] == [True, True, True]


# ------------------------------------------------------------------------------------------- the command


def run_bench(*argv: str) -> list[dict[str, Any]]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["bench", *argv, "--json"]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_bench_outbound_and_roundtrip_repeat_and_their_json_carries_every_run(fake_scenarios: dict[str, Any]) -> None:
    rows = run_bench("outbound", "--count", "10", "--repeat", "3")
    ours = rows[2]
    assert [run["messages_per_second"] for run in ours["details"]["runs"]] == pytest.approx([1.1e5, 2.5e5, 2.4e5])
    assert ours["messages_per_second"] == pytest.approx(2.4e5)
    assert ours["ratios"]["vs_quickfix_cpp"] == pytest.approx(1.2)
    rows = run_bench("roundtrip", "--samples", "3", "--repeat", "3")
    ours = rows[2]
    assert [run["p50_us"] for run in ours["details"]["runs"]] == pytest.approx([60.0, 70.0, 65.0])
    assert ours["latency"]["p50_us"] == pytest.approx(65.0) and ours["latency"]["samples"] == 9
    assert ours["details"]["percentiles"] == PERCENTILES_OF_ROUNDS
    assert ours["ratios"]["vs_quickfix_cpp"]["p50"] == pytest.approx(65.0 / 45.0)


class RecordingProgress:
    """rich's Progress as run_live_scenarios uses it, noting the total it was given and the steps advanced."""

    last: RecordingProgress | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.total: float | None = None
        self.advanced = 0
        self.descriptions: list[str] = []
        RecordingProgress.last = self

    def __enter__(self) -> RecordingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        self.total = total
        return 0

    def update(self, task: int, description: str = "") -> None:
        self.descriptions.append(description)

    def advance(self, task: int, advance: float = 1) -> None:
        self.advanced += int(advance)


@pytest.mark.parametrize("repeat", [1, 2])
@pytest.mark.parametrize("peer", [True, False], ids=["with-peers", "without-peers"])
def test_the_progress_total_of_bench_all_equals_the_steps_that_run(
    fake_scenarios: dict[str, Any], monkeypatch: pytest.MonkeyPatch, repeat: int, peer: bool
) -> None:
    fake_scenarios["setup"](peer=peer, binding=peer)
    monkeypatch.setattr(cli_bench, "Progress", RecordingProgress)
    args = argparse.Namespace(count=10, samples=3, repeat=repeat, json=True)
    results = cli_bench.run_live_scenarios(list(cli_bench.LIVE), args, Console(file=io.StringIO()))
    progress = RecordingProgress.last
    assert progress is not None and progress.total == progress.advanced
    # with the peers: inbound QuickFIX C++, the binding, 5 stores of ours, the ceiling; roundtrip 5 (with the peer
    # floor); outbound 3; without: inbound our 5 stores and the ceiling; roundtrip the echo floor; outbound none
    assert progress.advanced == repeat * ((8 + 5 + 3) if peer else (6 + 1 + 0))
    assert progress.descriptions[0] == (f"round 1/2: {inbound.SCENARIO}" if repeat == 2 else inbound.SCENARIO) + (
        f": {QUICKFIX}" if peer else ": our acceptor, memory store")  # fmt: skip
    assert {row.scenario for row in results} == {inbound.SCENARIO, RT, OB}


def test_bench_all_passes_the_repeat_to_every_live_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    given: dict[str, int] = {}

    def recorder(name: str) -> Any:
        def run(size: int, on_step: Any, repeat: int) -> list[LiveResult]:
            given[name] = repeat
            return []

        return run

    for name in cli_bench.LIVE:
        monkeypatch.setitem(LIVE_SCENARIOS, name, recorder(name))
    monkeypatch.setattr(cli_bench, "run_wire_scenario", lambda args, console: [])
    run_bench("all", "--count", "10", "--samples", "3", "--repeat", "2")
    assert given == {"inbound": 2, "roundtrip": 2, "outbound": 2}


# ------------------------------------------------------------------------------------------- tiny real runs


def test_a_real_repeated_outbound_blast_measures_our_loop_cpu(quickfix_peer: object, no_binding: Path) -> None:
    rows = run_outbound(200, repeat=2)
    assert [row.implementation for row in rows] == [QUICKFIX, QUICKFIX_PYTHON, outbound.OUR_ROW]
    assert "cpu_ns_per_message" not in rows[0].details
    ours = rows[2]
    assert [run["messages"] for run in ours.details["runs"]] == [400, 400]  # 200 orders out, 200 reports back
    assert all(run["cpu_ns_per_message"] > 0 and run["loop_cpu_share"] > 0 for run in ours.details["runs"])
    assert ours.details["min_per_s"] <= ours.messages_per_second <= ours.details["max_per_s"]


def test_a_real_repeated_round_trip_keeps_every_sample_and_our_loop_cpu(quickfix_peer: object,
                                                                        no_binding: Path) -> None:  # fmt: skip
    rows = run_round_trip(20, repeat=2)
    measured = [row for row in rows if not row.unavailable]
    assert [row.implementation for row in measured] == [QUICKFIX, roundtrip.OUR_ROW, PEER_FLOOR, ECHO_FLOOR]
    for row in measured:
        assert row.latency is not None and row.latency.samples == 40
        assert row.samples_ns is not None and row.samples_ns.size == 40
        assert len(row.details["runs"]) == 2
        assert row.latency.max_us == max(run["max_us"] for run in row.details["runs"])
    ours = measured[1].details
    assert ours["cpu_ns_per_round_trip"] > 0 and all(run["reports_received"] == 20 for run in ours["runs"])
