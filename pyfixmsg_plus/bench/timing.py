"""Timing primitives shared by the benchmark runners: best-of-N wall time, turned into rates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    """How long one implementation took to process ``messages`` messages totalling ``nbytes`` bytes."""

    operation: str
    implementation: str
    messages: int
    nbytes: int
    seconds: float

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else float("inf")

    @property
    def megabytes_per_second(self) -> float:
        return self.nbytes / self.seconds / 1e6 if self.seconds else float("inf")

    @property
    def ns_per_message(self) -> float:
        return self.seconds * 1e9 / self.messages if self.messages else 0.0


def best_time(func: Callable[[], object], repeat: int, min_seconds: float = 0.05) -> float:
    """The fastest of ``repeat`` runs of ``func`` (each run repeated until it lasts ``min_seconds``), in seconds."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        loops = 0
        start = time.perf_counter()
        elapsed = 0.0
        while elapsed < min_seconds or loops == 0:
            func()
            loops += 1
            elapsed = time.perf_counter() - start
        best = min(best, elapsed / loops)
    return best
