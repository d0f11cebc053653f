"""Live throughput rows measured more than once: N interleaved rounds, each row's figure the median of its runs.

One blast of a live scenario lasts a fraction of a second, so on a shared machine a single figure moves with
whatever else the cores are doing. Rounds are interleaved (round k runs every row once, always in the same order)
so a drift in load reaches every row alike rather than all runs of one row. Each row then keeps the median rate of
its runs as its figure (the ratios between rows are ratios of medians), the min and the max beside it, and every
run's own figures in ``details["runs"]`` (for ``--json``).

Round-trip rows (rows with a latency summary) combine by percentile instead: each of p50, p99 and p99.9 is the
median of the per-round percentiles, max is the largest of any round, and the raw samples of every round are kept
together (the histogram of ``bench --plot`` draws them all); ``details["runs"]`` holds each round's percentiles.

With one round the rows are returned as measured: nothing changes for a single run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from pyfixmsg_plus.bench.live.results import SQLITE_CEILING_PREFIX, LatencySummary, LiveResult, is_ceiling_row

#: one round of a scenario: round number (0-based) -> every row of that round, in the scenario's order
RoundRunner = Callable[[int], list[LiveResult]]
#: per-run figures of our rows that are medians across runs too (independent of the share of a core we got):
#: the loop thread's CPU per message (blasts) or per round trip, and its share of the run's wall time
CPU_FIGURES = ("cpu_ns_per_message", "cpu_ns_per_round_trip", "loop_cpu_share")
#: what ``details["percentiles"]`` of a repeated round-trip row says about its figures
PERCENTILES_OF_ROUNDS = "p50/p99/p99.9: medians of the per-round percentiles; max: the largest of all rounds"


@dataclass(frozen=True)
class RunSpread:
    """How a repeated row's runs spread: the lowest and highest rate (messages per second) and the runs kept."""

    min_per_s: float
    max_per_s: float
    runs: int


def run_interleaved(rounds: int, run_round: RoundRunner) -> list[list[LiveResult]]:
    """``run_round(0)``, ``run_round(1)``, ... ``run_round(rounds - 1)`` one after the other: each round runs every row
    once. ``rounds`` must be at least 1 (a ValueError naming it otherwise)."""
    if rounds < 1:
        raise ValueError(f"repeat = {rounds} rounds: must be at least 1")
    return [run_round(number) for number in range(rounds)]


def row_key(row: LiveResult) -> tuple[str, str]:
    """What identifies a row across rounds: its scenario and implementation, except that every raw batched SQLite
    ceiling of a scenario is one row (its label names the method that round found fastest, which may change)."""
    return row.scenario, SQLITE_CEILING_PREFIX if is_ceiling_row(row) else row.implementation


def _run_figures(run: LiveResult) -> dict[str, Any]:
    """What ``details["runs"]`` keeps of one run: its count, seconds, rate and CPU figures when it has them."""
    figures: dict[str, Any] = {"messages": run.messages, "seconds": run.seconds,
                               "messages_per_second": run.messages_per_second}  # fmt: skip
    figures |= {name: run.details[name] for name in CPU_FIGURES if name in run.details}
    return figures


def _median_cpu_figures(runs: Sequence[LiveResult]) -> dict[str, float]:
    """The median of each CPU figure every run has."""
    return {
        name: float(statistics.median(run.details[name] for run in runs))
        for name in CPU_FIGURES
        if all(name in run.details for run in runs)
    }


def combine_runs(runs: Sequence[LiveResult]) -> LiveResult:
    """One row from the runs of the same row (a throughput row: messages over seconds).

    The measured runs' median rate becomes the row's rate: the row is the run whose rate is nearest the median
    (its label and details), with ``seconds`` set to its ``messages`` over the median rate. ``details`` gains
    ``median_per_s``, ``min_per_s``, ``max_per_s`` (messages per second), ``runs`` (each run's figures, in round
    order), the medians of the runs' CPU figures, and ``failed_runs`` (the reasons) when some runs could not be
    measured. A single run, or runs none of which was measured, come back as the first run.
    """
    if not runs:
        raise ValueError("runs: no run to combine")
    measured = [run for run in runs if not run.unavailable]
    if len(runs) == 1 or not measured:
        return runs[0]
    rates = [run.messages_per_second for run in measured]
    median = float(statistics.median(rates))
    nearest = min(measured, key=lambda run: abs(run.messages_per_second - median))
    details = nearest.details | _median_cpu_figures(measured) | {
        "median_per_s": median, "min_per_s": min(rates), "max_per_s": max(rates),
        "runs": [_run_figures(run) for run in measured],
    }  # fmt: skip
    failed = [run.unavailable for run in runs if run.unavailable]
    if failed:
        details["failed_runs"] = failed
    seconds = nearest.messages / median if median > 0 else nearest.seconds
    return replace(nearest, seconds=seconds, details=details)


def _latency_run_figures(run: LiveResult, latency: LatencySummary) -> dict[str, Any]:
    """What ``details["runs"]`` keeps of one round-trip run: its percentiles (``latency``, microseconds), and its
    reports and CPU figures when it has them."""
    figures: dict[str, Any] = {"samples": latency.samples, "p50_us": latency.p50_us, "p99_us": latency.p99_us,
                               "p999_us": latency.p999_us, "max_us": latency.max_us}  # fmt: skip
    kept = ("reports_received", *CPU_FIGURES)
    figures |= {name: run.details[name] for name in kept if name in run.details}
    return figures


def _all_samples(runs: Sequence[LiveResult]) -> np.ndarray | None:
    """Every run's raw samples (nanoseconds) one after the other, None unless every run kept them."""
    if any(run.samples_ns is None for run in runs):
        return None
    return np.concatenate([np.asarray(run.samples_ns, dtype=np.int64) for run in runs])


def combine_latency_runs(runs: Sequence[LiveResult]) -> LiveResult:
    """One round-trip row from the runs of the same row (rows with a :class:`LatencySummary`).

    p50, p99 and p99.9 are the medians of the measured runs' percentiles, max the largest run's max, ``samples``
    (and ``messages``, ``seconds``) the sum over the runs, ``samples_ns`` every run's samples together. The row is
    the run whose p50 is nearest the median p50 (its label and details), with ``details`` gaining ``runs`` (each
    run's percentiles, in round order), ``percentiles`` (how the figures were taken), the medians of the CPU
    figures, and ``failed_runs`` (the reasons) when some runs could not be measured. A single run, or runs none of
    which was measured, come back as the first run.
    """
    if not runs:
        raise ValueError("runs: no run to combine")
    pairs = [(run, run.latency) for run in runs if not run.unavailable and run.latency is not None]
    if len(runs) == 1 or not pairs:
        return runs[0]
    measured = [run for run, _ in pairs]
    summaries = [summary for _, summary in pairs]
    latency = LatencySummary(
        samples=sum(summary.samples for summary in summaries),
        p50_us=float(statistics.median(summary.p50_us for summary in summaries)),
        p99_us=float(statistics.median(summary.p99_us for summary in summaries)),
        p999_us=float(statistics.median(summary.p999_us for summary in summaries)),
        max_us=max(summary.max_us for summary in summaries),
    )
    nearest, _ = min(pairs, key=lambda pair: abs(pair[1].p50_us - latency.p50_us))
    details = nearest.details | _median_cpu_figures(measured) | {
        "percentiles": PERCENTILES_OF_ROUNDS, "runs": [_latency_run_figures(run, summary) for run, summary in pairs],
    }  # fmt: skip
    failed = [run.unavailable for run in runs if run.unavailable]
    if failed:
        details["failed_runs"] = failed
    return replace(nearest, messages=sum(run.messages for run in measured),
                   seconds=sum(run.seconds for run in measured), latency=latency,
                   samples_ns=_all_samples(measured), details=details)  # fmt: skip


def combine_any_runs(runs: Sequence[LiveResult]) -> LiveResult:
    """:func:`combine_latency_runs` for round-trip rows (any run has a latency summary), else
    :func:`combine_runs`."""
    if any(run.latency is not None for run in runs):
        return combine_latency_runs(runs)
    return combine_runs(runs)


def combine_rounds(rounds: Sequence[Sequence[LiveResult]]) -> list[LiveResult]:
    """One row per :func:`row_key` across ``rounds``, in the order rows first appear, each from its runs by
    :func:`combine_runs` (throughput rows) or :func:`combine_latency_runs` (round-trip rows)."""
    runs_of: dict[tuple[str, str], list[LiveResult]] = {}
    for rows in rounds:
        for row in rows:
            runs_of.setdefault(row_key(row), []).append(row)
    return [combine_any_runs(runs) for runs in runs_of.values()]


def run_spread(row: LiveResult) -> RunSpread | None:
    """The spread of a row combined from more than one run, None for a row measured once."""
    runs = row.details.get("runs")
    # a round-trip row's runs have percentiles, not a rate
    if not isinstance(runs, list) or len(runs) < 2 or "min_per_s" not in row.details:
        return None
    return RunSpread(float(row.details["min_per_s"]), float(row.details["max_per_s"]), len(runs))


__all__ = [
    "CPU_FIGURES",
    "PERCENTILES_OF_ROUNDS",
    "RoundRunner",
    "RunSpread",
    "combine_any_runs",
    "combine_latency_runs",
    "combine_rounds",
    "combine_runs",
    "row_key",
    "run_interleaved",
    "run_spread",
]
