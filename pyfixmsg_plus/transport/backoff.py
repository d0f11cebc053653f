"""Reconnect delays: exponential growth, proportional jitter, a cap and a retry limit.

:class:`Backoff` is a pure policy object: it computes delays and never sleeps, so it is tested without time.
The initiator asks it for the delay before each reconnect round.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before each reconnect round, in seconds.

    The delay before retry ``n`` (0-based) is ``min(cap, initial * factor**n)`` reduced by a random fraction
    of at most ``jitter`` of itself (so many clients cut off at once do not all come back in the same
    instant, and the cap is never exceeded). ``max_retries`` rounds are allowed after the first failure;
    ``None`` retries forever.

    The original project's settings map as
    ``Backoff(initial=retry_interval, factor=2, max_retries=max_retries)``.
    """

    initial: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    jitter: float = 0.1
    max_retries: int | None = 5

    def __post_init__(self) -> None:
        _require(self.initial >= 0 and math.isfinite(self.initial), "initial", self.initial,
                 "a finite number of seconds >= 0")
        _require(self.factor >= 1 and math.isfinite(self.factor), "factor", self.factor,
                 "a finite number >= 1")
        _require(self.cap >= self.initial and math.isfinite(self.cap), "cap", self.cap,
                 f"a finite number of seconds >= initial ({self.initial})")
        _require(0 <= self.jitter <= 1, "jitter", self.jitter, "a fraction between 0 and 1")
        if self.max_retries is not None:
            _require(isinstance(self.max_retries, int) and self.max_retries >= 0, "max_retries",
                     self.max_retries, "an integer >= 0, or None for no limit")

    def base_delay(self, retry: int) -> float:
        """The delay before retry ``retry`` (0-based) without jitter, in seconds."""
        if retry < 0:
            raise ValueError(f"Backoff retry number must be >= 0, got {retry}")
        if self.factor == 1 or self.initial == 0:
            return min(self.cap, self.initial)
        # Compared in the log domain first, so that factor**retry is never computed where it would overflow
        # (long retry runs, or a tiny initial delay with a large cap).
        exponent = retry * math.log(self.factor)
        if exponent >= math.log(self.cap) - math.log(self.initial):
            return self.cap
        try:
            return min(self.cap, self.initial * self.factor**retry)
        except OverflowError:
            return min(self.cap, math.exp(math.log(self.initial) + exponent))

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The delay before retry ``retry`` (0-based) with jitter drawn from ``rng``, in seconds."""
        base = self.base_delay(retry)
        if self.jitter == 0:
            return base
        draw = (rng or random).random()
        return base * (1.0 - self.jitter * draw)

    def allows(self, retry: int) -> bool:
        """True when retry ``retry`` (0-based) is within ``max_retries``."""
        return self.max_retries is None or retry < self.max_retries

    def delays(self, rng: random.Random | None = None) -> Iterator[float]:
        """Every delay the policy allows, in order (endless when ``max_retries`` is None), in seconds."""
        retry = 0
        while self.allows(retry):
            yield self.delay(retry, rng)
            retry += 1


def _require(ok: bool, name: str, value: object, expected: str) -> None:
    if not ok:
        raise ValueError(f"Backoff {name}={value!r} is invalid: expected {expected}")
