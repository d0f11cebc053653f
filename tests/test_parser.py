"""The parser module (compiled and pure): the strict tokenizer, the fast message path and group assembly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.codec import Codec, build_layouts
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
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
