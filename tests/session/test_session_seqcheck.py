"""The batch sequence check, compiled and pure (via the ``impl`` fixture), and their agreement."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl


def test_classify_codes_and_expected_after(impl) -> None:  # type: ignore[no-untyped-def]
    seqcheck = impl.seqcheck
    seqnums = np.array([5, 6, 9, 7, 3, -1, 8], dtype=np.int64)
    valid = np.array([True, True, True, True, True, False, True])
    codes, after = seqcheck.classify(seqnums, valid, 5)
    assert codes.tolist() == [
        seqcheck.IN_SEQUENCE,
        seqcheck.IN_SEQUENCE,
        seqcheck.TOO_HIGH,
        seqcheck.IN_SEQUENCE,
        seqcheck.TOO_LOW,
        seqcheck.NOT_CHECKED,
        seqcheck.IN_SEQUENCE,
    ]
    assert after == 9


def test_in_sequence_run(impl) -> None:  # type: ignore[no-untyped-def]
    seqnums = np.array([2, 3, 4, 6, 7], dtype=np.int64)
    valid = np.ones(5, dtype=bool)
    assert impl.seqcheck.in_sequence_run(seqnums, valid, 2) == 3
    assert impl.seqcheck.in_sequence_run(seqnums, valid, 6, start=3) == 2
    assert impl.seqcheck.in_sequence_run(seqnums, valid, 3) == 0
    assert impl.seqcheck.in_sequence_run(seqnums, valid, 2, start=9) == 0
    assert impl.seqcheck.in_sequence_run(np.array([], dtype=np.int64), np.array([], dtype=bool), 1) == 0


def test_bad_arguments_name_the_argument(impl) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="same length"):
        impl.seqcheck.classify(np.array([1, 2]), np.array([True]), 1)
    with pytest.raises(ValueError, match="expected must be >= 1"):
        impl.seqcheck.classify(np.array([1]), np.array([True]), 0)
    with pytest.raises(ValueError, match="start must be >= 0"):
        impl.seqcheck.in_sequence_run(np.array([1]), np.array([True]), 1, start=-1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(-2, 40), st.booleans()), max_size=60),
    st.integers(1, 30),
    st.integers(0, 70),
)
def test_compiled_and_pure_agree(frames: list[tuple[int, bool]], expected: int, start: int) -> None:
    compiled = _impl.compiled("seqcheck")
    if compiled is None or _impl.extensions_disabled():
        pytest.skip("compiled seqcheck not built (or extensions disabled)")
    pure = _impl.pure("seqcheck")
    seqnums = np.array([f[0] for f in frames], dtype=np.int64)
    valid = np.array([f[1] for f in frames], dtype=bool)
    codes_c, after_c = compiled.classify(seqnums, valid, expected)
    codes_p, after_p = pure.classify(seqnums, valid, expected)
    assert codes_c.tolist() == codes_p.tolist() and after_c == after_p
    assert compiled.in_sequence_run(seqnums, valid, expected, start) == pure.in_sequence_run(
        seqnums, valid, expected, start
    )
