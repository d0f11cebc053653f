"""The parser module (compiled and pure): the strict tokenizer, the fast message path and group assembly."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.codec import Codec, build_layouts
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
from pyfixmsg_plus.message.parser_plan_py import USES_BEFORE_COMPILING
from pyfixmsg_plus.message.reference import FixSpec

SOH = b"\x01"


def wire(*fields: tuple[int, str]) -> bytes:
    return b"".join(b"%d=%s\x01" % (tag, value.encode()) for tag, value in fields)


@pytest.fixture(scope="module")
def spec44() -> FixSpec:
    return FixSpec.from_builtin("FIX.4.4")


@pytest.fixture(scope="module")
def layouts44(spec44: FixSpec) -> dict[str, Any]:
    return build_layouts(spec44)


def parse(impl: Any, frame: bytes, layouts: Any = None, fragment_class: Any = FixFragment) -> Any:
    compiled = impl.parser.compile_layouts(layouts)
    return impl.parser.parse_message(frame, 1, compiled, FixMessage, fragment_class, RepeatingGroup, None)


def plain(value: Any) -> Any:
    """Nested dict/list structure with the container types made visible, for exact comparisons."""
    if isinstance(value, dict):
        return (type(value).__name__, {k: plain(v) for k, v in value.items()})
    if isinstance(value, list):
        return (type(value).__name__, getattr(value, "number_tag", None), [plain(v) for v in value])
    return value


# --- parse_pairs: the strict wire tokenizer (contract shared with validation and the session layer) ---


def test_parse_pairs_keeps_wire_order_and_duplicates(impl: Any) -> None:
    frame = b"8=FIX.4.4\x019=5\x0135=0\x0158=a\x0158=b\x0110=000\x01"
    assert impl.parser.parse_pairs(frame) == [
        (8, b"FIX.4.4"), (9, b"5"), (35, b"0"), (58, b"a"), (58, b"b"), (10, b"000"),
    ]  # fmt: skip


def test_parse_pairs_invalid_tags_get_tag_zero(impl: Any) -> None:
    pairs = impl.parser.parse_pairs(b"x5=a\x01novalue\x01=empty\x01 35=D\x0112=1=2\x01\x01")
    assert pairs == [(0, b"a"), (0, b"novalue"), (0, b"empty"), (0, b"D"), (12, b"1=2"), (0, b"")]


def test_parse_pairs_includes_trailing_piece_and_accepts_buffers(impl: Any) -> None:
    assert impl.parser.parse_pairs(bytearray(b"35=D\x0110=1")) == [(35, b"D"), (10, b"1")]
    assert impl.parser.parse_pairs(memoryview(b"35=D|55=X|"), ord("|")) == [(35, b"D"), (55, b"X")]
    assert impl.parser.parse_pairs(b"") == []
    assert impl.parser.parse_pairs(b"123456789012345678901234=x\x01") == [(123456789012345678901234, b"x")]


# --- parse_message: the fast path ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [
        b"35=D\x0110=000",  # no final separator: the lenient path drops the last field
        b"35=D\x01\x0110=000\x01",  # empty piece
        b"35=D\x01123\x01",  # stray piece without '='
        b"3a=D\x01",  # tag not all digits
        b"1234567890=D\x01",  # tag too long for the fast path
        b"35=D\x01347=SHIFT_JIS\x01",  # MessageEncoding(347): Encoded* fields need the codec
        b"35=D\x0158=\xff\x01",  # not UTF-8
        b"",
    ],
)
def test_parse_message_leaves_non_strict_frames_to_the_lenient_path(impl: Any, frame: bytes) -> None:
    assert parse(impl, frame) is None


def test_parse_message_flat_fields_as_str(impl: Any) -> None:
    frame = wire((8, "FIX.4.4"), (9, "12"), (35, "0"), (49, "S"), (58, "a=b é"), (10, "123"))
    msg = parse(impl, frame)
    assert type(msg) is FixMessage
    assert dict(msg) == {8: "FIX.4.4", 9: "12", 35: "0", 49: "S", 58: "a=b é", 10: "123"}
    assert all(type(tag) is int and type(value) is str for tag, value in msg.items())


def test_parse_message_sets_time_and_codec_only_with_a_codec(impl: Any) -> None:
    codec = Codec()
    msg = impl.parser.parse_message(b"35=0\x01", 1, None, FixMessage, dict, RepeatingGroup, codec)
    assert msg.codec is codec and msg._time_ns > 0 and msg.time.year >= 2024
    frag = impl.parser.parse_message(b"35=0\x01", 1, None, dict, dict, RepeatingGroup, None)
    assert type(frag) is dict and frag == {35: "0"}


def test_groups_with_component_fields_inside_entries(impl: Any, layouts44: Any) -> None:
    """FIX 4.4 NoMDEntries(268): Symbol(55) comes from the Instrument component and stays in its entry."""
    frame = wire(
        (8, "FIX.4.4"), (35, "X"), (268, "2"),
        (279, "0"), (269, "0"), (55, "EUR/USD"), (270, "1.1"), (271, "5"),
        (279, "1"), (269, "1"), (55, "GBP/USD"), (270, "1.2"),
        (10, "000"),
    )  # fmt: skip
    msg = parse(impl, frame, layouts44)
    group = msg[268]
    assert isinstance(group, RepeatingGroup) and group.number_tag == 268 and group.first_tag == 279
    assert [type(entry) for entry in group] == [FixFragment, FixFragment]
    assert group == [
        {279: "0", 269: "0", 55: "EUR/USD", 270: "1.1", 271: "5"},
        {279: "1", 269: "1", 55: "GBP/USD", 270: "1.2"},
    ]
    assert msg[10] == "000" and 55 not in msg


def test_nested_groups(impl: Any, layouts44: Any) -> None:
    """NewOrderSingle: NoPartyIDs(453) entries hold NoPartySubIDs(802) entries."""
    frame = wire(
        (35, "D"), (11, "1"), (453, "2"),
        (448, "P1"), (447, "D"), (452, "1"), (802, "2"), (523, "s1"), (803, "1"), (523, "s2"), (803, "2"),
        (448, "P2"), (452, "3"),
        (55, "AAPL"), (10, "000"),
    )  # fmt: skip
    msg = parse(impl, frame, layouts44)
    parties = msg[453]
    assert len(parties) == 2
    assert parties[0][802] == [{523: "s1", 803: "1"}, {523: "s2", 803: "2"}]
    assert parties[0][802].number_tag == 802
    assert parties[1] == {448: "P2", 452: "3"}
    assert msg[55] == "AAPL"


def test_empty_group_and_leaking_members(impl: Any, layouts44: Any) -> None:
    msg = parse(impl, wire((35, "X"), (268, "0"), (279, "0"), (10, "1")), layouts44)
    assert isinstance(msg[268], RepeatingGroup) and list(msg[268]) == []
    assert msg[279] == "0"  # as pyfixmsg: a zero count takes no entries, the field stays at the top level


def test_non_digit_count_stays_a_plain_field(impl: Any, layouts44: Any) -> None:
    msg = parse(impl, wire((35, "X"), (268, "x"), (279, "0")), layouts44)
    assert msg == {35: "X", 268: "x", 279: "0"}


def test_unknown_msgtype_and_no_layout_parse_flat(impl: Any, layouts44: Any) -> None:
    frame = wire((35, "ZZ"), (268, "1"), (279, "0"))
    assert parse(impl, frame, layouts44) == {35: "ZZ", 268: "1", 279: "0"}
    assert parse(impl, wire((35, "X"), (268, "1"), (279, "0"))) == {35: "X", 268: "1", 279: "0"}


def test_raw_and_compiled_layouts_agree(impl: Any, layouts44: Any) -> None:
    frame = wire((35, "X"), (268, "1"), (279, "0"), (55, "A"))
    raw = impl.parser.parse_message(frame, 1, layouts44, FixMessage, dict, RepeatingGroup, None)
    assert plain(raw) == plain(parse(impl, frame, layouts44, dict))


def test_assemble_builds_groups_from_pairs(impl: Any, layouts44: Any) -> None:
    pairs = [(35, "X"), (268, "2"), (279, "0"), (55, "A"), (279, "1"), ("x", "1")]
    out = impl.parser.assemble(pairs, {}, layouts44["X"], dict, RepeatingGroup)
    assert out == {35: "X", 268: [{279: "0", 55: "A"}, {279: "1"}], "x": "1"}


# --- differential: compiled and pure agree on every input ---------------------------------------------------

LAYOUTS_44 = build_layouts(FixSpec.from_builtin("FIX.4.4"))
needs_both = pytest.mark.skipif(
    _impl.compiled("parser") is None or _impl.extensions_disabled(),
    reason="compiled parser not built/enabled",
)

GROUP_TAGS = [35, 268, 279, 269, 55, 270, 453, 448, 452, 802, 523, 10, 58, 9999, 12345]
field_st = st.tuples(
    st.sampled_from(GROUP_TAGS),
    st.one_of(
        st.sampled_from(["0", "1", "2", "3", "X", "D", ""]),
        st.text(max_size=6).filter(lambda s: "\x01" not in s),
    ),
)


@needs_both
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=80), st.sampled_from([1, ord("|")]))
def test_differential_parse_pairs_random_bytes(data: bytes, sep: int) -> None:
    compiled: Any = _impl.compiled("parser")
    pure = _impl.pure("parser")
    assert compiled.parse_pairs(data, sep) == pure.parse_pairs(data, sep)


@needs_both
@settings(max_examples=150, deadline=None)
@given(st.lists(field_st, max_size=25), st.binary(max_size=6))
def test_differential_parse_message_random_frames(fields: list[tuple[int, str]], noise: bytes) -> None:
    compiled: Any = _impl.compiled("parser")
    pure = _impl.pure("parser")
    layouts = LAYOUTS_44
    for frame in (wire(*fields), wire(*fields) + noise):
        results = [
            module.parse_message(frame, 1, module.compile_layouts(layouts), FixMessage, FixFragment,
                                 RepeatingGroup, None)
            for module in (compiled, pure)
        ]  # fmt: skip
        assert plain(results[0]) == plain(results[1])


# --- MessageParser: the prepared fast path used by Codec.parse_message ------------------------------------------


def test_message_parser_reused_across_frames_and_message_types(impl: Any, layouts44: Any) -> None:
    codec = Codec()
    parser = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), FixFragment, RepeatingGroup, codec)
    order = parser.parse(wire((35, "D"), (11, "a"), (453, "1"), (448, "P"), (10, "0")), FixMessage)
    refresh = parser.parse(wire((35, "X"), (268, "1"), (279, "0"), (55, "A"), (10, "1")), FixMessage)
    flat = parser.parse(wire((35, "0"), (112, "t")), FixMessage)
    assert order[453] == [{448: "P"}] and refresh[268] == [{279: "0", 55: "A"}] and flat == {35: "0", 112: "t"}
    assert all(msg.codec is codec and msg._time_ns > 0 for msg in (order, refresh, flat))


def test_message_parser_accepts_raw_layouts(impl: Any, layouts44: Any) -> None:
    parser = impl.parser.MessageParser(layouts44, dict, RepeatingGroup, None)
    frame = wire((35, "X"), (268, "2"), (279, "0"), (279, "1"), (10, "1"))
    for _ in range(2):  # the second parse reuses what the first compiled
        assert parser.parse(frame, FixMessage) == {35: "X", 268: [{279: "0"}, {279: "1"}], 10: "1"}


class _AuditedMessage(FixMessage):
    """Records every attribute set: the parser must honour a subclass's __setattr__."""

    def __setattr__(self, name: str, value: Any) -> None:
        seen = self.__dict__.setdefault("seen", [])
        seen.append(name)
        super().__setattr__(name, value)


class _PropertyCodecMessage(FixMessage):
    """Keeps its codec in __dict__ through a property instead of FixMessage's slot."""

    @property
    def _codec(self) -> Any:
        return self.__dict__["codec_box"]

    @_codec.setter
    def _codec(self, value: Any) -> None:
        self.__dict__["codec_box"] = value


@pytest.mark.parametrize("message_class", [FixMessage, _AuditedMessage, _PropertyCodecMessage])
def test_message_parser_sets_codec_and_time_like_setattr(impl: Any, message_class: type) -> None:
    codec = Codec()
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, codec)
    for _ in range(2):  # the second parse reuses the slot look-up made for the class
        msg: Any = parser.parse(b"35=0\x01", message_class)
        assert msg.codec is codec and msg._time_ns > 0 and msg == {35: "0"}
        assert type(msg) is message_class
    if message_class is _AuditedMessage:
        assert msg.__dict__["seen"] == ["_time_ns", "_codec"]
    if message_class is _PropertyCodecMessage:
        assert msg.__dict__["codec_box"] is codec


def test_message_parser_rejects_non_classes(impl: Any) -> None:
    with pytest.raises(TypeError, match="group_class"):
        impl.parser.MessageParser(None, dict, list(), None)
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    with pytest.raises(TypeError, match="message_class"):
        parser.parse(b"35=0\x01", "FixMessage")


def test_message_parser_long_frames_with_many_fields(impl: Any) -> None:
    """More fields than the compiled parser's stack table (256): the field table is allocated from the frame size."""
    fields = [(35, "0")] + [(1000 + i, "v") for i in range(600)] + [(10, "000")]
    msg = impl.parser.MessageParser(None, dict, RepeatingGroup, None).parse(wire(*fields), FixMessage)
    assert len(msg) == 602 and msg[1599] == "v" and msg[10] == "000"


@pytest.mark.parametrize(
    ("frame", "sep", "expected"),
    [
        (b"1=a5", ord("5"), {1: "a"}),  # a digit separator still delimits fields whose tags lack it
        (b"15=a5", ord("5"), None),  # ... but a tag cannot hold it
        (b"1=a=", ord("="), None),  # '=' cannot separate fields
        (b"1=a\xff", 0xFF, None),  # a non-ASCII separator: the lenient path
        (b"1=a|2=b|", ord("|"), {1: "a", 2: "b"}),
    ],
)
def test_message_parser_separators(impl: Any, frame: bytes, sep: int, expected: Any) -> None:
    parsed = impl.parser.MessageParser(None, dict, RepeatingGroup, None, sep).parse(frame, dict)
    assert parsed == expected


@needs_both
@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=60), st.sampled_from([1, ord("|"), ord("5"), ord("="), 0x80]))
def test_differential_message_parser_random_bytes(data: bytes, sep: int) -> None:
    compiled: Any = _impl.compiled("parser")
    pure = _impl.pure("parser")
    results = [
        module.MessageParser(module.compile_layouts(LAYOUTS_44), FixFragment, RepeatingGroup, None, sep).parse(
            b"35=X\x01" + data, FixMessage
        )
        for module in (compiled, pure)
    ]
    assert plain(results[0]) == plain(results[1])


# --- the compiled fast path's shortcuts (dict sizing, separator search, tag hashing) change no result ------------


def ordered(value: Any) -> Any:
    """Like ``plain`` but keeps the dict order too (the fast path builds dicts in wire order)."""
    if isinstance(value, dict):
        return (type(value).__name__, [(type(k).__name__, k, ordered(v)) for k, v in value.items()])
    if isinstance(value, list):
        return (type(value).__name__, getattr(value, "number_tag", None), getattr(value, "first_tag", None),
                getattr(value, "standard", None), [ordered(v) for v in value])  # fmt: skip
    return (type(value).__name__, value)


@pytest.mark.parametrize("sep", [1, ord("|"), ord("5")])
def test_separator_found_after_values_of_every_length(impl: Any, sep: int) -> None:
    """Values of 0-24 bytes put the separator at every offset of the 8-byte steps that search for it."""
    s = bytes((sep,))
    for length in range(25):
        value = ("v" * length).encode()
        frame = b"34=0" + s + b"1=" + value + s + b"2=" + value + b"x" + s  # no tag holds the digit separator
        parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None, sep)
        assert parser.parse(frame, dict) == {34: "0", 1: "v" * length, 2: "v" * length + "x"}


def test_non_ascii_bytes_found_at_every_position_and_only_inside_the_value(impl: Any) -> None:
    """The ASCII check reads words: a non-ASCII byte counts inside the value only, never in the bytes after it."""
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    for length in range(1, 18):
        ascii_value = "a" * length
        assert parser.parse(wire((35, "0"), (1, ascii_value), (2, "\u00fc\u00fc")), dict) == {
            35: "0", 1: ascii_value, 2: "\u00fc\u00fc"
        }  # fmt: skip
        for pos in range(length):
            value = ascii_value[:pos] + "\u00e9" + ascii_value[pos + 1 :]
            assert parser.parse(wire((35, "0"), (1, value)), dict) == {35: "0", 1: value}
            invalid = b"35=0\x011=" + ascii_value[:pos].encode() + b"\xff" + ascii_value[pos + 1 :].encode() + b"\x01"
            assert parser.parse(invalid, dict) is None  # not UTF-8: the lenient path decides


def test_tags_above_the_shared_int_table_are_looked_up_by_value(impl: Any) -> None:
    """Tags from 10000 up get their own int objects; a fresh equal int must find them (hash(tag) == tag)."""
    frame = wire((35, "0"), (9999, "a"), (10000, "b"), (12345, "c"), (999999999, "d"), (10000, "e"))
    msg = impl.parser.MessageParser(None, dict, RepeatingGroup, None).parse(frame, FixMessage)
    for tag, value in [(9999, "a"), (10000, "e"), (12345, "c"), (999999999, "d")]:
        assert msg[int(str(tag))] == value and int(str(tag)) in msg
    assert list(msg) == [35, 9999, 10000, 12345, 999999999]  # a repeated tag keeps its first place


def test_entries_and_messages_of_changing_size_share_one_parser(impl: Any, layouts44: Any) -> None:
    """Each dict is created with the size of the last one built at its level: a wrong guess changes nothing."""
    parser = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), FixFragment, RepeatingGroup, None)
    entry_shapes = [[279, 269, 278, 55, 270, 271, 290, 346, 336], [279], [279, 269, 270], [279, 269, 55, 270, 271]]
    for round_ in range(2):
        for width in (1, 4, 30, 2, 12):
            extra = [(5000 + k, f"x{k}") for k in range(width)]
            entries = [[(tag, f"{tag}.{i}.{round_}") for tag in shape] for i, shape in enumerate(entry_shapes)]
            fields = [(35, "X"), *extra, (268, str(len(entries))), *[f for e in entries for f in e], (10, "000")]
            msg = parser.parse(wire(*fields), FixMessage)
            expected_entries = [dict(entry) for entry in entries]
            assert list(msg) == [35, *[t for t, _ in extra], 268, 10]
            assert [dict(e) for e in msg[268]] == expected_entries
            assert [list(e) for e in msg[268]] == [[t for t, _ in entry] for entry in entries]
            assert all(type(e) is FixFragment for e in msg[268])


def test_a_big_message_does_not_inflate_the_next_small_ones(impl: Any, layouts44: Any) -> None:
    """The size guess carried between messages of one MsgType never exceeds the frame's own field count."""
    parser = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), FixFragment, RepeatingGroup, None)
    big = parser.parse(wire((35, "X"), *[(5000 + k, "v") for k in range(3000)], (268, "0")), FixMessage)
    small = parser.parse(wire((35, "X"), (262, "r"), (268, "1"), (279, "0"), (55, "A")), FixMessage)
    assert len(big) == 3002 and sys.getsizeof(big) > 50_000
    assert small == {35: "X", 262: "r", 268: [{279: "0", 55: "A"}]} and sys.getsizeof(small) < 2_000


class _PrefilledMessage(FixMessage):
    """A message class whose __new__ already holds a field: the parser adds to it (no fresh table is swapped in)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _PrefilledMessage:
        message = super().__new__(cls)
        dict.__setitem__(message, 1, "prefilled")
        return message


def test_message_class_whose_new_fills_fields(impl: Any) -> None:
    fields = [(35, "0")] + [(100 + k, str(k)) for k in range(20)]
    msg = impl.parser.MessageParser(None, dict, RepeatingGroup, None).parse(wire(*fields), _PrefilledMessage)
    assert type(msg) is _PrefilledMessage
    assert list(msg.items()) == [(1, "prefilled"), *[(tag, value) for tag, value in fields]]


value_st = st.one_of(
    st.sampled_from(["0", "1", "2", "X", "EUR/USD", "FIX.4.4", ""]),
    st.text(max_size=20).filter(lambda s: "\x01" not in s),  # short, long, non-ASCII; some not strict UTF-8-safe
    st.text(alphabet="0123456789.", min_size=7, max_size=17),  # around the 8- and 16-byte steps
)
frame_fields_st = st.lists(st.tuples(st.sampled_from([*GROUP_TAGS, 5000, 5001, 20000]), value_st), max_size=40)


@needs_both
@settings(max_examples=60, deadline=None)
@given(st.lists(frame_fields_st, min_size=1, max_size=8))
def test_differential_one_parser_over_a_sequence_of_frames(frames: list[list[tuple[int, str]]]) -> None:
    """One prepared parser per twin over many frames (its dict size guesses carried from frame to frame)."""
    compiled: Any = _impl.compiled("parser")
    pure = _impl.pure("parser")
    parsers = [
        module.MessageParser(module.compile_layouts(LAYOUTS_44), FixFragment, RepeatingGroup, None)
        for module in (compiled, pure)
    ]
    for fields in frames:
        frame = wire(*fields)
        results = [parser.parse(frame, FixMessage) for parser in parsers]
        assert ordered(results[0]) == ordered(results[1])


# --- groups: number_tag, first_tag and standard written into RepeatingGroup's slots ----------------------------

MD_FRAME = wire((35, "X"), (268, "2"), (279, "0"), (270, "1"), (279, "1"), (270, "2"), (10, "000"))


def test_parsed_groups_hold_their_attributes_in_slots(impl: Any, layouts44: Any) -> None:
    """Every attribute is stored (not left to the class default), so both twins give the same pickled state."""
    group = parse(impl, MD_FRAME, layouts44)[268]
    assert type(group) is RepeatingGroup
    assert group.__getstate__() == {"number_tag": 268, "first_tag": 279, "standard": True}
    assert group.__dict__ == {}  # the three are in slots, not in the instance dict
    assert group == [{279: "0", 270: "1"}, {279: "1", 270: "2"}]
    for name in ("number_tag", "first_tag", "standard"):  # set on the instance: the class default is not reached
        assert object.__getattribute__(group, name) == group.__getstate__()[name]


class _AuditedGroup(RepeatingGroup):
    """Records attribute sets: the parser must honour a group subclass's __setattr__."""

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__.setdefault("seen", []).append(name)
        super().__setattr__(name, value)


class _PropertyTagGroup(RepeatingGroup):
    """Keeps number_tag in its __dict__ through a property instead of the inherited slot."""

    @property
    def number_tag(self) -> Any:
        return self.__dict__["tag_box"]

    @number_tag.setter
    def number_tag(self, value: Any) -> None:
        self.__dict__["tag_box"] = value


class _NotedGroup(RepeatingGroup):
    """A plain subclass: a __dict__ for its own attributes, the inherited slots written directly."""


@pytest.mark.parametrize("group_class", [_AuditedGroup, _PropertyTagGroup, _NotedGroup])
def test_group_subclasses_get_their_attributes_like_setattr(impl: Any, layouts44: Any, group_class: type) -> None:
    parser = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), FixFragment, group_class, None)
    for _ in range(2):
        group: Any = parser.parse(MD_FRAME, FixMessage)[268]
        assert (group.number_tag, group.first_tag, group.standard, len(group)) == (268, 279, True, 2)
        assert type(group) is group_class
    if group_class is _AuditedGroup:
        assert group.__dict__["seen"] == ["number_tag", "first_tag", "standard"]
    if group_class is _PropertyTagGroup:
        assert group.__dict__["tag_box"] == 268
    if group_class is _NotedGroup:
        assert group.__dict__ == {}


def test_assemble_groups_get_the_same_attributes(impl: Any, layouts44: Any) -> None:
    pairs = [(35, "X"), (268, "1"), (279, "0"), (10, "000")]
    group = impl.parser.assemble(pairs, {}, layouts44["X"], FixFragment, RepeatingGroup)[268]
    assert group.__getstate__() == {"number_tag": 268, "first_tag": 279, "standard": True}


# --- the frame-wide ASCII flag: values are checked one by one only in frames holding a non-ASCII byte -----------


def test_non_ascii_byte_in_the_last_bytes_of_the_frame(impl: Any) -> None:
    """The last value is searched byte by byte once fewer than 8 bytes remain: its bytes must count too."""
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    for pad in range(10):
        head = [(35, "0"), (1, "x" * pad), (2, "y")]
        assert parser.parse(wire(*head, (3, "\u00e9")), dict) == {35: "0", 1: "x" * pad, 2: "y", 3: "\u00e9"}
        assert parser.parse(wire(*head) + b"3=\xff\x01", dict) is None
        assert parser.parse(wire(*head) + b"3=a\xc3\x01", dict) is None  # a cut UTF-8 sequence


def test_one_character_values_in_frames_with_and_without_non_ascii_bytes(impl: Any) -> None:
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    for extra in ("plain", "caf\u00e9"):
        msg = parser.parse(wire((35, "0"), (54, "1"), (58, extra), (59, "0"), (60, "\u00e9")), dict)
        assert msg == {35: "0", 54: "1", 58: extra, 59: "0", 60: "\u00e9"}
        assert msg[54] is "1" and msg[59] is "0"  # noqa: F632 - the shared 1-character str is the point


# --- the pure twin's whole-frame tokenizer: tag sequences (and their group plans) cached per parser ------------
# The pure MessageParser decodes and splits a frame in a few C-level passes and looks its tag sequence up in a
# cache holding the checked int tags and the group plan per MsgType. The tests below hold for both twins; they
# aim at that cache: one parser over frames that share a tag sequence but not its meaning.


def spec_parse(frame: bytes, layouts: Any) -> Any:
    """What the fast path must give: the field-by-field strict rules of the pure twin, then ``assemble``."""
    pure = _impl.pure("parser")
    pairs = pure._fast_pairs(frame, 1)
    if pairs is None:
        return None
    msg_type = next((value for tag, value in pairs if tag == 35), None)
    layout = layouts.get(msg_type) if layouts and msg_type is not None else None
    return pure.assemble(pairs, FixMessage(), layout, FixFragment, RepeatingGroup)


def reusable_parser(impl: Any, layouts: Any) -> Any:
    return impl.parser.MessageParser(impl.parser.compile_layouts(layouts), FixFragment, RepeatingGroup, None)


def test_values_holding_equals_signs_keep_them(impl: Any) -> None:
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    for _ in range(2):  # the second frame meets a warm cache
        assert parser.parse(b"35=0\x0158=a=b\x0159==\x01", dict) == {35: "0", 58: "a=b", 59: "="}


def test_a_field_without_equals_is_not_hidden_by_one_with_two(impl: Any) -> None:
    """'12' (no '=') then '13=5=6' split on both delimiters reads like the fields 12=13 and 5=6: the frame must
    still go to the lenient path, even right after a frame that has exactly those fields."""
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    assert parser.parse(b"35=0\x0112=13\x015=6\x01", dict) == {35: "0", 12: "13", 5: "6"}
    assert parser.parse(b"35=0\x0112\x0113=5=6\x01", dict) is None
    assert parser.parse(b"35=0\x0112=13=5\x016\x01", dict) is None


def test_one_tag_sequence_under_several_message_types(impl: Any, layouts44: Any) -> None:
    parser = reusable_parser(impl, layouts44)
    fields = [(268, "1"), (279, "0"), (270, "1.5"), (10, "000")]
    for msg_type in ("X", "ZZ", "X", "0"):
        frame = wire((35, msg_type), *fields)
        assert plain(parser.parse(frame, FixMessage)) == plain(spec_parse(frame, layouts44))
    assert parser.parse(wire((35, "X"), *fields), FixMessage)[268] == [{279: "0", 270: "1.5"}]


@pytest.mark.parametrize("counts", [("2", "0", "2"), ("2", "x", "02"), ("\u0662", "2", "")])
def test_a_count_that_changes_meaning_under_one_tag_sequence(impl: Any, layouts44: Any, counts: Any) -> None:
    """The plan of a tag sequence assumes counts above zero: a zero, a non-digit or a non-ASCII digit count in
    the same places must still parse as the field-by-field rules say."""
    parser = reusable_parser(impl, layouts44)
    for count in counts:
        frame = wire((35, "X"), (268, count), (279, "0"), (270, "1"), (279, "1"), (270, "2"), (10, "000"))
        assert plain(parser.parse(frame, FixMessage)) == plain(spec_parse(frame, layouts44))


def test_nested_group_plans_reused(impl: Any, layouts44: Any) -> None:
    parser = reusable_parser(impl, layouts44)
    frame = wire(
        (35, "D"), (11, "1"), (453, "2"),
        (448, "P1"), (452, "1"), (802, "2"), (523, "s1"), (803, "1"), (523, "s2"), (803, "2"),
        (448, "P2"), (452, "3"),
        (55, "AAPL"), (10, "000"),
    )  # fmt: skip
    first, second = parser.parse(frame, FixMessage), parser.parse(frame, FixMessage)
    assert plain(first) == plain(second) == plain(spec_parse(frame, layouts44))
    assert second[453][0][802] == [{523: "s1", 803: "1"}, {523: "s2", 803: "2"}]


def test_reset_layouts_forgets_what_was_learnt_under_the_old_ones(impl: Any, layouts44: Any) -> None:
    source: dict[str, Any] = {"layouts": None}
    parser = impl.parser.MessageParser(
        None, FixFragment, RepeatingGroup, None, 1, FixMessage, None, lambda: source["layouts"]
    )
    frame = wire((35, "X"), (268, "1"), (279, "0"), (10, "000"))
    assert parser.parse(frame, FixMessage) == {35: "X", 268: "1", 279: "0", 10: "000"}
    source["layouts"] = impl.parser.compile_layouts(layouts44)  # asked again while it gave None
    assert parser.parse(frame, FixMessage)[268] == [{279: "0"}]
    source["layouts"] = {}
    assert parser.parse(frame, FixMessage)[268] == [{279: "0"}]  # kept until reset_layouts
    parser.reset_layouts()
    assert parser.parse(frame, FixMessage) == {35: "X", 268: "1", 279: "0", 10: "000"}


def test_many_distinct_tag_sequences_through_one_parser(impl: Any) -> None:
    """More tag sequences than the pure twin's cache holds (it starts over): every frame still parses right."""
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    frames = [wire((35, "0"), (5000 + k, str(k)), (10, "000")) for k in range(1100)]
    for _ in range(2):
        for k, frame in enumerate(frames):
            assert parser.parse(frame, dict) == {35: "0", 5000 + k: str(k), 10: "000"}


def test_frames_longer_than_the_cached_and_whole_frame_limits(impl: Any) -> None:
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    for count in (513, 5000):
        fields = [(35, "0")] + [(1000 + i, str(i)) for i in range(count)] + [(10, "000")]
        for _ in range(2):
            msg = parser.parse(wire(*fields), dict)
            assert len(msg) == count + 2 and msg[1000 + count - 1] == str(count - 1)


def test_entries_made_by_a_factory_that_is_not_a_class(impl: Any, layouts44: Any) -> None:
    """A fragment factory dict.update cannot be assumed for: entries are filled field by field, same result."""
    by_class = reusable_parser(impl, layouts44)
    compiled = impl.parser.compile_layouts(layouts44)
    by_factory = impl.parser.MessageParser(compiled, lambda: FixFragment(), RepeatingGroup, None)
    for _ in range(2):
        assert plain(by_factory.parse(MD_FRAME, FixMessage)) == plain(by_class.parse(MD_FRAME, FixMessage))


piece_st = st.one_of(
    st.tuples(st.sampled_from(GROUP_TAGS), value_st).map(lambda f: b"%d=%s" % (f[0], f[1].encode())),
    st.sampled_from([b"12", b"35", b"", b"=", b"13=5=6", b"268=1=2", b"279", b"035=X", b"347=a"]),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(piece_st, max_size=30), min_size=1, max_size=6))
def test_one_parser_follows_the_field_by_field_rules(frames: list[list[bytes]]) -> None:
    """Frames of fields, pieces without '=' and pieces with two, through one parser of each twin present."""
    modules = [_impl.pure("parser")]
    compiled = _impl.compiled("parser")
    if compiled is not None and not _impl.extensions_disabled():
        modules.append(compiled)
    parsers = [m.MessageParser(m.compile_layouts(LAYOUTS_44), FixFragment, RepeatingGroup, None) for m in modules]
    for pieces in frames:
        frame = b"".join(piece + SOH for piece in pieces)
        expected = plain(spec_parse(frame, LAYOUTS_44))
        for parser in parsers:
            assert plain(parser.parse(frame, FixMessage)) == expected


# --- the pure twin's compiled plans: after a few frames of one shape the plan runs as generated code -------------
# The pure MessageParser compiles a (tag sequence, MsgType) plan into one Python function once it has served
# USES_BEFORE_COMPILING frames. Frames are therefore parsed REPEAT times below, so that the last parses run the
# generated code; the tests hold for both twins.

REPEAT = USES_BEFORE_COMPILING + 2


def parse_repeatedly(parser: Any, frame: bytes, message_class: type = FixMessage) -> list[Any]:
    return [parser.parse(frame, message_class) for _ in range(REPEAT)]


def test_compiled_plans_give_what_the_field_by_field_rules_give(impl: Any, layouts44: Any) -> None:
    parser = reusable_parser(impl, layouts44)
    frames = [
        MD_FRAME,
        wire((35, "D"), (11, "1"), (453, "2"),
             (448, "P1"), (452, "1"), (802, "2"), (523, "s1"), (803, "1"), (523, "s2"), (803, "2"),
             (448, "P2"), (452, "3"), (55, "AAPL"), (10, "000")),  # nested groups
        wire((35, "X"), (58, "a"), (268, "2"), (279, "0"), (270, "1"), (270, "9"), (279, "1"), (58, "b"),
             (58, "c"), (10, "000")),  # a tag repeated at the top level and inside an entry
        wire((35, "X"), (268, "1"), *[(tag, f"v{tag}") for tag in (279, 269, 278, 55, 270, 271, 290, 346, 336,
             1023, 272, 273, 274, 275, 276, 277, 282, 283)], (10, "000")),  # an entry over the display limit
        wire((35, "X"), (268, "1"), (10, "000")),  # a count above zero with no entry
        wire((35, "0"), (112, "t")),  # flat
        wire((112, "t"), (58, "x")),  # no MsgType
    ]  # fmt: skip
    for frame in frames:
        expected = ordered(spec_parse(frame, layouts44))
        assert all(ordered(msg) == expected for msg in parse_repeatedly(parser, frame))


@pytest.mark.parametrize("count", ["0", "00", "x", "02", "\u0662", "1000"])
def test_a_compiled_plan_still_checks_its_counts(impl: Any, layouts44: Any, count: str) -> None:
    parser = reusable_parser(impl, layouts44)
    fields = [(279, "0"), (270, "1"), (279, "1"), (270, "2"), (10, "000")]
    parse_repeatedly(parser, wire((35, "X"), (268, "2"), *fields))
    frame = wire((35, "X"), (268, count), *fields)
    assert ordered(parser.parse(frame, FixMessage)) == ordered(spec_parse(frame, layouts44))


def test_a_compiled_shape_does_not_hide_frames_that_only_split_like_it(impl: Any) -> None:
    """Frames with the same pieces as a compiled shape but a '=' inside a value, a field without '=' or no
    final separator still take the field-by-field rules."""
    parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    assert parse_repeatedly(parser, b"35=0\x0112=13\x015=6\x01", dict)[-1] == {35: "0", 12: "13", 5: "6"}
    assert parser.parse(b"35=0\x0112\x0113=5=6\x01", dict) is None
    assert parser.parse(b"35=0\x0112=13=5\x016\x01", dict) is None
    assert parser.parse(b"35=0\x0112=13\x015=6", dict) is None
    assert parser.parse(b"35=0\x0112=13\x015=6\x01\x01", dict) is None
    assert parser.parse(b"35=0\x0112=13\x015=6=\x01", dict) == {35: "0", 12: "13", 5: "6="}


def test_compiled_plans_keep_the_classes_behaviour(impl: Any, layouts44: Any) -> None:
    """Group attributes go through a subclass's __setattr__, a message class's own __new__ keeps its fields."""
    parser = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), FixFragment, _AuditedGroup, None)
    group: Any = parse_repeatedly(parser, MD_FRAME, _PrefilledMessage)[-1][268]
    assert group.__dict__["seen"] == ["number_tag", "first_tag", "standard"] and type(group) is _AuditedGroup
    msg = parser.parse(MD_FRAME, _PrefilledMessage)
    assert list(msg) == [1, 35, 268, 10] and msg[268] == [{279: "0", 270: "1"}, {279: "1", 270: "2"}]


def test_shapes_too_long_to_compile_and_entries_of_a_factory(impl: Any, layouts44: Any) -> None:
    long_frame = wire((35, "0"), *[(1000 + i, str(i)) for i in range(300)], (10, "000"))
    plain_parser = impl.parser.MessageParser(None, dict, RepeatingGroup, None)
    assert all(len(msg) == 302 for msg in parse_repeatedly(plain_parser, long_frame, dict))
    by_factory = impl.parser.MessageParser(impl.parser.compile_layouts(layouts44), lambda: FixFragment(),
                                           RepeatingGroup, None)  # fmt: skip
    expected = plain(spec_parse(MD_FRAME, layouts44))
    assert all(plain(msg) == expected for msg in parse_repeatedly(by_factory, MD_FRAME))


@settings(max_examples=60, deadline=None)
@given(st.lists(frame_fields_st, min_size=1, max_size=4))
def test_compiled_plans_follow_the_field_by_field_rules(frames: list[list[tuple[int, str]]]) -> None:
    """Random frames with groups and odd values, each parsed until its plan runs compiled, then once with every
    count swapped for another: the pure twin (and the compiled one when built) give what the rules give."""
    modules = [_impl.pure("parser")]
    compiled = _impl.compiled("parser")
    if compiled is not None and not _impl.extensions_disabled():
        modules.append(compiled)
    parsers = [m.MessageParser(m.compile_layouts(LAYOUTS_44), FixFragment, RepeatingGroup, None) for m in modules]
    for fields in frames:
        frame = wire(*fields)
        expected = ordered(spec_parse(frame, LAYOUTS_44))
        for parser in parsers:
            assert all(ordered(msg) == expected for msg in parse_repeatedly(parser, frame))
        recounted = wire(*[(tag, "0" if value == "1" else value) for tag, value in fields])
        for parser in parsers:
            assert ordered(parser.parse(recounted, FixMessage)) == ordered(spec_parse(recounted, LAYOUTS_44))


def test_the_pure_parser_compiles_a_repeated_plan_within_its_budget(layouts44: Any) -> None:
    """White-box: the frames above do reach generated code (and a shape past the field limit does not)."""
    pure = _impl.pure("parser")
    parser = pure.MessageParser(pure.compile_layouts(layouts44), FixFragment, RepeatingGroup, None)
    long_frame = wire((35, "0"), *[(1000 + i, str(i)) for i in range(pure._MAX_COMPILED_FIELDS)])
    for frame in (MD_FRAME, long_frame):
        parse_repeatedly(parser, frame)
    kinds = {len(shape.tags): type(builder).__name__ for shape in parser._shapes.values()
             for builder in shape.builders.values()}  # fmt: skip
    assert kinds == {7: "function", pure._MAX_COMPILED_FIELDS + 1: "MessageBuilder"}


def test_the_compile_budget_bounds_what_ever_new_shapes_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    pure = _impl.pure("parser")
    monkeypatch.setattr(pure, "_MAX_COMPILES", 2)
    parser = pure.MessageParser(None, dict, RepeatingGroup, None)
    frames = [wire((35, "0"), (5000 + k, "v")) for k in range(4)]
    for frame in frames:
        assert parse_repeatedly(parser, frame, dict)[-1] == dict(parse_pairs_as_str(frame))
    kinds = sorted(type(b).__name__ for shape in parser._shapes.values() for b in shape.builders.values())
    assert kinds == ["MessageBuilder", "MessageBuilder", "function", "function"]
    parser.reset_layouts()  # a new cache generation gets a new budget
    assert parse_repeatedly(parser, frames[3], dict)[-1] == {35: "0", 5003: "v"}
    assert [type(b).__name__ for s in parser._shapes.values() for b in s.builders.values()] == ["function"]


def test_a_cache_emptied_by_new_shapes_gets_no_new_compile_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    pure = _impl.pure("parser")
    monkeypatch.setattr(pure, "_MAX_COMPILES", 1)
    monkeypatch.setattr(pure, "_MAX_CACHED_SHAPES", 2)
    parser = pure.MessageParser(None, dict, RepeatingGroup, None)
    frames = [wire((35, "0"), (5000 + k, "v")) for k in range(3)]
    parse_repeatedly(parser, frames[0], dict)  # compiled: the whole budget
    parse_repeatedly(parser, frames[1], dict)  # the cache is full now
    assert parse_repeatedly(parser, frames[2], dict)[-1] == {35: "0", 5002: "v"}  # emptied the cache, then kept
    assert [type(b).__name__ for s in parser._shapes.values() for b in s.builders.values()] == ["MessageBuilder"]


def parse_pairs_as_str(frame: bytes) -> list[tuple[int, str]]:
    return [(tag, value.decode()) for tag, value in _impl.pure("parser").parse_pairs(frame)]


# --- MessageParser.parse_message in one frame: the prepared parser's own parse_message -------------------------
# The pure twin shadows MessageParser.parse_message on each instance with a closure that finishes a frame of a
# known shape and MsgType in one Python frame (the compiled twin's method does it in C). Frames are parsed REPEAT
# times so that the last parses take that closure and run generated builders.


class _Declined:
    """What a fallback returns in these tests: the frame and the class it was given, for exact comparisons."""

    def __init__(self, frame: Any, message_class: Any) -> None:
        self.frame, self.message_class = bytes(frame), message_class

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Declined) and (self.frame, self.message_class) == (other.frame, other.message_class)

    __hash__ = None  # type: ignore[assignment]


def codec_like_parser(impl: Any, layouts: Any, codec: Any = None, **kwargs: Any) -> Any:
    """A parser set up as Codec sets one up: a default class, a fallback, layouts taken from a source."""
    source = kwargs.pop("layouts_source", lambda: impl.parser.compile_layouts(layouts))
    return impl.parser.MessageParser(None, FixFragment, RepeatingGroup, codec, 1, FixMessage, _Declined, source)


def expected_message(frame: bytes, layouts: Any, message_class: Any = None) -> Any:
    parsed = spec_parse(frame, layouts)
    return _Declined(frame, message_class) if parsed is None else ordered(parsed)


def result(value: Any) -> Any:
    return value if isinstance(value, _Declined) else ordered(value)


def test_parse_message_of_a_prepared_parser_sets_codec_time_and_class(impl: Any, layouts44: Any) -> None:
    codec = Codec()
    parser = codec_like_parser(impl, layouts44, codec)
    for msg in [parser.parse_message(MD_FRAME) for _ in range(REPEAT)]:
        assert type(msg) is FixMessage and msg.codec is codec and msg._time_ns > 0
        assert ordered(msg) == ordered(spec_parse(MD_FRAME, layouts44))
    without_codec = codec_like_parser(impl, layouts44)
    assert all(not hasattr(msg, "_time_ns")
               for msg in [without_codec.parse_message(MD_FRAME) for _ in range(REPEAT)])  # fmt: skip


@pytest.mark.parametrize(
    "frame",
    [
        MD_FRAME.replace(b"268=2", b"268=0"),  # a count the learnt plan reads as a group: assembled field by field
        MD_FRAME.replace(b"270=1", b"270=1=2"),  # '=' in a value: same tag pieces, not the shape's frame
        MD_FRAME.replace(b"270=1", b"270=\xff"),  # not UTF-8: the fallback
        MD_FRAME[:-1],  # no final separator: the fallback
        MD_FRAME.replace(b"279=1", b"347=1"),  # MessageEncoding(347): the fallback
    ],
)
def test_parse_message_after_a_shape_is_learnt_declines_what_parse_declines(
    impl: Any, layouts44: Any, frame: bytes
) -> None:
    parser = codec_like_parser(impl, layouts44)
    [parser.parse_message(MD_FRAME) for _ in range(REPEAT)]
    assert [result(parser.parse_message(frame)) for _ in range(REPEAT)] == [expected_message(frame, layouts44)] * REPEAT


def test_parse_message_of_other_classes_and_buffers(impl: Any, layouts44: Any) -> None:
    parser = codec_like_parser(impl, layouts44)
    [parser.parse_message(MD_FRAME) for _ in range(REPEAT)]
    expected = ordered(spec_parse(MD_FRAME, layouts44))
    for frame in (bytearray(MD_FRAME), memoryview(MD_FRAME), MD_FRAME):
        assert ordered(parser.parse_message(frame, FixMessage)) == expected
        assert ordered(parser.parse_message(frame)) == expected
    msg = parser.parse_message(MD_FRAME, _PrefilledMessage)
    assert type(msg) is _PrefilledMessage and list(msg) == [1, 35, 268, 10]
    assert parser.parse_message(MD_FRAME[:-1], _PrefilledMessage) == _Declined(MD_FRAME[:-1], _PrefilledMessage)
    with pytest.raises(TypeError, match="message_class"):
        parser.parse_message(MD_FRAME, "FixMessage")


def test_parse_message_follows_set_lenient_and_reset_layouts(impl: Any, layouts44: Any) -> None:
    current = {"layouts": impl.parser.compile_layouts(layouts44)}
    parser = codec_like_parser(impl, layouts44, layouts_source=lambda: current["layouts"])
    [parser.parse_message(MD_FRAME) for _ in range(REPEAT)]
    parser.set_lenient(True)
    assert parser.parse_message(MD_FRAME) == _Declined(MD_FRAME, None)
    parser.set_lenient(False)
    assert isinstance(parser.parse_message(MD_FRAME)[268], RepeatingGroup)
    current["layouts"] = impl.parser.compile_layouts({})
    parser.reset_layouts()
    flat = ordered(spec_parse(MD_FRAME, {}))
    assert [ordered(parser.parse_message(MD_FRAME)) for _ in range(REPEAT)] == [flat] * REPEAT


class _CountingParserMixin:
    """A MessageParser subclass whose parse_message override must stay in force."""

    calls = 0

    def parse_message(self, frame: Any, message_class: Any = None) -> Any:
        type(self).calls += 1
        return super().parse_message(frame, message_class)  # type: ignore[misc]


def test_a_subclass_override_of_parse_message_is_not_shadowed(impl: Any, layouts44: Any) -> None:
    counting: Any = type("CountingParser", (_CountingParserMixin, impl.parser.MessageParser), {})
    parser = counting(None, FixFragment, RepeatingGroup, None, 1, FixMessage, _Declined, lambda: layouts44)
    msgs = [parser.parse_message(MD_FRAME) for _ in range(REPEAT)]
    assert counting.calls == REPEAT and all(ordered(m) == ordered(spec_parse(MD_FRAME, layouts44)) for m in msgs)


def test_a_copied_pure_parser_parses_with_its_own_state(layouts44: Any) -> None:
    """White-box: the one-frame function is a closure over its parser; a copy or a pickle round trip makes its own."""
    import copy
    import pickle

    pure = _impl.pure("parser")
    parser = pure.MessageParser(None, FixFragment, RepeatingGroup, None, 1, FixMessage, None, None)
    parser.parse_message(wire((35, "0"), (112, "t")))
    for clone in (copy.copy(parser), pickle.loads(pickle.dumps(parser))):
        assert clone.parse_message.__closure__ is not None
        assert any(cell.cell_contents is clone for cell in clone.parse_message.__closure__)
        assert clone.parse_message(wire((35, "0"), (112, "u"))) == {35: "0", 112: "u"}
        clone.set_lenient(True)  # no fallback: a lenient parser has nothing to give
        with pytest.raises(ValueError, match="no fallback"):
            clone.parse_message(wire((35, "0"), (112, "u")))
        assert parser.parse_message(wire((35, "0"), (112, "v"))) == {35: "0", 112: "v"}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(frame_fields_st.map(lambda f: wire(*f)),
                          st.lists(piece_st, max_size=20).map(lambda p: b"".join(x + SOH for x in p))),
                min_size=1, max_size=6))  # fmt: skip
def test_parse_message_follows_the_field_by_field_rules(frames: list[bytes]) -> None:
    """Random frames (groups, odd values, pieces without '=' or with two), each parsed until its plan runs
    generated code, through a codec-like parser of each twin present: parse, or the fallback when it declines."""
    modules = [_impl.pure("parser")]
    compiled = _impl.compiled("parser")
    if compiled is not None and not _impl.extensions_disabled():
        modules.append(compiled)
    codec = Codec()
    parsers = [
        m.MessageParser(None, FixFragment, RepeatingGroup, codec, 1, FixMessage, _Declined,
                        lambda m=m: m.compile_layouts(LAYOUTS_44))
        for m in modules
    ]  # fmt: skip
    for frame in frames:
        expected = expected_message(frame, LAYOUTS_44)
        for parser in parsers:
            assert [result(parser.parse_message(frame)) for _ in range(REPEAT)] == [expected] * REPEAT


# --- the one-frame parse_message's shape patterns (pure twin) ---------------------------------------------------
# Once a shape's builder runs compiled, the pure twin's one-frame parse_message reads frames with as many "=" as
# the shape has fields through the shape's pattern (literal tag pieces, values up to the separator) instead of the
# cut. The frames below are parsed after such a pattern is in place; the answers must stay those of the rules.

SEPARATORS = [1, ord("|"), ord("^"), ord("]"), ord("\\"), ord("-"), ord("\n"), ord("*"), ord(" "), ord("a")]


def wire_sep(sep: int, *fields: tuple[Any, str]) -> bytes:
    return b"".join(b"%s=%s%c" % (str(tag).encode(), value.encode(), sep) for tag, value in fields)


def expected_with_sep(frame: bytes, sep: int, layouts: Any) -> Any:
    """The field-by-field rules for any separator (the module-level parse_message of the pure twin)."""
    pure = _impl.pure("parser")
    parsed = pure.parse_message(frame, sep, pure.compile_layouts(layouts), FixMessage, FixFragment, RepeatingGroup,
                                None)  # fmt: skip
    return _Declined(frame, None) if parsed is None else ordered(parsed)


def one_frame_parsers(layouts: Any, sep: int = 1) -> list[Any]:
    """A codec-like parser of each twin present, with separator ``sep``."""
    modules = [_impl.pure("parser")]
    compiled = _impl.compiled("parser")
    if compiled is not None and not _impl.extensions_disabled():
        modules.append(compiled)
    return [
        m.MessageParser(None, FixFragment, RepeatingGroup, None, sep, FixMessage, _Declined,
                        lambda m=m: m.compile_layouts(layouts))
        for m in modules
    ]  # fmt: skip


def test_a_compiled_shape_gets_a_pattern_that_later_frames_take(layouts44: Any) -> None:
    """White-box: the pattern is registered once the builder runs compiled, frames of the shape then go through it
    (a spy on its fullmatch), first by their separator count, then by their length, with the same messages;
    reset_layouts forgets the patterns and length hints with the shapes."""
    pure = _impl.pure("parser")
    parser = pure.MessageParser(None, FixFragment, RepeatingGroup, None, 1, FixMessage, _Declined,
                                lambda: pure.compile_layouts(layouts44))  # fmt: skip
    expected = ordered(spec_parse(MD_FRAME, layouts44))
    assert [ordered(parser.parse_message(MD_FRAME)) for _ in range(REPEAT)] == [expected] * REPEAT
    assert list(parser._patterns) == [7] and len(parser._patterns[7]) == 1
    fullmatch, shape = parser._patterns[7][0]
    calls: list[str] = []

    def spy(text: str) -> Any:
        calls.append(text)
        return fullmatch(text)

    parser._patterns[7][0] = (spy, shape)
    parser._length_hints.clear()
    other = MD_FRAME.replace(b"270=1", b"270=1.5").replace(b"279=0", b"279=\xc3\xa9")  # same shape, new values
    for frame in (other, MD_FRAME, other, MD_FRAME):
        assert ordered(parser.parse_message(frame)) == ordered(spec_parse(frame, layouts44))
    assert calls == [other.decode(), MD_FRAME.decode()] * 2
    assert parser._length_hints == {len(other): (spy, shape), len(MD_FRAME): (spy, shape)}
    parser.reset_layouts()
    assert parser._patterns == {} and parser._length_hints == {} and parser._shapes == {}


def test_shapes_with_as_many_fields_share_a_count_within_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapes of one field count are tried in turn; past _MAX_PATTERNS_PER_COUNT they keep to the cut."""
    pure = _impl.pure("parser")
    monkeypatch.setattr(pure, "_MAX_PATTERNS_PER_COUNT", 2)
    parser = pure.MessageParser(None, dict, RepeatingGroup, None, 1, dict, _Declined, None)
    frames = [wire((35, "0"), (5000 + k, "v"), (10, "000")) for k in range(3)]
    for frame in frames:
        assert [parser.parse_message(frame) for _ in range(REPEAT)] == [dict(parse_pairs_as_str(frame))] * REPEAT
    assert [len(shape.tags) for _, shape in parser._patterns[3]] == [3, 3]
    for frame in frames * 2 + [wire((35, "0"), (5002, "w"), (10, "001")), wire((35, "0"), (5003, "v"), (10, "0"))]:
        assert parser.parse_message(frame) == dict(parse_pairs_as_str(frame))


@pytest.mark.parametrize("sep", SEPARATORS)
def test_frames_near_a_learnt_shape_get_what_the_rules_give(sep: int, layouts44: Any) -> None:
    """Frames with as many '=' as a shape whose pattern is in place but not of it (a '=' moved into a value, a
    tag spelt with a leading zero, a separator missing or doubled, a value holding the separator, non-UTF-8),
    for separators that are regex metacharacters too."""
    fields = [(8, "FIX.4.4"), (35, "X"), (268, "2"), (279, "0"), (270, "1"), (279, "1"), (270, "2"), (10, "000")]
    learnt = wire_sep(sep, *fields)
    s = bytes((sep,))
    near = [
        learnt.replace(b"270=1" + s, b"270=1=" + s, 1).replace(b"10=", b"10", 1),  # '=' moved into a value
        learnt.replace(b"279=0", b"0279=0"),  # a tag spelt with a leading zero: another shape
        learnt.replace(b"270=1", b"271=1"),  # another tag of as many digits
        learnt.replace(s + b"279=1", b"279=1", 1),  # a separator missing
        learnt.replace(b"270=2" + s, b"270=2" + s + s),  # a separator doubled
        learnt.replace(b"270=2", b"270=2" + s + b"9"),  # the separator inside a value
        learnt.replace(b"270=1", b"270=\xff"),  # not UTF-8
        learnt[:-1] + b"x",  # no final separator
        learnt.replace(b"268=2", b"268=0"),  # a count not above zero: assembled field by field
        learnt.replace(b"35=X", b"35=Y"),  # another MsgType: another plan (no layout: flat)
        wire_sep(sep, *[(tag, value + "Z") for tag, value in fields]),  # the shape, other values
    ]
    for parser in one_frame_parsers(layouts44, sep):
        assert [result(parser.parse_message(learnt)) for _ in range(REPEAT + 1)] == [
            expected_with_sep(learnt, sep, layouts44)
        ] * (REPEAT + 1)
        for frame in near:
            assert [result(parser.parse_message(frame)) for _ in range(2)] == [
                expected_with_sep(frame, sep, layouts44)
            ] * 2, frame


edit_st = st.one_of(
    st.sampled_from([b"=", b"\x00", b"1", b"0", b"\xff", b"\x00\x00", b"9=", b"a"]), st.binary(max_size=3)
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SEPARATORS), frame_fields_st, st.lists(st.tuples(st.integers(0, 400), edit_st), min_size=1,
                                                               max_size=6))  # fmt: skip
def test_edits_of_a_learnt_frame_follow_the_rules(
    sep: int, fields: list[tuple[int, str]], edits: list[tuple[int, bytes]]
) -> None:
    """A frame parsed until its pattern is in place, then copies of it with bytes put in at random places
    ('=', separators, digits, anything): each twin gives what the field-by-field rules give."""
    learnt = wire_sep(sep, (8, "FIX.4.4"), *fields, (10, "000"))
    parsers = one_frame_parsers(LAYOUTS_44, sep)
    for parser in parsers:
        assert [result(parser.parse_message(learnt)) for _ in range(REPEAT + 1)] == [
            expected_with_sep(learnt, sep, LAYOUTS_44)
        ] * (REPEAT + 1)
    for at, insert in edits:
        at %= len(learnt) + 1
        frame = learnt[:at] + insert.replace(b"\x00", bytes((sep,))) + learnt[at:]
        for edited in (frame, frame.replace(b"=", b"", 1) if frame.count(b"=") > learnt.count(b"=") else frame):
            expected = expected_with_sep(edited, sep, LAYOUTS_44)
            for parser in parsers:
                assert result(parser.parse_message(edited)) == expected, edited


def test_length_hints_are_bounded_and_only_ever_a_first_try(monkeypatch: pytest.MonkeyPatch) -> None:
    """White-box: past _MAX_LENGTH_HINTS lengths the hints start over; a hint of another shape at the same length
    (two shapes, one length) costs a try, never a wrong message."""
    pure = _impl.pure("parser")
    monkeypatch.setattr(pure, "_MAX_LENGTH_HINTS", 2)
    parser = pure.MessageParser(None, dict, RepeatingGroup, None, 1, dict, _Declined, None)
    same_length = [wire((35, "0"), (5000, "v")), wire((35, "0"), (5001, "v"))]
    other_lengths = [wire((35, "0"), (5000, "v" * k)) for k in (2, 3, 4)]
    for frame in same_length + other_lengths:
        assert [parser.parse_message(frame) for _ in range(REPEAT)] == [dict(parse_pairs_as_str(frame))] * REPEAT
        assert len(parser._length_hints) <= 2
    for frame in (same_length + other_lengths) * 2:
        assert parser.parse_message(frame) == dict(parse_pairs_as_str(frame))
