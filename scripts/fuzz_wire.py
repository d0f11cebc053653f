"""Long fuzz run of the wire layer: ``python3 scripts/fuzz_wire.py [-runs=N] [atheris/libFuzzer options]``.

Feeds fuzzer-chosen bytes (raw, and after a valid frame prefix) to the framer in every mode and checks the
span invariants; checks the compiled twin against the pure one on every input (splitting, the one-frame check
``Framer.msgtype_if_one_frame``, and parsing to a FixMessage with the FIX 4.4 group layouts); encodes
fuzzer-chosen field values.
Uses atheris (coverage-guided) when it is installed, else hypothesis with a large budget (``--hypothesis N``).

For out-of-bounds detection build the compiled modules with AddressSanitizer first, and preload its runtime::

    PYFIXMSG_PLUS_BOUNDS_CHECK=1 python3 scripts/build_one.py framing encoder parser
    PYTHONMALLOC=malloc LD_PRELOAD=$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 \\
        python3 scripts/fuzz_wire.py -runs=2000000
    python3 scripts/build_one.py framing encoder parser   # the normal build again

(``PYTHONMALLOC=malloc`` lets the sanitizer see every Python object allocation: the compiled parser writes dict
tables and str objects directly.)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
FAST_PARSER = _impl.compiled("parser")
SLOW_PARSER = _impl.pure("parser")
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


def _parsers() -> list[Any]:
    """(compiled, pure) MessageParsers with the built-in FIX 4.4 group layouts; empty without the compiled twin."""
    if FAST_PARSER is None:
        return []
    from pyfixmsg_plus.message.codec import build_layouts
    from pyfixmsg_plus.message.dictionary import load_builtin
    from pyfixmsg_plus.message.fixmessage import RepeatingGroup

    layouts = build_layouts(load_builtin("FIX.4.4"))
    return [
        module.MessageParser(module.compile_layouts(layouts), dict, RepeatingGroup, None)
        for module in (FAST_PARSER, SLOW_PARSER)
    ]


PARSERS = _parsers()


def _plain(value: Any) -> Any:
    """Nested dicts and groups as plain structures with their types, for exact comparison."""
    if isinstance(value, dict):
        return (type(value).__name__, [(k, _plain(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, getattr(value, "number_tag", None), [_plain(v) for v in value])
    return value


def check_parse(data: bytes) -> None:
    """The compiled parser gives what the pure one gives (a message or None), on any bytes."""
    if not PARSERS:
        return
    from pyfixmsg_plus.message.fixmessage import FixMessage

    fast, slow = (parser.parse(data, FixMessage) for parser in PARSERS)
    if _plain(fast) != _plain(slow):
        raise AssertionError(f"parse differs on {data!r}: compiled {fast!r}, pure {slow!r}")


def check_one_frame(data: bytes, sep: int) -> None:
    """``Framer.msgtype_if_one_frame``: compiled and pure agree on any bytes."""
    if FAST is None:
        return
    fast = FAST.Framer(sep=sep).msgtype_if_one_frame(data)
    slow = SLOW.Framer(sep=sep).msgtype_if_one_frame(data)
    if fast != slow:
        raise AssertionError(f"msgtype_if_one_frame differs on {data!r}: compiled {fast!r}, pure {slow!r}")


def one_input(data: bytes) -> None:
    """The fuzz target: every check for one input."""
    selector = data[0] if data else 0
    body = data[1:]
    sep = (1, ord("|"), 0, 255)[selector & 3]
    for prefix in PREFIXES:
        check_split(prefix + body, sep, bool(selector & 4), 64 if selector & 8 else 1 << 20)
        check_one_frame(prefix + body, sep)
        check_parse(prefix + body)
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
