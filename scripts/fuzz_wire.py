"""Long fuzz run of the wire layer: ``python3 scripts/fuzz_wire.py [-runs=N] [atheris/libFuzzer options]``.

Feeds fuzzer-chosen bytes (raw, and after a valid frame prefix) to the framer in every mode and checks the
span invariants; checks the compiled twin against the pure one on every input; encodes fuzzer-chosen field
values.
Uses atheris (coverage-guided) when it is installed, else hypothesis with a large budget (``--hypothesis N``).

For out-of-bounds detection build the compiled modules with AddressSanitizer first, and preload its runtime::

    PYFIXMSG_PLUS_BOUNDS_CHECK=1 python3 scripts/build_one.py framing encoder
    LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \\
        python3 scripts/fuzz_wire.py -runs=2000000
    python3 scripts/build_one.py framing encoder   # the normal build again
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing
try:
    import atheris
except ImportError:
    atheris = None

if atheris is not None:
    # Coverage of the pure twin guides atheris: the compiled twin mirrors its branches and is checked
    # against it on every input.
    with atheris.instrument_imports(include=["pyfixmsg_plus"]):
        from pyfixmsg_plus import _impl
        from pyfixmsg_plus.message import encoder_py, framing_py  # noqa: F401 - imported to instrument
else:
    from pyfixmsg_plus import _impl

FAST = _impl.compiled("framing")
SLOW = _impl.pure("framing")
FAST_ENCODER = _impl.compiled("encoder")
SLOW_ENCODER = _impl.pure("encoder")
PREFIXES = (b"", b"8=FIX.4.4\x019=", b"8=FIX.4.4\x019=20\x0135=D\x0134=")
ARRAYS = ("offsets", "lengths", "seqnums", "msgtypes", "reasons")


def check_split(data: bytes, sep: int, final: bool, max_body_length: int) -> None:
    """One input through both twins: identical arrays, and the span invariants."""
    slow = SLOW.split_frames(data, sep=sep, final=final, max_body_length=max_body_length)
    if int(slow.lengths.sum()) != slow.consumed or (final and slow.consumed != len(data)):
        raise AssertionError(f"span invariant broken on {data!r}")
    if FAST is not None:
        fast = FAST.split_frames(data, sep=sep, final=final, max_body_length=max_body_length)
        for name in ARRAYS:
            if not np.array_equal(getattr(fast, name), getattr(slow, name)) or fast.consumed != slow.consumed:
                raise AssertionError(f"twins differ in {name} on {data!r} (sep={sep}, final={final})")


def check_encode(data: bytes) -> None:
    """Fuzzer bytes as field values: both encoders give the same frame, and it frames back to itself."""
    fields = [(35, "D"), *((100 + i, chunk) for i, chunk in enumerate(data.split(b"\x01")) if chunk)]
    wire = SLOW_ENCODER.encode_message("FIX.4.4", fields)
    if FAST_ENCODER is not None and FAST_ENCODER.encode_message("FIX.4.4", fields) != wire:
        raise AssertionError(f"encoders differ on {data!r}")
    if SLOW.split_frames(wire).frames() != [wire]:
        raise AssertionError(f"encoded frame does not frame back: {wire!r}")


def one_input(data: bytes) -> None:
    """The fuzz target: every check for one input."""
    selector = data[0] if data else 0
    body = data[1:]
    sep = (1, ord("|"), 0, 255)[selector & 3]
    for prefix in PREFIXES:
        check_split(prefix + body, sep, bool(selector & 4), 64 if selector & 8 else 1 << 20)
    if FAST is not None:  # a Framer fed in pieces must not read outside its pieces either
        framer = FAST.Framer(sep=sep)
        for start in range(0, len(body), 7):
            framer.feed(body[start:start + 7])
        framer.flush()
    check_encode(body)


def run_hypothesis(budget: int) -> None:
    from hypothesis import HealthCheck, given, settings  # only needed without atheris
    from hypothesis import strategies as st

    @settings(max_examples=budget, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.binary(max_size=2000))
    def fuzz(data: bytes) -> None:
        one_input(data)

    fuzz()
    print(f"hypothesis: {budget} inputs, no failure")


def main(argv: list[str]) -> None:
    print(f"compiled framing: {FAST is not None}; compiled encoder: {FAST_ENCODER is not None}")
    if "--hypothesis" in argv:
        run_hypothesis(int(argv[argv.index("--hypothesis") + 1]))
        return
    if atheris is None:
        run_hypothesis(100_000)
        return
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
