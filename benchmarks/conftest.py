"""Benchmarks run with ``pytest benchmarks/ --benchmark-only``; BENCH_COUNT sets the corpus size."""

from __future__ import annotations

import os

import pytest

from pyfixmsg_plus.bench.wire import Case, build_cases

COUNT = int(os.environ.get("BENCH_COUNT", "10000"))


@pytest.fixture(scope="session")
def wire_cases() -> dict[tuple[str, str], Case]:
    _, _, cases = build_cases(COUNT)
    return {(c.operation, c.implementation): c for c in cases}
