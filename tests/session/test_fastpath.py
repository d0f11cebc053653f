"""The inbound fast path: the RunScanner twins, and sessions that take it give exactly the slow path's outcome."""

from __future__ import annotations

import dataclasses
import functools
import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_session_rules import T0, THEM, US, msg, ts

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session import (
    BatchReceived,
    MessageReceived,
    Output,
    Session,
    SessionConfig,
    SessionState,
    StoreInbound,
    StoreInboundRun,
)
from pyfixmsg_plus.session.fastlane import scanner_checks

MD = "X"


@functools.cache
def validator() -> Validator:
    return Validator(load_builtin("FIX.4.4"))


def md(seqnum: int, now: float = T0, entries: int = 1, price: str = "1.5", action: str = "0", **kw: Any) -> bytes:
    body: list[tuple[int, object]] = [(268, entries)]
    for k in range(entries):
        body += [(279, action), (269, "0"), (55, "EUR/USD"), (270, price), (271, str(100 + k))]
    return msg(MD, seqnum, now, *body, **kw)


def session(validate: bool = True, fast: bool = True, **settings_: object) -> Session:
    config = SessionConfig("FIX.4.4", US, THEM, batch_msg_types=frozenset({MD}), **settings_)  # type: ignore[arg-type]
    s = Session(config, validator() if validate else None)
    s.connection_made(T0)
    s.receive_data(msg("A", 1, T0, (98, 0), (108, 30)), T0)
    assert s.state is SessionState.ACTIVE
    if not fast:
        s._fast.disable()
        assert (s._fast.batch, s._fast.app) == (None, None)
    return s


def scanner(impl: Any, **kw: Any) -> Any:
    options = {"check_comp_ids": True, "max_latency": 120.0, "validate": False, **kw}
    return impl.fastpath.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], **options)


def index_of(impl: Any, data: bytes) -> Any:
    return impl.framing.Framer().feed(data)


# ---------------------------------------------------------------------- the scanner alone
def test_a_run_stops_at_the_first_frame_that_needs_the_slow_path(impl: Any) -> None:
    data = md(5) + md(6) + md(8) + md(9)
    assert scanner(impl).scan(index_of(impl, data), 0, 5, 0, T0) == 2  # 8 is not the expected 7
    assert scanner(impl).scan(index_of(impl, data), 2, 8, 0, T0) == 2


@pytest.mark.parametrize(
    "frame",
    [
        md(5, sender="OTHER"),
        md(5, target="OTHER"),
        md(5, begin="FIX.4.2"),
        md(5, header=[(43, "Y"), (122, ts(T0))]),
        md(5, header=[(97, "N")]),
        md(5, now=T0 - 119.5),  # inside MaxLatency, but not by a whole second
        md(5, now=T0 + 200),
        md(5, sending_time="20231114-22:13:20.000x"),
        msg("D", 5, T0, (11, "a")),
    ],
    ids=["sender", "target", "begin", "possdup", "possresend", "near-latency", "late", "bad-time", "type"],
)
def test_frames_that_need_a_rule_applied_do_not_pass(impl: Any, frame: bytes) -> None:
    assert scanner(impl).scan(index_of(impl, frame), 0, 5, 0, T0) == 0


def test_without_checks_comp_ids_and_latency_are_not_looked_at(impl: Any) -> None:
    relaxed = scanner(impl, check_comp_ids=False, max_latency=None)
    assert relaxed.scan(index_of(impl, md(5, sender="OTHER", now=T0 + 900)), 0, 5, 0, T0) == 1


def test_frames_before_not_before_and_garbled_spans_stop_a_run(impl: Any) -> None:
    data = md(5) + b"8=FIX.4.4\x019=5\x0135=X\x0110=000\x01" + md(6)
    index = index_of(impl, data)
    assert scanner(impl).scan(index, 0, 5, 0, T0) == 1
    assert scanner(impl).scan(index, 0, 5, len(data), T0) == 0


def test_validation_needs_a_learnt_shape_and_values_that_pass_its_checks(impl: Any) -> None:
    scan = scanner(impl, validate=True)
    good = md(5, entries=2)
    index = index_of(impl, good)
    assert scan.scan(index, 0, 5, 0, T0) == 0  # nothing learnt yet
    pairs = impl.parser.parse_pairs(good)
    validator().validate(pairs)
    spec = validator().shape_spec(pairs)
    assert spec is not None
    scan.learn([t for t, _ in pairs], scanner_checks(spec))
    assert scan.shapes == 1
    assert scan.scan(index, 0, 5, 0, T0) == 1
    for bad in (md(5, entries=2, price="1.2.3"), md(5, entries=2, action="9"), md(5, entries=1)):
        assert scan.scan(index_of(impl, bad), 0, 5, 0, T0) == 0, bad
    scan.clear()
    assert scan.shapes == 0 and scan.scan(index, 0, 5, 0, T0) == 0


def test_learn_refuses_mismatched_tables_and_unknown_kinds(impl: Any) -> None:
    scan = scanner(impl, validate=True)
    with pytest.raises(ValueError, match="2 tags but 1 checks"):
        scan.learn([8, 9], [(0, None)])
    with pytest.raises(ValueError, match="unknown value check kind"):
        scan.learn([8], [(42, None)])


_VALUE = st.binary(max_size=14) | st.text("0123456789.-:YN ", max_size=24).map(str.encode)


@settings(max_examples=300, deadline=None)
@given(_VALUE)
def test_compiled_value_checks_agree_with_the_pure_ones(value: bytes) -> None:
    compiled = _impl.compiled("fastpath")
    if compiled is None:
        pytest.skip("compiled fastpath not built (or extensions disabled)")
    pure = _impl.pure("fastpath")
    value = value.replace(b"\x01", b"") or b"0"
    frame = msg(MD, 5, T0, (268, 1), (279, "0"), (269, "0"), (270, value.decode("latin-1")))
    fields = pure.__dict__["_tokenize"](frame)
    if fields is None:
        return
    tags = fields[0]
    for kind in range(pure.CHECK_NONE, pure.CHECK_ENUM):
        checks: list[tuple[int, bytes | None]] = [(pure.CHECK_NONE, None)] * len(tags)
        checks[-2] = (kind, value if kind == pure.CHECK_EQUAL else None)
        results = []
        for module in (pure, compiled):
            scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=120.0)
            scan.learn(list(tags), checks)
            results.append(scan.scan(module_index(module, frame), 0, 5, 0, T0))
        assert results[0] == results[1], (kind, value)


def module_index(fastpath_module: Any, frame: bytes) -> Any:
    framing = _impl.pure("framing") if fastpath_module is _impl.pure("fastpath") else _impl.compiled("framing")
    assert framing is not None, "the compiled fastpath module is built without the compiled framer"
    return framing.Framer().feed(frame)


# ---------------------------------------------------------------------- sessions: same outcome either way
def normalised(outputs: list[Output]) -> tuple[list[Any], list[int]]:
    """Outputs with storage taken apart: the other outputs in order (batches as their frames), and every
    stored MsgSeqNum in order (the fast path stores a run where the slow path stores frames one by one)."""
    events: list[Any] = []
    numbers: list[int] = []
    for o in outputs:
        if isinstance(o, StoreInbound):
            numbers.append(o.seqnum)
        elif isinstance(o, StoreInboundRun):
            numbers.extend(range(o.first_seqnum, o.first_seqnum + o.count))
        elif isinstance(o, BatchReceived):
            events.append(("batch", o.index.frames()))
        elif isinstance(o, MessageReceived):
            events.append((o.msg_type, o.seqnum, o.pairs, o.frame, o.is_admin, o.poss_dup))
        else:
            events.append(dataclasses.astuple(o) if dataclasses.is_dataclass(o) else o)
    return events, numbers


def frame_for(kind: str, seqnum: int, now: float) -> bytes:
    match kind:
        case "md":
            return md(seqnum, now)
        case "md2":
            return md(seqnum, now, entries=2, price="2.25")
        case "bad-price":
            return md(seqnum, now, price="1.2.3")
        case "bad-enum":
            return md(seqnum, now, action="7")
        case "count":
            return msg(MD, seqnum, now, (268, 2), (279, "0"), (269, "0"), (270, "1"))
        case "possdup":
            return md(seqnum, now, header=[(43, "Y"), (122, ts(now - 1))])
        case "sender":
            return md(seqnum, now, sender="OTHER")
        case "late":
            return md(seqnum, now - 119.5)
        case "order":
            return msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(now)), (40, "1"))
        case "order2":
            return msg(
                "D", seqnum, now, (11, "d"), (21, "1"), (55, "Y"), (54, "2"), (60, ts(now)), (40, "2"), (44, "9.5")
            )
        case "bad-side":
            return msg("D", seqnum, now, (11, "c"), (21, "1"), (55, "X"), (54, "Q"), (60, ts(now)), (40, "1"))
        case "heartbeat":
            return msg("0", seqnum, now)
        case _:
            return b"8=FIX.4.4\x019=7\x0135=X\x0110=000\x01"


KINDS = ["md", "md", "md", "md2", "bad-price", "bad-enum", "count", "possdup", "sender", "late", "order",
         "order", "order2", "bad-side", "heartbeat", "garbage"]  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from([0, 0, 0, 0, 1, 2, -1])), min_size=1, max_size=30),
    st.lists(st.integers(0, 10_000), max_size=4),
    st.booleans(),
)
def test_a_session_with_the_fast_path_gives_the_slow_paths_outcome(
    plan: list[tuple[str, int]], cuts: list[int], validate: bool
) -> None:
    fast, slow = session(validate), session(validate, fast=False)
    seqnum, stream = 2, b""
    for kind, skip in plan:
        seqnum = max(2, seqnum + skip)
        stream += frame_for(kind, seqnum, T0)
        seqnum += 1
    bounds = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        now = T0 + k * 0.25
        assert normalised(fast.receive_data(stream[lo:hi], now)) == normalised(slow.receive_data(stream[lo:hi], now))
    assert (fast.state, fast.next_target_seqnum) == (slow.state, slow.next_target_seqnum)


def test_the_fast_path_takes_learnt_shapes_after_the_first_message() -> None:
    s = session()
    first = s.receive_data(md(2), T0)
    assert [type(o) for o in first if isinstance(o, StoreInbound | StoreInboundRun)] == [StoreInbound]
    out = s.receive_data(b"".join(md(n) for n in range(3, 50)), T0)
    [run] = [o for o in out if isinstance(o, StoreInboundRun)]
    assert (run.first_seqnum, run.count) == (3, 47)
    assert [o for o in out if isinstance(o, StoreInbound)] == []
    assert s.next_target_seqnum == 50


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=3)), max_size=6), st.booleans())
def test_compiled_and_pure_scanners_agree_on_mutated_streams(mutations: list[tuple[int, bytes]], cut: bool) -> None:
    """Fuzz: frames with bytes overwritten or inserted anywhere; the compiled scanner never fails and counts
    exactly as the pure one does from every span."""
    compiled = _impl.compiled("fastpath")
    if compiled is None:
        pytest.skip("compiled fastpath not built (or extensions disabled)")
    pure = _impl.pure("fastpath")
    data = bytearray(md(5, entries=2) + md(6) + md(7, entries=3))
    for at, chunk in mutations:
        at %= len(data)
        data[at : at + (len(chunk) if cut else 0)] = chunk
    learnt = [_impl.pure("parser").parse_pairs(f) for f in (md(5, entries=2), md(6))]
    counts = []
    for module in (pure, compiled):
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=120.0)
        for pairs in learnt:
            scan.learn([t for t, _ in pairs], scanner_checks(validator().shape_spec(pairs) or []))
        index = module_index(module, bytes(data))
        counts.append([scan.scan(index, start, seq, 0, T0) for start in range(len(index)) for seq in (5, 6, 7)])
    assert counts[0] == counts[1]


def test_application_messages_take_the_fast_path_once_their_type_was_accepted() -> None:
    s = session()
    fields = ((11, "c"), (21, "1"), (55, "X"), (54, "1"), (60, ts(T0)), (40, "1"))

    def order(seqnum: int) -> bytes:
        return msg("D", seqnum, T0, *fields)

    first = s.receive_data(order(2), T0)
    assert [type(o).__name__ for o in first if isinstance(o, StoreInbound | StoreInboundRun)] == ["StoreInbound"]
    out = s.receive_data(b"".join(order(n) for n in range(3, 13)), T0)
    [run] = [o for o in out if isinstance(o, StoreInboundRun)]
    assert (run.first_seqnum, run.count) == (3, 10)
    received = [o for o in out if isinstance(o, MessageReceived)]
    assert [(m.msg_type, m.seqnum, m.get(11)) for m in received] == [("D", n, b"c") for n in range(3, 13)]
    assert not any(m.is_admin or m.poss_dup for m in received)


# ---------------------------------------------------------------------- shapes are learnt once


def learnt_scanner(impl: Any, frame: bytes) -> tuple[Any, list[tuple[int, bytes]]]:
    """A validating scanner that learnt the shape of ``frame``, and the frame's pairs."""
    scan = scanner(impl, validate=True)
    pairs = list(impl.parser.parse_pairs(frame))
    scan.learn([t for t, _ in pairs], scanner_checks(validator().shape_spec(pairs) or []))
    return scan, pairs


def test_knows_a_learnt_shape_only_with_its_msgtype_and_group_counts(impl: Any) -> None:
    scan = scanner(impl, validate=True)
    pairs = list(impl.parser.parse_pairs(md(5, entries=2)))
    assert not scan.knows(pairs)
    scan, pairs = learnt_scanner(impl, md(5, entries=2))
    assert scan.knows(pairs)
    # another message of the same shape (other values outside MsgType and NumInGroup) is known too
    assert scan.knows(list(impl.parser.parse_pairs(md(9, entries=2, price="2.25"))))
    # the same tag sequence under another MsgType(35) shares the slot but is not the learnt shape
    other_type = [(tag, b"W" if tag == 35 else value) for tag, value in pairs]
    assert not scan.knows(other_type)
    other_count = [(tag, b"3" if tag == 268 else value) for tag, value in pairs]
    assert not scan.knows(other_count)
    assert not scan.knows(list(impl.parser.parse_pairs(md(5, entries=1))))
    assert not scan.knows([]) and not scan.knows([(1_000_000_000, b"1")])


class CountingValidator:
    """The FIX 4.4 validator, counting the shape descriptions asked of it."""

    def __init__(self) -> None:
        self.shape_specs = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(validator(), name)

    def shape_spec(self, pairs: Any) -> Any:
        self.shape_specs += 1
        return validator().shape_spec(pairs)


def test_a_second_slow_path_accept_of_a_known_shape_does_not_learn_it_again() -> None:
    from pyfixmsg_plus.session.fastlane import FastLane

    counting = CountingValidator()
    config = SessionConfig("FIX.4.4", US, THEM, batch_msg_types=frozenset({MD}))
    lane = FastLane(config, counting)
    parse = _impl.load("parser").parse_pairs
    lane.learn_batch(list(parse(md(5, entries=2))))
    assert (counting.shape_specs, lane.batch.shapes) == (1, 1)
    lane.learn_batch(list(parse(md(6, entries=2, price="3"))))
    assert (counting.shape_specs, lane.batch.shapes) == (1, 1)  # known: no description, no new shape
    lane.learn_batch(list(parse(md(7, entries=3))))
    assert (counting.shape_specs, lane.batch.shapes) == (2, 2)  # a new tag sequence is learnt


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=4), st.integers(0, 12), st.binary(max_size=3))
def test_compiled_and_pure_scanners_agree_on_knows(entries: list[int], position: int, value: bytes) -> None:
    compiled = _impl.compiled("fastpath")
    if compiled is None:
        pytest.skip("compiled fastpath not built (or extensions disabled)")
    parse = _impl.pure("parser").parse_pairs
    learnt = [list(parse(md(5, entries=n))) for n in entries]
    probe = list(parse(md(6, entries=entries[-1])))
    probe[position % len(probe)] = (probe[position % len(probe)][0], value)
    answers = []
    for module in (_impl.pure("fastpath"), compiled):
        scan = module.RunScanner(b"FIX.4.4", THEM.encode(), US.encode(), [b"X"], max_latency=120.0)
        for pairs in learnt:
            scan.learn([t for t, _ in pairs], scanner_checks(validator().shape_spec(pairs) or []))
        answers.append([scan.knows(pairs) for pairs in learnt] + [scan.knows(probe)])
    assert answers[0] == answers[1]
