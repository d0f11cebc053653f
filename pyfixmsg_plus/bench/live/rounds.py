"""The rows of one round of a live scenario as a plan: what each row's progress step says and how it is measured.

A scenario describes a round once, as a list of :class:`PlannedRow` built by a plan maker; the same plan both
runs the round (:func:`run_planned_rounds`) and counts its progress steps (:func:`planned_steps`), so the
progress bar of ``bench`` cannot count steps that never run or miss steps that do. A row that cannot be measured
on this machine (no QuickFIX peer, no Python binding) is in the plan without a step: it reports its reason at once.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyfixmsg_plus.bench.live.repeat import run_interleaved
from pyfixmsg_plus.bench.live.results import LiveResult, unavailable

#: measures one row of a round in the round's scratch directory; None: nothing to report this round
Measure = Callable[[Path], "LiveResult | None"]
#: progress callback: the description of the step about to run
StepCallback = Callable[[str], None]


@dataclass(frozen=True)
class PlannedRow:
    """One row of a round: ``step``, the progress description shown while it runs (None for a row that is not
    measured and so takes no step), and ``measure``, which returns the row (or None to leave it out)."""

    step: str | None
    measure: Measure


#: a fresh plan of one round each call (rows of a round may share state, e.g. the files the ceiling reads)
PlanMaker = Callable[[], Sequence[PlannedRow]]


def unmeasured_row(scenario: str, implementation: str, reason: str) -> PlannedRow:
    """A row that cannot be measured on this machine: no progress step, the reason reported at once."""
    return PlannedRow(None, lambda _: unavailable(scenario, implementation, reason))


def no_step(_description: str) -> None:
    """The progress callback of a caller that shows no progress."""


def steps_in(plan: Sequence[PlannedRow]) -> int:
    """How many progress steps one round of ``plan`` advances."""
    return sum(1 for row in plan if row.step is not None)


def planned_steps(make_plan: PlanMaker, repeat: int) -> int:
    """How many progress steps ``repeat`` rounds of the plan advance (the plan is built, not run)."""
    return repeat * steps_in(make_plan())


def round_step(step: StepCallback, number: int, rounds: int) -> StepCallback:
    """``step`` with the round (0-based ``number`` of ``rounds``) named in each description when there is more
    than one."""
    if rounds == 1:
        return step
    return lambda description: step(f"round {number + 1}/{rounds}: {description}")


def run_plan(plan: Sequence[PlannedRow], step: StepCallback) -> list[LiveResult]:
    """Every row of ``plan`` once, in order, each after its progress step, in one scratch directory removed when
    the round is over (a round's store files can be tens of MB)."""
    results: list[LiveResult] = []
    with tempfile.TemporaryDirectory(prefix="pyfixmsg-plus-bench-") as scratch:
        for row in plan:
            if row.step is not None:
                step(row.step)
            result = row.measure(Path(scratch))
            if result is not None:
                results.append(result)
    return results


def run_planned_rounds(repeat: int, make_plan: PlanMaker, step: StepCallback) -> list[list[LiveResult]]:
    """``repeat`` interleaved rounds (see :func:`~pyfixmsg_plus.bench.live.repeat.run_interleaved`), each a fresh
    plan run in order, with the round named in the step descriptions when there is more than one."""
    return run_interleaved(repeat, lambda number: run_plan(make_plan(), round_step(step, number, repeat)))


__all__ = [
    "Measure",
    "PlanMaker",
    "PlannedRow",
    "StepCallback",
    "no_step",
    "planned_steps",
    "round_step",
    "run_plan",
    "run_planned_rounds",
    "steps_in",
    "unmeasured_row",
]
