"""Live throughput rows measured more than once: N interleaved rounds, each row's figure the median of its runs.

One blast of a live scenario lasts a fraction of a second, so on a shared machine a single figure moves with
whatever else the cores are doing. Rounds are interleaved (round k runs every row once, always in the same order)
so a drift in load reaches every row alike rather than all runs of one row. Each row then keeps the median rate of
its runs as its figure (the ratios between rows are ratios of medians), the min and the max beside it, and every
run's own figures in ``details["runs"]`` (for ``--json``).

With one round the rows are returned as measured: nothing changes for a single run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pyfixmsg_plus.bench.live.results import SQLITE_CEILING_PREFIX, LiveResult, is_ceiling_row

#: one round of a scenario: round number (0-based) -> every row of that round, in the scenario's order
RoundRunner = Callable[[int], list[LiveResult]]
#: per-run figures of our rows that are medians across runs too (both independent of the share of a core we got)
CPU_FIGURES = ("cpu_ns_per_message", "loop_cpu_share")


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


def combine_rounds(rounds: Sequence[Sequence[LiveResult]]) -> list[LiveResult]:
    """One row per :func:`row_key` across ``rounds``, in the order rows first appear, each from its runs by
    :func:`combine_runs`."""
    runs_of: dict[tuple[str, str], list[LiveResult]] = {}
    for rows in rounds:
        for row in rows:
            runs_of.setdefault(row_key(row), []).append(row)
    return [combine_runs(runs) for runs in runs_of.values()]


def run_spread(row: LiveResult) -> RunSpread | None:
    """The spread of a row combined from more than one run, None for a row measured once."""
    runs = row.details.get("runs")
    if not isinstance(runs, list) or len(runs) < 2:
        return None
    return RunSpread(float(row.details["min_per_s"]), float(row.details["max_per_s"]), len(runs))


__all__ = [
    "CPU_FIGURES",
    "RoundRunner",
    "RunSpread",
    "combine_rounds",
    "combine_runs",
    "row_key",
    "run_interleaved",
    "run_spread",
]
