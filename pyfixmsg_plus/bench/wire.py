"""Wire-layer benchmarks: split + verify, parse to a message, encode — compiled, pure and simplefix in one run.

Every figure comes from the same corpus in the same process, so the ratios are what matter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from pyfixmsg_plus import _impl
from pyfixmsg_plus.bench.c_baseline import build_baseline
from pyfixmsg_plus.bench.corpus import CorpusMessage, generate, stream
from pyfixmsg_plus.bench.timing import Measurement, best_time
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.fixmessage import FixFragment

OPERATIONS = ("split + verify", "parse to message", "encode")


@dataclass(frozen=True)
class Case:
    """One thing to time: an operation, who does it, and the callable doing the whole corpus once."""

    operation: str
    implementation: str
    run: Callable[[], object]
    #: messages (and bytes) one run handles, when not the whole corpus
    portion: tuple[int, int] | None = None


def _implementations() -> dict[str, tuple[ModuleType, ModuleType, ModuleType]]:
    """(framing, parser, encoder) modules per available implementation."""
    impls = {}
    compiled = [_impl.compiled(name) for name in ("framing", "parser", "encoder")]
    if all(m is not None for m in compiled):
        impls["compiled"] = tuple(compiled)
    impls["pure"] = tuple(_impl.pure(name) for name in ("framing", "parser", "encoder"))
    return impls  # type: ignore[return-value]


SOCKET_READ = 65536  # bytes per append_buffer call: what one socket read typically hands a parser
#: messages simplefix is fed at once in its whole-stream row: its parser's time grows with the square of the
#: buffer (about 3 minutes a run for 200,000 messages), so larger corpora use their first WHOLE_STREAM_MAX messages
WHOLE_STREAM_MAX = 20_000


def _simplefix_cases(messages: list[CorpusMessage], data: bytes) -> list[Case]:
    """simplefix's FixParser fed in socket-sized reads (the reference for ratios) and fed the whole stream at once."""
    try:
        import simplefix
    except ImportError:
        return []

    def parse_stream(read_size: int, stream_bytes: bytes = data) -> int:
        parser = simplefix.FixParser()
        n = 0
        for start in range(0, len(stream_bytes), read_size):
            parser.append_buffer(stream_bytes[start : start + read_size])
            while parser.get_message() is not None:
                n += 1
        return n

    def encode() -> None:
        for message in messages:
            out = simplefix.FixMessage()
            out.append_pair(8, "FIX.4.4", header=True)
            for tag, value in message.fields:
                out.append_pair(tag, value)
            out.encode()

    def socket_reads() -> int:
        return parse_stream(SOCKET_READ)

    whole = messages[:WHOLE_STREAM_MAX]
    whole_data = data if len(whole) == len(messages) else stream(whole)

    def whole_stream() -> int:
        return parse_stream(len(whole_data), whole_data)

    # simplefix has no split-only mode: its FixParser always parses the fields, so the same run serves both rows
    return [
        Case("split + verify", "simplefix", socket_reads),
        Case("parse to message", "simplefix", socket_reads),
        Case("parse to message", "simplefix, whole stream", whole_stream, (len(whole), len(whole_data))),
        Case("encode", "simplefix", encode),
    ]


def _our_cases(
    name: str, modules: tuple[ModuleType, ...], messages: list[CorpusMessage], data: bytes
) -> list[Case]:
    framing, parser, encoder = modules
    frames = [m.frame for m in messages]
    field_lists = [m.fields for m in messages]
    # FixMessage with every field and groups recognised through the built-in FIX 4.4 dictionary
    parse_frame = Codec(spec=load_builtin("FIX.4.4"), fragment_class=FixFragment, parser=parser).parse_message

    def split() -> object:
        return framing.split_frames(data)

    def parse() -> None:
        for frame in frames:
            parse_frame(frame)

    def encode() -> None:
        encode_message = encoder.encode_message
        for fields in field_lists:
            encode_message("FIX.4.4", fields)

    return [
        Case("split + verify", name, split),
        Case("parse to message", name, parse),
        Case("encode", name, encode),
    ]


def _limit_cases(data: bytes) -> list[Case]:
    """The C memchr/byte-sum loop: what no framer on this machine can beat."""
    count_frames = build_baseline()
    if count_frames is None:
        return []
    return [Case("split + verify", "C byte-sum loop (limit)", lambda: count_frames(data))]


def build_cases(count: int, seed: int = 44) -> tuple[list[CorpusMessage], bytes, list[Case]]:
    messages = generate(count, seed=seed)
    data = stream(messages)
    cases: list[Case] = []
    for name, modules in _implementations().items():
        cases += _our_cases(name, modules, messages, data)
    cases += _simplefix_cases(messages, data)
    cases += _limit_cases(data)
    return messages, data, cases


def run_wire(
    count: int = 20_000,
    repeat: int = 5,
    on_case: Callable[[Case, int], None] | None = None,
) -> list[Measurement]:
    """Time every case on a corpus of ``count`` messages.

    ``on_case(case, total)`` is called before each case, for progress reporting.
    """
    messages, data, cases = build_cases(count)
    results = []
    for case in cases:
        if on_case is not None:
            on_case(case, len(cases))
        seconds = best_time(case.run, repeat)
        handled, size = case.portion or (len(messages), len(data))
        results.append(Measurement(case.operation, case.implementation, handled, size, seconds))
    return results
