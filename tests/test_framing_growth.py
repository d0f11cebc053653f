"""The compiled framer grows its span arrays while it splits: the spans must be exactly the pure twin's however
many spans a read holds (past the 16 spans kept inside the splitter, and past the first numpy allocation)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl

# short garbled frames: far more spans per byte than the first allocation (one per 128 bytes) expects
SHORT_GARBLED = b"8=FIX.4.4\x019=5\x01"
# garbled and valid frames in turn: one span each
PIECE_BY_INDEX = (SHORT_GARBLED, b"8=FIX.4.4\x019=0\x0135=0\x0110=000\x01")
PIECES = st.sampled_from([SHORT_GARBLED, b"8=X\x01", b"x\x01", b"8=FI", b"8=FIX.4.4\x019=0\x0135=0\x0110=000\x01"])


def spans(index: Any) -> tuple[object, ...]:
    return (index.consumed, index.offsets.tolist(), index.lengths.tolist(), index.seqnums.tolist(),
            index.msgtypes.tolist(), index.reasons.tolist())  # fmt: skip


def compiled_framing() -> ModuleType:
    module = _impl.compiled("framing")
    if module is None:
        pytest.skip("compiled framing not built (or extensions disabled)")
    return module


@pytest.mark.parametrize("final", [False, True])
def test_many_short_spans_grow_the_arrays_and_match_the_pure_twin(final: bool) -> None:
    data = SHORT_GARBLED * 5000 + b"8=FI"
    got = compiled_framing().split_frames(data, final=final)
    assert len(got) > len(data) // 128 + 16  # more than the first allocation
    assert spans(got) == spans(_impl.pure("framing").split_frames(data, final=final))


@settings(max_examples=100, deadline=None)
@given(st.lists(PIECES, max_size=400), st.booleans())
def test_random_short_pieces_match_the_pure_twin(pieces: list[bytes], final: bool) -> None:
    data = b"".join(pieces)
    assert spans(compiled_framing().split_frames(data, final=final)) == spans(
        _impl.pure("framing").split_frames(data, final=final)
    )


@pytest.mark.parametrize("count", [15, 16, 17, 18, 32, 33])
@pytest.mark.parametrize("final", [False, True])
def test_span_counts_around_the_small_arrays_match_the_pure_twin(count: int, final: bool) -> None:
    # The compiled splitter keeps up to 16 spans inside itself, then moves them to growing numpy arrays.
    data = b"".join(PIECE_BY_INDEX[k % len(PIECE_BY_INDEX)] for k in range(count))
    got = compiled_framing().split_frames(data, final=final)
    assert got.count == count - (not final and count % 2)  # a trailing garbled frame may still grow
    assert spans(got) == spans(_impl.pure("framing").split_frames(data, final=final))
    assert got.valid.tolist() == [reason == 0 for reason in got.reasons.tolist()]

