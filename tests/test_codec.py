"""Codec: pyfixmsg's lenient tokenizer quirks, decoding, spec-driven groups and serialising order."""

from __future__ import annotations

import datetime
import pickle
from decimal import Decimal
from typing import Any

import pytest

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup
from pyfixmsg_plus.message.reference import FixSpec


@pytest.fixture(scope="module")
def spec44() -> FixSpec:
    return FixSpec.from_builtin("FIX.4.4")


@pytest.fixture
def codec(impl: Any) -> Codec:
    return Codec(parser=impl.parser)


@pytest.fixture
def codec44(impl: Any, spec44: FixSpec) -> Codec:
    return Codec(spec=spec44, fragment_class=FixFragment, parser=impl.parser)


# --- lenient tokenizer quirks (pyfixmsg) ---


def test_stray_separator_stays_in_previous_value(codec: Codec) -> None:
    assert codec.parse("35=D;132=1453;123;55=X;", separator=";") == {35: "D", 132: "1453;123", 55: "X"}


def test_everything_after_first_equals_is_value(codec: Codec) -> None:
    assert codec.parse(b"151==3\x0115=2=4\x013333=\x01") == {151: "=3", 15: "2=4", 3333: ""}


def test_newlines_in_values_and_whitespace_around_tags(codec: Codec) -> None:
    assert codec.parse("58=a\nb;\n 35=D;", separator=";") == {58: "a\nb", 35: "D"}


def test_trailing_field_without_separator_is_dropped(codec: Codec) -> None:
    assert codec.parse(b"35=D\x0110=000") == {35: "D"}


def test_non_int_tags_kept_as_str(codec: Codec) -> None:
    assert codec.parse("35=D;abc=1;", separator=";") == {35: "D", "abc": "1"}


def test_bad_arguments(codec: Codec) -> None:
    with pytest.raises(ValueError, match="buff"):
        codec.parse(12)
    with pytest.raises(ValueError, match="separator='a'"):
        codec.parse("35=D", separator="a")


def test_decode_as_and_message_encoding(impl: Any) -> None:
    latin = Codec(decode_as="latin-1", parser=impl.parser)
    assert latin.parse(b"58=caf\xe9\x01") == {58: "café"}
    japanese = "テスト".encode("shift_jis")
    frame = b"347=Shift_JIS\x01355=" + japanese + b"\x0158=plain\x01"
    assert Codec(parser=impl.parser).parse(frame)[355] == "テスト"
    all_347 = Codec(decode_all_as_347=True, parser=impl.parser).parse(
        b"347=Shift_JIS\x0158=" + japanese + b"\x01"
    )
    assert all_347[58] == "テスト"


def test_str_input_ignores_decode_as_with_warning(impl: Any) -> None:
    with pytest.warns(UserWarning, match="decode_as"):
        assert Codec(decode_as="latin-1", parser=impl.parser).parse("35=D\x01") == {35: "D"}


def test_fast_and_lenient_paths_agree_on_well_formed_input(codec44: Codec) -> None:
    frame = b"8=FIX.4.4\x019=10\x0135=X\x0149=A\x01268=2\x01279=0\x0155=X\x01279=1\x01270=1.5\x0110=000\x01"
    fast = codec44.parse(frame)
    lenient = codec44.parse(frame.replace(b"\x01", b";").decode(), separator=";")
    assert fast == lenient and type(fast[268]) is type(lenient[268]) is RepeatingGroup
    assert (
        codec44.parse_message(frame) == FixMessage(lenient) or dict(codec44.parse_message(frame)) == lenient
    )


# --- groups with a spec ------------------------------------------------------------------------------------


def test_short_message_with_spec_parses(codec44: Codec) -> None:
    assert codec44.parse(b"35=0\x01") == {35: "0"}  # pyfixmsg raised IndexError under four fields


def test_default_fragment_class_is_dict(impl: Any, spec44: FixSpec) -> None:
    parsed = Codec(spec=spec44, parser=impl.parser).parse(b"35=X\x01268=1\x01279=0\x01")
    assert type(parsed) is dict and type(parsed[268][0]) is dict and isinstance(parsed[268], RepeatingGroup)


def test_no_groups_parses_flat(impl: Any, spec44: FixSpec) -> None:
    flat = Codec(spec=spec44, no_groups=True, parser=impl.parser).parse(b"35=X\x01268=1\x01279=0\x01")
    assert flat == {35: "X", 268: "1", 279: "0"}


def test_add_group_synthetic_group(impl: Any) -> None:
    spec = FixSpec.from_builtin("FIX.4.4")
    tags = spec.tags
    spec.msg_types["0"].add_group(tags.by_tag(268), [(tags.by_tag(58), False), (tags.by_tag(55), False)])
    codec = Codec(spec=spec, parser=impl.parser)
    parsed = codec.parse(b"35=0\x01268=2\x0158=a\x0155=b\x0158=c\x0110=1\x01")
    assert parsed == {35: "0", 268: [{58: "a", 55: "b"}, {58: "c"}], 10: "1"}


# --- serialising -------------------------------------------------------------------------------------------


def test_serialise_without_spec_uses_header_sort_map(codec: Codec) -> None:
    msg = {10: "1", 34: "2", 58: "x", 56: "T", 35: "D", 8: "FIX.4.4", 9: "5", 49: "S", 11: "a"}
    out = codec.serialise(msg, separator=";")
    assert out == b"8=FIX.4.4;9=5;35=D;49=S;56=T;34=2;11=a;58=x;10=1;"  # 56 before 34, then by number


def test_serialise_with_spec_orders_body_and_groups(codec44: Codec) -> None:
    msg = {
        10: "1", 55: "X", 35: "D", 8: "FIX.4.4", 11: "c", 34: "1", 49: "S", 9999: "u",
        453: [{452: "1", 448: "P"}], 54: "1",
    }  # fmt: skip
    pairs = codec44._unmap(msg)
    tags = [tag for tag, _ in pairs]
    assert tags[:5] == [8, 35, 49, 34, 11]
    assert tags.index(453) < tags.index(55) and tags[-2:] == [9999, 10]
    assert pairs[tags.index(453) : tags.index(453) + 3] == [(453, 1), (448, "P"), (452, "1")]


def test_serialise_value_types(codec: Codec) -> None:
    msg = {
        35: "D", 38: 100, 44: 1.5, 99: Decimal("0.00001"), 114: True, 121: False, 96: b"raw",
        60: datetime.datetime(2024, 1, 2, 3, 4, 5, 678000),
    }  # fmt: skip
    out = codec.serialise(msg, separator="|")
    assert b"38=100|" in out and b"44=1.5|" in out and b"99=0.00001|" in out
    assert b"114=Y|" in out and b"121=N|" in out and b"96=raw|" in out
    assert b"60=20240102-03:04:05.678|" in out
    with pytest.raises(TypeError):
        codec.serialise({35: "D", 58: None})


def test_plain_list_groups_and_stored_count_ignored(codec: Codec) -> None:
    group = RepeatingGroup.create_repeating_group(268, first_tag=279)
    group.extend([{55: "A", 279: "0"}])
    assert codec.serialise({35: "X", 268: group}, separator="|") == b"35=X|268=1|279=0|55=A|"
    assert (
        codec.serialise({35: "X", 268: [{279: "0"}, {279: "1"}]}, separator="|") == b"35=X|268=2|279=0|279=1|"
    )
    assert codec.serialise({35: "X", 268: []}, separator="|") == b"35=X|268=0|"


def test_unknown_msgtype_with_spec_falls_back_to_spec_less_order(codec44: Codec) -> None:
    assert codec44.serialise({58: "x", 35: "ZZ", 8: "FIX.4.4"}, separator="|") == b"8=FIX.4.4|35=ZZ|58=x|"


def test_body_fields_and_encode(codec44: Codec) -> None:
    msg = {8: "FIX.4.4", 9: "99", 35: "0", 49: "S", 10: "999"}
    assert codec44.body_fields(msg) == [(35, "0"), (49, "S")]
    frame = codec44.encode(msg)
    assert frame == b"8=FIX.4.4\x019=10\x0135=0\x0149=S\x0110=%03d\x01" % (
        sum(frame[: frame.rindex(b"10=")]) % 256
    )
    assert msg[9] == "99"  # encode does not change the message


def test_codec_pickles_with_its_spec(codec44: Codec) -> None:
    clone = pickle.loads(pickle.dumps(codec44))
    frame = b"35=X\x01268=1\x01279=0\x01"
    assert clone.parse(frame) == codec44.parse(frame) and clone.spec.version == "FIX4.4"


def test_parse_message_follows_refresh_layout_and_pickling(impl: Any) -> None:
    """The codec's prepared MessageParser is rebuilt after refresh_layout and is not pickled."""
    codec = Codec(spec=FixSpec.from_builtin("FIX.4.4"), fragment_class=FixFragment, parser=impl.parser)
    frame = b"8=FIX.4.4\x0135=X\x01268=1\x01279=0\x0155=A\x0110=000\x01"
    first = codec.parse_message(frame)
    assert isinstance(first[268], RepeatingGroup) and first.codec is codec
    codec.refresh_layout()
    assert codec.parse_message(frame)[268] == [{279: "0", 55: "A"}]
    clone = pickle.loads(pickle.dumps(codec))
    again = clone.parse_message(frame)
    assert again[268] == [{279: "0", 55: "A"}] and again.codec is clone


# --- the installed parse_message: the parser's own (one frame a message in the pure twin) -------------------------
LEARNT = 12  # frames of one shape: past the pure parser's compile threshold, so the last ones run generated code


def test_parse_message_follows_encoding_and_refresh_layout_after_shapes_are_learnt(impl: Any) -> None:
    codec = Codec(spec=FixSpec.from_builtin("FIX.4.4"), fragment_class=FixFragment, parser=impl.parser)
    frame = b"8=FIX.4.4\x0135=X\x01268=1\x01279=0\x0158=caf\xc3\xa9\x0110=000\x01"
    learnt = [codec.parse_message(frame) for _ in range(LEARNT)]
    assert all(msg[268] == [{279: "0", 58: "café"}] and msg.codec is codec for msg in learnt)
    codec.encoding = "latin-1"  # the wire path stops: every frame is decoded as latin-1 by the lenient path
    assert codec.parse_message(frame)[268] == [{279: "0", 58: "cafÃ©"}]
    codec.encoding = None
    assert codec.parse_message(frame)[268] == [{279: "0", 58: "café"}]
    del codec.spec.msg_types["X"].groups[268]  # the spec changes; refresh_layout makes the parser forget its plans
    codec.refresh_layout()
    assert [dict(codec.parse_message(frame)) for _ in range(LEARNT)] == [
        {8: "FIX.4.4", 35: "X", 268: "1", 279: "0", 58: "café", 10: "000"}
    ] * LEARNT


def test_a_codec_subclass_parse_message_override_is_called(impl: Any) -> None:
    class CountingCodec(Codec):
        calls = 0

        def parse_message(self, frame: Any, message_class: Any = None) -> FixMessage:
            CountingCodec.calls += 1
            return super().parse_message(frame, message_class)

    codec = CountingCodec(parser=impl.parser)
    frame = b"8=FIX.4.4\x0135=0\x0110=000\x01"
    assert [dict(codec.parse_message(frame)) for _ in range(LEARNT)] == [{8: "FIX.4.4", 35: "0", 10: "000"}] * LEARNT
    assert CountingCodec.calls == LEARNT and "parse_message" not in codec.__dict__


def _deep(value: Any) -> Any:
    """A message as nested lists of (tag, value) in key order, groups with their three attributes and classes."""
    if isinstance(value, RepeatingGroup):
        return (type(value), value.number_tag, value.first_tag, value.standard, [_deep(entry) for entry in value])
    if isinstance(value, dict):
        return (type(value), [(tag, _deep(item)) for tag, item in value.items()])
    return value


def test_corpus_frames_parse_alike_while_and_after_shapes_are_learnt(impl: Any) -> None:
    """The bench corpus's kinds of frames through one codec, three times over: the first passes learn the shapes
    (the pure twin then reads them by their patterns), and every pass gives what the first gave."""
    from pyfixmsg_plus.bench.corpus import generate

    codec = Codec(spec=FixSpec.from_builtin("FIX.4.4"), fragment_class=FixFragment, parser=impl.parser)
    frames = [message.frame for message in generate(300, seed=3)]
    first = [_deep(codec.parse_message(frame)) for frame in frames]
    for _ in range(2):
        assert [_deep(codec.parse_message(frame)) for frame in frames] == first
    lenient = Codec(spec=FixSpec.from_builtin("FIX.4.4"), fragment_class=FixFragment, parser=impl.parser)
    lenient.encoding = "utf-8"  # the lenient path for every frame
    assert [_deep(lenient.parse_message(frame)) for frame in frames] == first
