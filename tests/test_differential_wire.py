"""Differential: the compiled and pure twins give identical FrameIndex arrays and identical frames on the same
random streams (valid, mutated and garbage bytes, every separator mode, final or not)."""

from __future__ import annotations

import random
from types import ModuleType
from typing import cast

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_framing_properties import frames, streams_with_garbage

from pyfixmsg_plus import _impl

# None when not built: the skipif mark below then skips every test before these are used
compiled_framing = cast(ModuleType, _impl.compiled("framing"))
compiled_encoder = cast(ModuleType, _impl.compiled("encoder"))
pytestmark = pytest.mark.skipif(
    compiled_framing is None or compiled_encoder is None or _impl.extensions_disabled(),
    reason="the compiled framing/encoder modules are not built (or PYFIXMSG_PLUS_NO_EXTENSIONS is set)",
)
pure_framing = _impl.pure("framing")
pure_encoder = _impl.pure("encoder")
ARRAYS = ("offsets", "lengths", "seqnums", "msgtypes", "reasons", "valid")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_same_split(data: bytes, **options: object) -> None:
    fast = compiled_framing.split_frames(data, **options)
    slow = pure_framing.split_frames(data, **options)
    assert (fast.consumed, fast.count) == (slow.consumed, slow.count)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
        assert getattr(fast, name).dtype == getattr(slow, name).dtype, name
    assert [fast.msgtype(i) for i in range(fast.count)] == [slow.msgtype(i) for i in range(slow.count)]
    assert fast.errors() == slow.errors()


def mutate(data: bytes, rng: random.Random, edits: int) -> bytes:
    """Flip, insert, delete or duplicate a few bytes, favouring the bytes FIX framing looks at."""
    buf = bytearray(data)
    for _ in range(edits):
        at = rng.randrange(len(buf) + 1)
        choice = rng.random()
        if choice < 0.4 and buf:
            buf[min(at, len(buf) - 1)] = rng.choice(b"0123456789=\x01|8FIX" + bytes([rng.randrange(256)]))
        elif choice < 0.7:
            buf[at:at] = rng.choice([b"\x01", b"8=FIX", b"9=", b"10=", b"35=", bytes([rng.randrange(256)])])
        elif buf:
            del buf[at:at + rng.randint(1, 4)]
    return bytes(buf)


@SETTINGS
@given(sample=streams_with_garbage(), seed=st.integers(0, 2**32), edits=st.integers(0, 6),
       final=st.booleans())
def test_same_index_on_mutated_streams(sample: tuple[list[bytes], bytes], seed: int, edits: int,
                                       final: bool) -> None:
    data = mutate(sample[1], random.Random(seed), edits)
    assert_same_split(data, final=final)
    assert_same_split(data, final=final, max_body_length=64)


@SETTINGS
@given(data=st.binary(max_size=300), final=st.booleans(), sep=st.sampled_from([1, ord("|"), 0, 255]))
def test_same_index_on_random_bytes(data: bytes, final: bool, sep: int) -> None:
    assert_same_split(data, final=final, sep=sep)
    assert_same_split(b"8=FIX.4.4\x019=" + data, final=final, sep=sep)


@SETTINGS
@given(parts=st.lists(frames(sep=ord("|")), min_size=1, max_size=3), seed=st.integers(0, 2**32))
def test_same_index_in_log_mode(parts: list[bytes], seed: int) -> None:
    data = mutate(b"\n".join(parts), random.Random(seed), 2)
    assert_same_split(data, sep=ord("|"), final=True)


@SETTINGS
@given(sample=streams_with_garbage(), seed=st.integers(0, 2**32))
def test_same_frames_through_framers(sample: tuple[list[bytes], bytes], seed: int) -> None:
    rng = random.Random(seed)
    data = mutate(sample[1], rng, 2)
    fast, slow = compiled_framing.Framer(), pure_framing.Framer()
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 40)
        a, b = fast.feed(data[pos:pos + step]), slow.feed(data[pos:pos + step])
        assert a.frames() == b.frames() and a.errors() == b.errors() and fast.pending == slow.pending
        pos += step
    assert fast.flush().errors() == slow.flush().errors()


@SETTINGS
@given(fields=st.lists(st.tuples(st.integers(1, 10**6).filter(lambda t: t not in (8, 9, 10)),
                                  st.one_of(st.text(max_size=20), st.integers(), st.binary(max_size=10),
                                            st.floats(allow_nan=False, allow_infinity=False), st.booleans())),
                        max_size=20),
       sep=st.sampled_from([1, ord("|")]))
def test_same_encoding(fields: list[tuple[int, object]], sep: int) -> None:
    try:
        expected = pure_encoder.encode_message("FIX.4.4", fields, sep=sep)
    except ValueError as exc:  # a lone surrogate in a str: both must refuse it the same way
        with pytest.raises(ValueError) as caught:
            compiled_encoder.encode_message("FIX.4.4", fields, sep=sep)
        assert str(caught.value) == str(exc)
        return
    assert compiled_encoder.encode_message("FIX.4.4", fields, sep=sep) == expected
    assert compiled_encoder.encode_body(fields, sep=sep) == pure_encoder.encode_body(fields, sep=sep)
