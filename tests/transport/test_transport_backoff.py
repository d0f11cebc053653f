"""Backoff is a pure policy: delays are checked without sleeping."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.transport import Backoff


def test_delays_double_until_the_cap_and_stop_at_max_retries() -> None:
    policy = Backoff(initial=1, factor=2, cap=10, jitter=0, max_retries=6)
    assert list(policy.delays()) == [1, 2, 4, 8, 10, 10]


def test_original_project_settings_map_to_doubling_delays() -> None:
    # The original: retry_interval=5 doubled each try, max_retries=5.
    policy = Backoff(initial=5, factor=2, cap=3600, jitter=0, max_retries=5)
    assert list(policy.delays()) == [5, 10, 20, 40, 80]


def test_zero_max_retries_allows_no_retry() -> None:
    policy = Backoff(max_retries=0)
    assert list(policy.delays()) == []
    assert not policy.allows(0)


def test_no_limit_retries_forever_without_overflow() -> None:
    policy = Backoff(initial=0.5, factor=3, cap=60, jitter=0, max_retries=None)
    first = list(itertools.islice(policy.delays(), 1000))
    assert len(first) == 1000
    assert first[-1] == 60
    assert policy.base_delay(10**9) == 60


def test_seeded_jitter_is_reproducible() -> None:
    policy = Backoff(initial=1, cap=30, jitter=0.5, max_retries=8)
    assert list(policy.delays(random.Random(7))) == list(policy.delays(random.Random(7)))
    assert list(policy.delays(random.Random(7))) != list(policy.delays(random.Random(8)))


@settings(max_examples=150, deadline=None)
@given(
    initial=st.floats(0, 100),
    factor=st.floats(1, 10),
    extra_cap=st.floats(0, 1000),
    jitter=st.floats(0, 1),
    retry=st.integers(0, 10_000),
    seed=st.integers(0, 2**32),
)
def test_jittered_delay_stays_between_the_jitter_floor_and_the_cap(
    initial: float, factor: float, extra_cap: float, jitter: float, retry: int, seed: int
) -> None:
    policy = Backoff(initial=initial, factor=factor, cap=initial + extra_cap, jitter=jitter, max_retries=None)
    base = policy.base_delay(retry)
    delay = policy.delay(retry, random.Random(seed))
    assert base <= policy.cap
    assert base * (1 - jitter) - 1e-9 <= delay <= base + 1e-9


@settings(max_examples=100, deadline=None)
@given(initial=st.floats(0.001, 10), factor=st.floats(1, 4), retries=st.integers(1, 60))
def test_base_delays_never_decrease(initial: float, factor: float, retries: int) -> None:
    policy = Backoff(initial=initial, factor=factor, cap=initial * 50, jitter=0, max_retries=retries)
    delays = list(policy.delays())
    assert len(delays) == retries
    assert all(a <= b for a, b in itertools.pairwise(delays))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"initial": -1}, "initial=-1"),
        ({"factor": 0.5}, "factor=0.5"),
        ({"initial": 10, "cap": 5}, "cap=5"),
        ({"jitter": 1.5}, "jitter=1.5"),
        ({"max_retries": -2}, "max_retries=-2"),
        ({"initial": float("inf"), "cap": float("inf")}, "initial=inf"),
    ],
)
def test_invalid_settings_name_the_field_and_value(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_negative_retry_number_is_refused() -> None:
    with pytest.raises(ValueError, match="retry number"):
        Backoff().delay(-1)


def test_tiny_initial_delay_with_many_retries_does_not_overflow() -> None:
    # Found by hypothesis: factor**retry overflowed for a subnormal initial delay and retry=1024.
    policy = Backoff(initial=5e-324, factor=2, cap=1, jitter=0, max_retries=None)
    assert policy.base_delay(1024) == pytest.approx(2.0**-50)  # 2**-1074 * 2**1024
    assert policy.base_delay(1100) == 1
