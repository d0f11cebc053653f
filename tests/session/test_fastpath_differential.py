"""Differential properties: the compiled RunScanner counts exactly as the pure twin on frames whose header
fields are repeated, moved, missing or flagged, whose SendingTime(52) crosses dates, and whose shapes carry
every value check kind, enums of one-byte, longer and unpackable values included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_session_rules import T0, THEM, US, ts

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.encoder import encode_message

CHECK_KINDS = range(0, 9)  # CHECK_NONE .. CHECK_ENUM (CHECK_CALL is covered in test_fastpath.py)
LATENCY = 120.0
MIDNIGHT = 1_700_092_800.0  # 2023-11-16 00:00:00 UTC: frames around it carry two dates


def twins() -> tuple[Any, Any]:
    compiled = _impl.compiled("fastpath")
    if compiled is None:
        pytest.skip("compiled fastpath not built (or extensions disabled)")
    return _impl.pure("fastpath"), compiled


def index_for(fastpath_module: Any, data: bytes) -> Any:
    name = "framing"
    framing = _impl.pure(name) if fastpath_module is _impl.pure("fastpath") else _impl.compiled(name)
    assert framing is not None
    return framing.Framer().feed(data)


def tags_and_values(frame: bytes) -> tuple[list[int], list[bytes]]:
    fields = [field.split(b"=", 1) for field in frame.split(b"\x01")[:-1]]
    return [int(tag) for tag, _ in fields], [value for _, value in fields]


# SendingTime(52) values: well inside MaxLatency, at its edges, another date, malformed calendar values
_BAD_SENDING_TIMES = [
    ts(MIDNIGHT - LATENCY - 1.0),
    ts(MIDNIGHT + LATENCY - 1.0),
    ts(MIDNIGHT - LATENCY + 1.0),
    ts(MIDNIGHT + 3 * 86400),
    ts(T0),
    "20231115-23:59:60",
    "20231131-00:00:01",
    "20231116-00:00:01.1234567890123",
    "00000101-00:00:00",
    "20231116-24:00:00",
    "2023111600:00:01",
]


def mostly(good: object, bad: Sequence[object], odds: int = 4) -> st.SearchStrategy[object]:
    """``good`` but once in ``odds`` one of ``bad``: many drawn frames pass, so both outcomes are met."""
    # sampled_from leans to its first items: the good value first and bad last keeps the odds near 1 / odds
    return st.sampled_from([True] * (odds - 1) + [False]).flatmap(
        lambda good_one: st.just(good) if good_one else st.sampled_from(bad)
    )


@st.composite
def frames(draw: st.DrawFn, seqnum: int) -> bytes:
    """A frame with the session's header fields, sometimes repeated, missing, moved, flagged or wrong."""
    header: list[tuple[int, object]] = [
        (34, draw(mostly(seqnum, [seqnum + 1, f"0{seqnum}"]))),
        (49, draw(mostly(THEM, [US, "T"]))),
        (52, draw(mostly(ts(MIDNIGHT + draw(st.sampled_from([-1.5, 0.25, 30.0]))), _BAD_SENDING_TIMES))),
        (56, draw(mostly(US, [THEM, "ISLD2"]))),
    ]
    variant = draw(st.integers(0, 3))
    if variant == 2:  # a header field repeated with another value, before or after the first (the first counts)
        tag, _ = draw(st.sampled_from(header))
        other = {34: seqnum + 1, 49: US, 52: _BAD_SENDING_TIMES[0], 56: THEM}[tag]
        header.insert(draw(st.integers(0, len(header))), (tag, other))
    elif variant == 3:  # repeats, omissions and the flags of a possible duplicate
        header = draw(st.lists(st.sampled_from(header), min_size=2, max_size=6))
        header += draw(st.lists(st.sampled_from([(43, "Y"), (97, "N"), (122, ts(MIDNIGHT))]), max_size=1))
    body = [(268, 1), (279, draw(st.sampled_from(["0", "12", "x"]))), (270, draw(st.sampled_from(["1.5", "-2", "Y"])))]
    if not draw(mostly(True, [False])):
        header = draw(st.permutations(header))
    return encode_message("FIX.4.4", [(35, "X"), *header, *body])


@st.composite
def checks_for(draw: st.DrawFn, values: list[bytes]) -> list[tuple[int, Any]]:
    """One drawn value check per position, one the value passes nearly always; EQUAL and ENUM arguments
    hold the frame's own value or not."""
    pure = _impl.pure("fastpath")
    checks: list[tuple[int, Any]] = []
    for value in values:
        passing = [0, *(k for k in range(2, 8) if pure.__dict__["_check_function"](k, None)(value))]
        kind = draw(st.sampled_from([*passing, 1, 8]) if draw(st.integers(0, 40)) else st.sampled_from(CHECK_KINDS))
        argument: Any = None
        if kind == 1:
            argument = draw(mostly(value, [value + b"0"], odds=30))
        elif kind == 8:
            argument = draw(enum_values(value))
        checks.append((kind, argument))
    return checks


def enum_values(value: bytes) -> st.SearchStrategy[frozenset[bytes]]:
    """Enum sets packed (one byte, up to 7 bytes, up to 64 values) and not (longer values, more values)."""
    other = st.binary(min_size=1, max_size=9).filter(lambda b: b"\x01" not in b)
    return st.tuples(st.lists(other, max_size=70), mostly(True, [False], odds=30)).map(
        lambda drawn: frozenset(drawn[0]) | ({value} if drawn[1] else set())
    )


def scanners(options: dict[str, Any], learnt: list[tuple[list[int], list[tuple[int, Any]]]]) -> list[Any]:
    made = []
    for module in twins():
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], **options)
        for tags, checks in learnt:
            scan.learn(tags, checks)
        made.append(scan)
    return made


_OPTIONS = st.fixed_dictionaries(
    {
        "check_comp_ids": st.booleans(),
        "max_latency": st.sampled_from([None, LATENCY, 3.0]),
        "validate": st.booleans(),
    }
)


@settings(max_examples=300, deadline=None)
@given(st.data(), _OPTIONS, st.sampled_from([MIDNIGHT, MIDNIGHT + 60.0, T0]))
def test_compiled_and_pure_scanners_agree_on_drawn_headers_and_checks(
    data: st.DataObject, options: dict[str, Any], now: float
) -> None:
    stream = [data.draw(frames(5 + k)) for k in range(3)]
    learnt = []
    for frame in stream:
        tags, values = tags_and_values(frame)
        learnt.append((tags, data.draw(checks_for(values))))
    blob = b"".join(stream)
    counts = []
    for fastpath_module, scan in zip(twins(), scanners(options, learnt), strict=True):
        index = index_for(fastpath_module, blob)
        counts.append([scan.scan(index, start, 5 + start, 0, now) for start in range(len(index))])
        counts.append([scan.passes_frame(frame, b"X", 5 + k, now) for k, frame in enumerate(stream)])
    event(f"validate={options['validate']} passed={sum(counts[0]) > 0}")
    assert counts[:2] == counts[2:]


@settings(max_examples=200, deadline=None)
@given(st.data(), enum_values(b"0"))
def test_compiled_and_pure_enum_checks_agree(data: st.DataObject, allowed: frozenset[bytes]) -> None:
    other = st.binary(min_size=1, max_size=9).filter(lambda b: b"\x01" not in b)
    value = data.draw((st.sampled_from(sorted(allowed)) if allowed else st.nothing()) | other)
    frame = encode_message("FIX.4.4", [(35, "X"), (34, 5), (49, THEM), (52, ts(T0)), (56, US), (58, value)])
    tags, _ = tags_and_values(frame)
    checks: list[tuple[int, Any]] = [(0, None)] * len(tags)
    checks[-2] = (8, allowed)
    results = [scan.passes_frame(frame, b"X", 5, T0) for scan in scanners({"max_latency": LATENCY}, [(tags, checks)])]
    assert results[0] == results[1] == (value in allowed)


def test_a_run_across_midnight_passes_on_both_dates(impl: Any) -> None:
    """SendingTime(52) dates change inside a run: each frame's own date counts (the compiled day cache)."""
    times = [MIDNIGHT - 2.0, MIDNIGHT + 2.0, MIDNIGHT - 2.0, MIDNIGHT + 200.0, MIDNIGHT + 3.0]
    stream = [encode_message("FIX.4.4", [(35, "X"), (34, 5 + k), (49, THEM), (52, ts(t)), (56, US)])
              for k, t in enumerate(times)]  # fmt: skip
    scan = impl.fastpath.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=LATENCY, validate=False)
    index = impl.framing.Framer().feed(b"".join(stream))
    assert scan.scan(index, 0, 5, 0, MIDNIGHT) == 3  # the fourth is 200 s late
    assert scan.scan(index, 4, 9, 0, MIDNIGHT) == 1


_HEADER = {34: 5, 49: THEM, 52: ts(MIDNIGHT), 56: US}
_WRONG = {34: 6, 49: US, 52: ts(MIDNIGHT - 1000.0), 56: THEM}


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("tag", sorted(_HEADER))
@pytest.mark.parametrize("right_first", [True, False])
def test_the_first_of_a_repeated_header_field_counts(impl: Any, validate: bool, tag: int, right_first: bool) -> None:
    """MsgSeqNum(34), SenderCompID(49), SendingTime(52), TargetCompID(56): the first occurrence is the one
    checked, found by the tag walk (no shape) or kept in the learnt shape."""
    header = [(t, v) for t, v in _HEADER.items()]
    repeat = (tag, _WRONG[tag])
    at = next(k for k, (t, _) in enumerate(header) if t == tag) + (1 if right_first else 0)
    header.insert(at, repeat)
    frame = encode_message("FIX.4.4", [(35, "X"), *header, (58, "x")])
    tags, _ = tags_and_values(frame)
    scan = impl.fastpath.RunScanner(
        b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=LATENCY, validate=validate
    )
    scan.learn(tags, [(0, None)] * len(tags))
    index = impl.framing.Framer().feed(frame)
    assert scan.scan(index, 0, 5, 0, MIDNIGHT) == (1 if right_first else 0)
    assert scan.passes_frame(frame, b"X", 5, MIDNIGHT) is right_first


def test_an_enum_given_as_an_iterator_is_read_once(impl: Any) -> None:
    frame = encode_message("FIX.4.4", [(35, "X"), (34, 5), (49, THEM), (52, ts(T0)), (56, US), (58, "AB")])
    tags, _ = tags_and_values(frame)
    checks: list[tuple[int, Any]] = [(0, None)] * len(tags)
    checks[-2] = (8, iter([b"A", b"AB", b"ABCDEFGHI"]))
    scan = impl.fastpath.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=LATENCY)
    scan.learn(tags, checks)
    assert scan.passes_frame(frame, b"X", 5, T0)
