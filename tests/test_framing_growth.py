"""The compiled framer grows its span arrays while it splits: the spans must be exactly the pure twin's however
many spans a read holds (more than the first allocation too)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl

# short garbled frames: far more spans per byte than the first allocation (one per 128 bytes) expects
SHORT_GARBLED = b"8=FIX.4.4\x019=5\x01"
PIECES = st.sampled_from([SHORT_GARBLED, b"8=X\x01", b"x\x01", b"8=FI", b"8=FIX.4.4\x019=0\x0135=0\x0110=000\x01"])


def spans(index) -> tuple[object, ...]:  # type: ignore[no-untyped-def]
    return (index.consumed, index.offsets.tolist(), index.lengths.tolist(), index.seqnums.tolist(),
            index.msgtypes.tolist(), index.reasons.tolist())  # fmt: skip


def compiled_framing():  # type: ignore[no-untyped-def]
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
