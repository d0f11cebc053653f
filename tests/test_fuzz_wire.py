"""Short CI fuzz of the framer (a few seconds): random and mutated frames never raise, and the span invariants
hold. scripts/fuzz_wire.py is the long-running version (atheris, ASan build)."""

from __future__ import annotations

import random

from conftest import Impl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_differential_wire import mutate
from test_framing_properties import streams_with_garbage

FUZZ_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def check_invariants(framing: object, data: bytes, final: bool, sep: int = 1) -> None:
    """Every consumed byte is in exactly one span, spans are contiguous from 0, valid frames re-verify."""
    index = framing.split_frames(data, sep=sep, final=final)  # type: ignore[attr-defined]
    assert 0 <= index.consumed <= len(data)
    assert int(index.lengths.sum()) == index.consumed
    if index.count:
        assert index.offsets[0] == 0 and (index.lengths > 0).all()
        np_ends = index.offsets[:-1] + index.lengths[:-1]
        assert (np_ends == index.offsets[1:]).all()
    if final:
        assert index.consumed == len(data)
    for wire in index.frames():
        body_end = len(wire) - 7
        total = sum(wire[:body_end]) + wire[:body_end].count(sep) * (1 - sep)
        assert int(wire[-4:-1]) == total % 256
    assert (index.seqnums[~index.valid] == -1).all()


def test_fuzz_random_bytes(impl: Impl) -> None:
    @FUZZ_SETTINGS
    @given(data=st.binary(max_size=400), final=st.booleans(), sep=st.sampled_from([1, ord("|"), 0]))
    def check(data: bytes, final: bool, sep: int) -> None:
        check_invariants(impl.framing, data, final, sep)
        check_invariants(impl.framing, b"8=FIX.4.4\x019=12\x0135=" + data, final, sep)

    check()


def test_fuzz_mutated_frames(impl: Impl) -> None:
    @FUZZ_SETTINGS
    @given(sample=streams_with_garbage(), seed=st.integers(0, 2**32), edits=st.integers(1, 8),
           final=st.booleans())
    def check(sample: tuple[list[bytes], bytes], seed: int, edits: int, final: bool) -> None:
        check_invariants(impl.framing, mutate(sample[1], random.Random(seed), edits), final)

    check()
