"""`bench inbound --repeat N`: interleaved rounds, each row's figure the median of its runs with the min, the max
and every run in its details; and our acceptor's event-loop CPU per message (pyfixmsg_plus.bench.live.repeat,
.inbound, .table, pyfixmsg_plus.cli.bench). Fake row runners where the order and the arithmetic are the point; one
tiny real blast for the CPU figures. No timing assertions."""

from __future__ import annotations

import io
import json
import statistics
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from pyfixmsg_plus.bench.live import LIVE_SCENARIOS, inbound, qfpy_rows
from pyfixmsg_plus.bench.live.engines import MEMORY, InboundVariant
from pyfixmsg_plus.bench.live.inbound import loop_cpu_details, run_inbound
from pyfixmsg_plus.bench.live.repeat import combine_rounds, combine_runs, run_interleaved, run_spread
from pyfixmsg_plus.bench.live.results import QUICKFIX, QUICKFIX_PYTHON, LiveResult, ceiling_label
from pyfixmsg_plus.bench.live.table import LOOP_CPU_COLUMN, loop_cpu_cell, rate_cell, ratios, render_live_table
from pyfixmsg_plus.cli.main import main

SCENARIO = "inbound blast"
OURS = "pyfixmsg-plus acceptor, memory store"
BLAST = 200


def run_at(rate: float, implementation: str = OURS, messages: int = 1_000, **details: Any) -> LiveResult:
    """A measured run of ``messages`` at ``rate`` messages per second."""
    return LiveResult(SCENARIO, implementation, messages, messages / rate, details=dict(details))


# ------------------------------------------------------------------------------------------- combining runs


def test_rounds_run_one_after_the_other_and_a_bad_count_is_refused() -> None:
    calls: list[int] = []

    def one_round(number: int) -> list[LiveResult]:
        calls.append(number)
        return [run_at(1_000.0 + number)]

    assert [rows[0].messages_per_second for rows in run_interleaved(3, one_round)] == pytest.approx([1e3, 1001, 1002])
    assert calls == [0, 1, 2]
    with pytest.raises(ValueError, match="repeat = 0 rounds: must be at least 1"):
        run_interleaved(0, one_round)


@settings(max_examples=60, deadline=None)
@given(rates=st.lists(st.floats(1.0, 1e8, allow_nan=False), min_size=2, max_size=9))
def test_a_repeated_row_is_the_median_of_its_runs_with_min_max_and_every_run(rates: list[float]) -> None:
    row = combine_runs([run_at(rate) for rate in rates])
    assert row.messages_per_second == pytest.approx(statistics.median(rates))
    assert row.details["median_per_s"] == pytest.approx(statistics.median(rates))
    assert (row.details["min_per_s"], row.details["max_per_s"]) == pytest.approx((min(rates), max(rates)))
    assert [run["messages_per_second"] for run in row.details["runs"]] == pytest.approx(rates)
    assert row.messages == 1_000
    spread = run_spread(row)
    assert spread is not None and spread.runs == len(rates)


def test_a_single_run_comes_back_as_measured() -> None:
    only = run_at(1_234.0, cpu_ns_per_message=500.0)
    assert combine_runs([only]) is only
    assert run_spread(only) is None
    with pytest.raises(ValueError, match="runs: no run to combine"):
        combine_runs([])


def test_the_cpu_figures_are_medians_too_and_failed_runs_are_named() -> None:
    runs = [
        run_at(1e6, cpu_ns_per_message=600.0, loop_cpu_share=0.9),
        LiveResult(SCENARIO, OURS, unavailable="the blast failed"),
        run_at(2e6, cpu_ns_per_message=400.0, loop_cpu_share=0.7),
        run_at(3e6, cpu_ns_per_message=500.0, loop_cpu_share=0.8),
    ]
    row = combine_runs(runs)
    assert row.messages_per_second == pytest.approx(2e6)
    assert (row.details["cpu_ns_per_message"], row.details["loop_cpu_share"]) == pytest.approx((500.0, 0.8))
    assert [run["cpu_ns_per_message"] for run in row.details["runs"]] == [600.0, 400.0, 500.0]
    assert row.details["failed_runs"] == ["the blast failed"]
    assert not row.unavailable
    # never measured: the row stays unavailable, with the reason
    assert combine_runs([runs[1], runs[1]]).unavailable == "the blast failed"


def test_rounds_combine_per_row_in_order_and_each_ceiling_is_one_row() -> None:
    rounds = [
        [run_at(1e5, QUICKFIX), run_at(1e6), run_at(5e5, ceiling_label(2_000, "NORMAL", "executemany"))],
        [run_at(3e5, QUICKFIX), run_at(2e6), run_at(7e5, ceiling_label(2_000, "NORMAL", "multi-row INSERT"))],
        [run_at(2e5, QUICKFIX), run_at(3e6), run_at(6e5, ceiling_label(2_000, "NORMAL", "executemany"))],
    ]
    rows = combine_rounds(rounds)
    assert [row.messages_per_second for row in rows] == pytest.approx([2e5, 2e6, 6e5])
    assert rows[0].implementation == QUICKFIX and rows[1].implementation == OURS
    # the ceiling's label is that of its median run
    assert rows[2].implementation == ceiling_label(2_000, "NORMAL", "executemany")
    # ratios are between medians
    assert ratios(rows[1], rows)["vs_quickfix_cpp"] == pytest.approx(10.0)


# ------------------------------------------------------------------------------------------- run_inbound


@pytest.fixture
def fake_rows(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """run_inbound's row runners replaced by fakes that note each call (in order) and report the next rate of a
    fixed sequence per row; the QuickFIX peer is said to be there."""
    calls: list[str] = []
    rates = {
        QUICKFIX: iter([4e5, 6e5, 5e5]),
        QUICKFIX_PYTHON: iter([5e4, 4e4, 6e4]),
        "memory store": iter([1.2e6, 1.6e6, 1.4e6]),
        "memory store, onBatch": iter([2e6, 1.5e6, 1.8e6]),
    }

    def quickfix(count: int, peers: object) -> LiveResult:
        calls.append(QUICKFIX)
        return run_at(next(rates[QUICKFIX]), QUICKFIX, count)

    def binding(scenario: str, measure: object, step: object = None) -> LiveResult:
        calls.append(QUICKFIX_PYTHON)
        return run_at(next(rates[QUICKFIX_PYTHON]), QUICKFIX_PYTHON, BLAST)

    async def ours(count: int, variant: InboundVariant, scratch: Path) -> LiveResult:
        calls.append(variant.label)
        return run_at(next(rates[variant.label]), f"pyfixmsg-plus acceptor, {variant.label}", count,
                      cpu_ns_per_message=700.0, loop_cpu_share=0.5)  # fmt: skip

    monkeypatch.setattr(inbound, "find_peer", lambda: SimpleNamespace(available=True, reason=""))
    monkeypatch.setattr(inbound, "quickfix_inbound", quickfix)
    monkeypatch.setattr(qfpy_rows, "qfpy_row", binding)
    monkeypatch.setattr(inbound, "_ours", ours)
    yield calls


def test_inbound_rounds_are_interleaved_and_each_row_keeps_its_median(fake_rows: list[str]) -> None:
    steps: list[str] = []
    variants = (InboundVariant(MEMORY), InboundVariant(MEMORY, on_batch=True))
    rows = run_inbound(BLAST, stores=variants, on_step=steps.append, repeat=3)
    one_round = [QUICKFIX, QUICKFIX_PYTHON, "memory store", "memory store, onBatch"]
    assert fake_rows == one_round * 3  # round k runs every row once, always in the same order
    assert [row.messages_per_second for row in rows] == pytest.approx([5e5, 5e4, 1.4e6, 1.8e6])
    spreads = [bound for row in rows for bound in (row.details["min_per_s"], row.details["max_per_s"])]
    assert spreads == pytest.approx([4e5, 6e5, 4e4, 6e4, 1.2e6, 1.6e6, 1.5e6, 2e6])
    assert steps[0] == f"round 1/3: {SCENARIO}: {QUICKFIX}" and steps[-1].startswith("round 3/3: ")
    with pytest.raises(ValueError, match="inbound repeat = 0: must be at least 1 round"):
        run_inbound(BLAST, stores=variants, repeat=0)


def test_one_round_is_the_rows_as_measured(fake_rows: list[str]) -> None:
    steps: list[str] = []
    rows = run_inbound(BLAST, stores=(InboundVariant(MEMORY),), on_step=steps.append)
    assert fake_rows == [QUICKFIX, QUICKFIX_PYTHON, "memory store"]
    assert [row.messages_per_second for row in rows] == pytest.approx([4e5, 5e4, 1.2e6])
    assert all("runs" not in row.details for row in rows)
    assert not any(step.startswith("round") for step in steps)


# ------------------------------------------------------------------------------------------- the table


def test_the_table_shows_the_spread_and_the_loop_cpu() -> None:
    row = combine_runs([run_at(rate, cpu_ns_per_message=610.0, loop_cpu_share=0.82)
                        for rate in (1.21e6, 1.412e6, 1.55e6, 1.3e6, 1.5e6)])  # fmt: skip
    assert rate_cell(row) == "1,412,000 (1.21-1.55 M, 5 runs)"
    assert rate_cell(combine_runs([run_at(4.8e4, QUICKFIX), run_at(5.2e4, QUICKFIX)])) == "50,000 (48.0-52.0 k, 2 runs)"
    assert rate_cell(run_at(1_500.0)) == "1,500"
    assert loop_cpu_cell(row) == "610 ns (82%)"
    assert loop_cpu_cell(run_at(1e5, QUICKFIX)) == "-"
    console = Console(width=400, record=True)
    console.print(render_live_table([run_at(1e6, QUICKFIX), row], "repeat"))
    text = console.export_text()
    assert LOOP_CPU_COLUMN[0] in text and "1.41x" in text  # the median over QuickFIX's single run
    console = Console(width=400, record=True)
    console.print(render_live_table([run_at(1e6, QUICKFIX)], "no cpu"))
    assert "loop CPU" not in console.export_text()


def test_loop_cpu_details_are_per_delivered_message_and_share_of_the_blast() -> None:
    details = loop_cpu_details(0.12, 200_000, 0.15)
    assert details["cpu_ns_per_message"] == pytest.approx(600.0)
    assert details["loop_cpu_share"] == pytest.approx(0.8)
    assert loop_cpu_details(None, 200_000, 0.15) == {} and loop_cpu_details(0.1, 0, 0.15) == {}


# ------------------------------------------------------------------------------------------- the command


@pytest.fixture
def fake_inbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """`bench inbound` runs a fake scenario that notes the repeat it was given and repeats two rows that often."""
    given_repeats: list[int] = []

    def fake(count: int, on_step: Callable[[str], None], repeat: int) -> list[LiveResult]:
        given_repeats.append(repeat)
        rounds = [[run_at(1e5 * (k + 1), QUICKFIX, count), run_at(1e6 * (k + 1), OURS, count, cpu_ns_per_message=6e2)]
                  for k in range(repeat)]  # fmt: skip
        return combine_rounds(rounds)

    monkeypatch.setitem(LIVE_SCENARIOS, "inbound", fake)
    yield given_repeats


def run_command(*argv: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["bench", "inbound", "--count", "10", *argv]) == 0
    return out.getvalue()


def test_the_command_repeats_inbound_and_its_json_carries_every_run(fake_inbound: list[int]) -> None:
    rows = [json.loads(line) for line in run_command("--repeat", "3", "--json").splitlines()]
    assert fake_inbound == [3]
    ours = rows[1]
    assert [run["messages_per_second"] for run in ours["details"]["runs"]] == pytest.approx([1e6, 2e6, 3e6])
    assert (ours["messages_per_second"], ours["details"]["min_per_s"], ours["details"]["max_per_s"]) == (
        pytest.approx(2e6), pytest.approx(1e6), pytest.approx(3e6))  # fmt: skip
    assert ours["ratios"]["vs_quickfix_cpp"] == pytest.approx(10.0)  # 2e6 over 2e5: medians
    assert ours["details"]["cpu_ns_per_message"] == 600.0 and "cpu_ns_per_message" not in rows[0]["details"]


def test_inbound_runs_once_without_repeat_and_refuses_zero(fake_inbound: list[int]) -> None:
    run_command("--json")
    assert fake_inbound == [1]
    with pytest.raises(SystemExit, match="--repeat = 0 must be positive"):
        run_command("--repeat", "0")


# ------------------------------------------------------------------------------------------- a real blast


def test_a_real_repeated_blast_measures_the_loop_cpu_of_our_rows_only(no_binding: Path) -> None:
    """Two interleaved rounds of a tiny blast (the QuickFIX C++ row measured where the peer is built)."""
    variants = (InboundVariant(MEMORY, on_batch=True), InboundVariant(MEMORY))
    rows = run_inbound(BLAST, stores=variants, repeat=2)
    assert [row.implementation for row in rows] == [QUICKFIX, QUICKFIX_PYTHON, f"{OURS}, onBatch", OURS]
    for row in rows[:2]:
        assert "cpu_ns_per_message" not in row.details and "loop_cpu_share" not in row.details
    for row in rows[2:]:
        assert [run["messages"] for run in row.details["runs"]] == [BLAST, BLAST]
        assert row.details["cpu_ns_per_message"] > 0 and row.details["loop_cpu_share"] > 0
        assert all(run["cpu_ns_per_message"] > 0 for run in row.details["runs"])
        assert row.details["min_per_s"] <= row.messages_per_second <= row.details["max_per_s"]
