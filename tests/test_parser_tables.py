"""The parser's messages are ordinary dicts afterwards (both twins; the compiled one writes CPython 3.11's dict
table and str objects directly): equality, order, look-ups, mutation, GC tracking, and the codec's bound
``parse_message`` following its settings."""

from __future__ import annotations

import copy
import gc
import sys
from typing import Any

import pytest
from conftest import IMPLEMENTATIONS, Impl
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus.message.codec import Codec, build_layouts
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
from pyfixmsg_plus.message.reference import FixSpec


def wire(fields: list[tuple[int, str]]) -> bytes:
    return b"".join(b"%d=%s\x01" % (tag, value.encode()) for tag, value in fields)


def expected_dict(fields: list[tuple[int, str]]) -> dict[int, str]:
    """What a dict filled in wire order holds: first-seen key order, the last value of a repeated tag."""
    result: dict[int, str] = {}
    for tag, value in fields:
        result[tag] = value
    return result


# Tags from a small pool (repeats, and tags sharing low bits so that probes collide), tags above the parser's
# shared-int range (10,000) and huge ones; values ASCII of 0-12 characters or UTF-8.
tag_st = st.one_of(
    st.sampled_from([1, 9, 17, 25, 33, 35, 41, 49, 57, 65, 129, 257, 513, 1025, 9999]),
    st.integers(min_value=1, max_value=12000),
    st.integers(min_value=10_000, max_value=999_999_999),
)
value_st = st.one_of(
    st.text(alphabet="abcXYZ0123456789.-", max_size=12),
    st.text(alphabet="éü€日", min_size=1, max_size=3),
)


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(tag_st, value_st), min_size=1, max_size=120), st.integers(min_value=0, max_value=3))
def test_flat_message_is_an_ordinary_dict(name: str, fields: list[tuple[int, str]], warmups: int) -> None:
    """Any mix of repeated, colliding and large tags gives the dict a Python loop would build, which then
    behaves as one (look-ups, deletes, re-inserts, copies); warm-ups of other sizes move the size hint."""
    impl_parser = Impl(name=name).parser
    # MsgType first; MessageEncoding(347) sends a frame to the lenient path (None here)
    fields = [(35, "X")] + [(tag, value) for tag, value in fields if tag not in (35, 347)]
    parser = impl_parser.MessageParser({"X": {}}, FixFragment, RepeatingGroup, None)
    for size in range(warmups):
        parser.parse(wire([(35, "X")] + [(5000 + i, "w") for i in range(size * 40)]), FixMessage)
    msg = parser.parse(wire(fields), FixMessage)
    expected = expected_dict(fields)
    assert msg == expected and list(msg) == list(expected) and len(msg) == len(expected)
    for tag, value in expected.items():
        assert msg[tag] == value and tag in msg and type(msg[tag]) is str
    assert msg.get(10**12) is None and 10**12 not in msg
    clone = copy.copy(msg)
    first = next(iter(expected))
    del msg[first]
    msg[first] = "again"
    msg[10**12] = "new"
    assert list(msg)[-2:] == [first, 10**12] and msg[first] == "again" and clone == expected
    assert dict(msg.items()) == {**{k: v for k, v in expected.items() if k != first}, first: "again", 10**12: "new"}


def test_values_are_exact_strs_that_hash_and_compare(impl_parser: Any) -> None:
    """Values made straight from the frame are ordinary str objects: hashable, interned on demand, ''."""
    msg = impl_parser.MessageParser(None, FixFragment, RepeatingGroup, None).parse(
        wire([(35, "D"), (55, "AAPL"), (58, ""), (11, "x" * 300)]), FixMessage
    )
    assert {msg[55]: 1}["AAPL"] == 1 and hash(msg[55]) == hash("AAPL")
    assert msg[58] == "" and len(msg[11]) == 300 and msg[11].isascii()
    assert sys.intern(msg[55]) == "AAPL" and msg[55].encode() == b"AAPL" and msg[55][1:] == "APL"


@pytest.fixture(scope="module")
def layouts44() -> dict[str, Any]:
    return build_layouts(FixSpec.from_builtin("FIX.4.4"))


def test_plain_dict_entries_holding_groups_are_gc_tracked(impl_parser: Any, layouts44: Any) -> None:
    """A plain-dict entry holding a nested group must be tracked by the GC (a reference cycle through it is
    collectable), whichever way its fields were written."""
    frame = wire([
        (35, "D"), (11, "1"), (453, "1"), (448, "P1"), (447, "D"), (452, "1"),
        (802, "1"), (523, "s1"), (803, "1"), (55, "AAPL"),
    ])  # fmt: skip
    parser = impl_parser.MessageParser(impl_parser.compile_layouts(layouts44), dict, RepeatingGroup, None)
    msg = parser.parse(frame, FixMessage)
    party = msg[453][0]
    assert type(party) is dict and isinstance(party[802], RepeatingGroup)
    assert gc.is_tracked(party) and gc.is_tracked(msg)
    party["cycle"] = party  # collectable only if tracked
    del party, msg
    assert gc.collect() >= 0


def test_bound_parse_message_follows_encoding_changes(impl_parser: Any) -> None:
    """``codec.parse_message`` bound before first use parses on the wire path, and follows a later
    ``encoding`` (decode_as) change: the lenient path decodes with it."""
    codec = Codec(parser=impl_parser)
    parse_message = codec.parse_message
    frame = b"8=FIX.4.4\x0135=D\x0158=caf\xc3\xa9\x0110=000\x01"
    assert parse_message(frame)[58] == "café" and parse_message(frame).codec is codec
    codec.encoding = "latin-1"
    assert parse_message(frame)[58] == "cafÃ©" and codec.parse_message(frame)[58] == "cafÃ©"
    codec.encoding = None
    assert parse_message(frame)[58] == "café"
    assert type(parse_message(frame, message_class=FixMessage)) is FixMessage


def test_a_codec_subclass_keeps_its_own_parse_message(impl_parser: Any) -> None:
    class Tagging(Codec):
        def parse_message(self, frame: Any, message_class: Any = None) -> FixMessage:
            message = super().parse_message(frame, message_class)
            message[9999] = "seen"
            return message

    codec = Tagging(parser=impl_parser)
    assert codec.parse_message(b"35=0\x01")[9999] == "seen"


@pytest.fixture
def impl_parser(impl: Any) -> Any:
    return impl.parser


def structure(value: Any) -> Any:
    """A parsed message as nested lists: (tag, value or entries) in dict order, with each container's type name."""
    if isinstance(value, list):
        return [type(value).__name__, [structure(entry) for entry in value]]
    if isinstance(value, dict):
        return [type(value).__name__, [(tag, structure(item)) for tag, item in value.items()]]
    return value


# A small layout: NoMDEntries(268) entries led by MDUpdateAction(279), with a nested NoPartyIDs(453) group
PARTIES: dict[int, Any] = {453: (448, {448, 447, 452}, {})}
MD_LAYOUT: dict[int, Any] = {268: (279, {279, 269, 270, 271, 55, 453}, PARTIES)}
# MsgTypes that share first bytes, differ by one byte or in length, are too long to be remembered (8 bytes) or
# empty or not ASCII; 40 of them fill the parser's 16 remembered slots with collisions
MSG_TYPES = ["X", "D", "8", "0", "AE", "XX", "X0", "0X", "ABCDEFG", "ABCDEFGH", "", "é", "\x7f"] + [
    f"U{i}" for i in range(27)
]
big_tag_st = st.integers(min_value=10_000, max_value=10_050)
msg_type_st = st.one_of(st.sampled_from(["X", "AE", "XX"]), st.sampled_from(MSG_TYPES))  # often the same few


def md_frame(msg_type: str, entries: int, extra: list[tuple[int, str]]) -> bytes:
    """35=msg_type, a NoMDEntries(268) group of ``entries`` entries (one with a party), then ``extra``."""
    fields = [(35, msg_type), (55, "S"), (268, str(entries))]
    for n in range(entries):
        fields += [(279, "0"), (269, str(n % 2)), (270, f"1.{n}"), (271, "100")]
        if n == 1:
            fields += [(453, "1"), (448, "P"), (447, "D")]
    return wire(fields + extra)


layout_step_st = st.tuples(msg_type_st, st.sampled_from(["md", "flat", "absent"]))
parse_step_st = st.tuples(
    msg_type_st,
    st.integers(min_value=0, max_value=3),
    st.lists(st.tuples(st.one_of(big_tag_st, st.sampled_from([55, 58, 268, 279, 10_001])), value_st), max_size=4),
)


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(layout_step_st, parse_step_st), min_size=1, max_size=40))
def test_remembered_layouts_follow_the_layouts_dict(name: str, steps: list[tuple[Any, ...]]) -> None:
    """A long-lived parser, whose MsgType -> layout answers are remembered by the MsgType's bytes, parses every
    frame as a parser made for that frame alone does, while the layouts dict it holds gains, changes and loses
    MsgTypes between frames (and MsgTypes collide in the remembered slots, differ by a byte, or are too long).
    Both twins follow the dict as it changes, untold (no ``reset_layouts()``)."""
    impl_parser = Impl(name=name).parser
    compiled = impl_parser.compile_layouts({"X": MD_LAYOUT, "AE": MD_LAYOUT})
    assert compiled is not None
    layouts = dict(compiled)
    parser = impl_parser.MessageParser(layouts, FixFragment, RepeatingGroup, None)
    parsers = [parser, copy.copy(parser)]  # a copy (it learns on its own) holds the same dict: used in turn
    for number, step in enumerate(steps):
        if len(step) == 2:  # change the layouts dict in place
            msg_type, kind = step
            if kind == "absent":
                layouts.pop(msg_type, None)
            else:
                layouts.update(impl_parser.compile_layouts({msg_type: MD_LAYOUT if kind == "md" else {}}))
            continue
        msg_type, entries, extra = step
        frame = md_frame(msg_type, entries, extra)
        fresh = impl_parser.MessageParser(dict(layouts), FixFragment, RepeatingGroup, None)
        parsed = parsers[number % 2].parse(frame, FixMessage)
        assert structure(parsed) == structure(fresh.parse(frame, FixMessage))


@pytest.fixture(scope="module")
def pure_parser() -> Any:
    return Impl(name="pure").parser


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=4),
    st.lists(st.tuples(st.one_of(big_tag_st, st.sampled_from([35, 55, 58, 268, 279, 269])), value_st), max_size=12),
    st.lists(st.tuples(st.one_of(big_tag_st, st.sampled_from([11, 55, 58])), value_st), max_size=6),
)
def test_fields_around_groups_and_big_tags_match_the_pure_twin(
    name: str, pure_parser: Any, entries: int, before: list[tuple[int, str]], after: list[tuple[int, str]]
) -> None:
    """Top-level fields written around groups (whose objects may start a collection) and tags above the shared
    range (CPython's own insert, which may resize the table) interleave with the parser's direct table writes:
    the message equals the pure twin's, repeated tags keep their first position and last value, and the dicts
    then behave as ordinary ones."""
    fields = [(tag, value) for tag, value in before if tag not in (35, 268)]
    frame = wire([(35, "X"), *fields]) + md_frame("X", entries, after)[len(b"35=X\x01") :]
    layouts = {"X": MD_LAYOUT}
    impl_parser = Impl(name=name).parser
    ours = impl_parser.MessageParser(impl_parser.compile_layouts(layouts), FixFragment, RepeatingGroup, None)
    pure = pure_parser.MessageParser(pure_parser.compile_layouts(layouts), FixFragment, RepeatingGroup, None)
    for _ in range(2):  # the second parse starts from the size hints and remembered layout the first one left
        msg = ours.parse(frame, FixMessage)
        assert structure(msg) == structure(pure.parse(frame, FixMessage))
    before_edit = list(dict.items(msg))
    last = before_edit[-1][0]
    del msg[last]
    msg[last] = "again"
    msg[10**12] = "new"
    assert list(dict.items(msg)) == [*before_edit[:-1], (last, "again"), (10**12, "new")]
    assert all(msg[tag] is value for tag, value in dict.items(msg)) and 10**13 not in msg
    group = dict.get(msg, 268)
    for entry in group if isinstance(group, list) else []:
        assert all(entry[tag] is value for tag, value in dict.items(entry)) and 10**13 not in entry
