"""Split + verify, parse and encode on the generated FIX 4.4 corpus: compiled, pure and simplefix.

pytest-benchmark reports time per round (one pass over the whole corpus of BENCH_COUNT messages);
``pyfixmsg-plus bench wire`` prints the same operations as messages/s with ratios.
"""

from __future__ import annotations

import pytest

from pyfixmsg_plus.bench.wire import OPERATIONS

IMPLEMENTATIONS = ("compiled", "pure", "simplefix")


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_wire(benchmark, wire_cases, operation: str, implementation: str) -> None:  # type: ignore[no-untyped-def]
    case = wire_cases.get((operation, implementation))
    if case is None:
        pytest.skip(f"{implementation} is not available here")
    benchmark.group = operation
    benchmark(case.run)
