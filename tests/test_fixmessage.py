"""FixMessage, FixFragment, RepeatingGroup and len_and_chsum: pyfixmsg's behaviour, quirk by quirk."""

from __future__ import annotations

import copy
import datetime
import pickle
from typing import Any

import pytest

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.compat import as_fixmessage
from pyfixmsg_plus.message.fixmessage import (
    FixFragment,
    FixMessage,
    RepeatingGroup,
    RepeatingGroupFactory,
    len_and_chsum,
)
from pyfixmsg_plus.message.reference import FixSpec

EXAMPLE = "8=FIX.4.2|9=49|35=5|34=1|49=WXYZ|52=20150916-04:14:05.306|56=AA|10=191|"


@pytest.fixture
def codec44(impl: Any) -> Codec:
    return Codec(spec=FixSpec.from_builtin("FIX.4.4"), fragment_class=FixFragment, parser=impl.parser)


def example() -> FixMessage:
    return FixMessage().load_fix(EXAMPLE, separator="|")


def md_message(codec: Codec) -> FixMessage:
    frame = b"8=FIX.4.4\x0135=X\x01268=2\x01279=0\x01270=1\x0155=A\x01279=1\x01270=2\x0110=000\x01"
    return codec.parse_message(frame)


def test_defaults_and_attributes() -> None:
    msg = FixMessage({35: "0"})
    assert (msg.process, msg.separator, msg.recipient, msg.direction) == ("", ";", "", None)
    assert (msg.typed_values, msg.raw_message, msg.tag_order) == (False, None, None)
    assert msg.time.tzinfo is None and abs(msg.time - datetime.datetime.utcnow()).total_seconds() < 60
    assert isinstance(msg.codec, Codec) and msg.codec.spec is None
    assert FixMessage.FragmentType is FixFragment and FixFragment().typed_values is True


def test_len_and_chsum_reference_example() -> None:
    msg = example()
    assert len_and_chsum(msg) == (49, 3263) and msg.checksum() == "191" and msg.calculate_checksum() == "191"
    assert msg.checksum(3263) == "191" and msg.checksum(5) == "005"


def test_load_fix_sets_tag_order_and_process() -> None:
    msg = FixMessage().load_fix("  35=D;11=a;  ", process="p")
    assert msg == {35: "D", 11: "a"} and msg.tag_order == [35, 11] and msg.process == "p"


def test_from_wire_returns_none_and_from_buffer(codec44: Codec) -> None:
    frame = b"8=FIX.4.4\x0135=0\x0110=000\x01"
    msg = FixMessage()
    assert msg.from_wire(frame, codec=codec44) is None  # type: ignore[func-returns-value]
    assert msg == {8: "FIX.4.4", 35: "0", 10: "000"} and msg.typed_values is True
    buffered = FixMessage.from_buffer(frame, codec44)
    assert buffered.get_raw_message() is frame and buffered.codec is codec44
    parsed = FixMessage.from_wire_bytes(frame, codec44)
    assert type(parsed) is FixMessage and dict(parsed) == dict(msg) and parsed.codec is codec44


def test_to_wire_and_output_fix_set_length_and_checksum_as_str() -> None:
    msg = FixMessage({8: "FIX.4.4", 35: "0"})
    assert str(msg) == "8=FIX.4.4;9=5;35=0;10=163;"
    assert msg[9] == "5" and msg[10] == "163"
    assert msg.to_wire() == b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01"
    assert msg.output_fix("|", remove_length=True) == b"8=FIX.4.4|35=0|10=163|"
    assert FixMessage({8: "FIX.4.4", 35: "0"}).fix == b"8=FIX.4.4;9=5;35=0;10=163;"


def test_plain_lists_count_like_groups() -> None:
    entries = [{279: "0", 55: "A"}, {279: "1"}]
    group = RepeatingGroup(FixFragment(e) for e in entries)
    group.number_tag = 268
    as_list = FixMessage({8: "FIX.4.4", 35: "X", 268: [dict(e) for e in entries]})
    as_group = FixMessage({8: "FIX.4.4", 35: "X", 268: group})
    assert len_and_chsum(as_list) == len_and_chsum(as_group)
    wire = as_list.to_wire()
    body = wire[wire.index(b"35=") : wire.index(b"10=")]
    assert int(as_list[9]) == len(body) and int(as_list[10]) == sum(wire[: wire.index(b"10=")]) % 256


def test_equality_ignores_length_and_checksum_without_mutating() -> None:
    msg = example()
    clone = copy.copy(msg)
    assert clone == msg
    assert (clone != msg) is False  # __ne__ has its own rule in pyfixmsg: checked separately
    other = FixMessage(msg)  # fresh time, no codec: pyfixmsg says !=
    other.time = msg.time + datetime.timedelta(seconds=1)
    assert other != msg
    assert (other == msg) is False
    assert 9 in msg and 10 in msg  # pyfixmsg deleted them; we do not
    clone.recipient = "someone"
    assert (clone == msg) is False  # == checks recipient...
    assert (clone != msg) is False  # ...and != ignores it (pyfixmsg)
    assert (msg == None) is False  # noqa: E711 - the comparison under test


def test_ordering_by_time() -> None:
    first, second = FixMessage(), FixMessage()
    second.time = first.time + datetime.timedelta(microseconds=5)
    assert first < second and second > first and first <= second and sorted([second, first])[0] is first


def test_copy_reparses_values_as_str() -> None:
    msg = FixMessage({8: "FIX.4.4", 35: "D", 38: 100})
    msg.process, msg.direction = "p", 1
    duplicate = msg.copy()
    assert duplicate[38] == "100" and msg[38] == 100
    assert duplicate.time == msg.time and duplicate.process == "p" and duplicate.direction == 1
    assert duplicate.codec is msg.codec and duplicate[9] == str(len_and_chsum(duplicate)[0])


def test_pickle_round_trip_keeps_codec_and_spec(codec44: Codec) -> None:
    msg = md_message(codec44)
    msg.recipient = "r"
    loaded = pickle.loads(pickle.dumps(msg))
    assert loaded == msg and loaded.codec.spec.version == "FIX4.4" and loaded.recipient == "r"
    assert isinstance(loaded[268], RepeatingGroup) and loaded[268].number_tag == 268
    assert pickle.loads(pickle.dumps(msg, protocol=0)) == msg


def test_editing_helpers(codec44: Codec) -> None:
    msg = md_message(codec44)
    msg.set_or_delete(58, "x")
    msg.set_or_delete(58, "")
    msg.set_or_delete(44, 0)
    assert 58 not in msg and msg[44] == 0
    msg.apply({44: None, 1: "acct"})
    assert 44 not in msg and msg[1] == "acct"
    msg.update_all(270, "9")
    assert [entry[270] for entry in msg[268]] == ["9", "9"]
    with pytest.warns(DeprecationWarning):
        assert msg.tags is msg


def test_query_helpers() -> None:
    msg = FixMessage({7205: b"LSE", 54: "2", 55: "Vod", 44: "10.5", 58: "abc"})
    assert msg.tag_exact(7205, b"LSE") and msg.tag_exact(7205, "LSE") and msg.tag_exact(54, 2)
    assert not msg.tag_exact(1, "x") and msg.tag_iexact(55, "VOD") and not msg.tag_exact(55, "VOD")
    assert msg.tag_contains(58, "b") and msg.tag_icontains(55, "OD") and not msg.tag_contains(1, "a")
    assert msg.tag_exact_dict({54: 2, 55: "Vod"}) and not msg.tag_exact_dict({54: 1})
    assert (
        msg.tag_match_regex(58, "ab") and msg.tag_match_regex(58, b"a") and not msg.tag_match_regex(58, "bc")
    )
    assert msg.tag_lt(44, "11") and msg.tag_le(44, "10.50") and msg.tag_gt(44, 9) and msg.tag_ge(44, "10.5")
    assert msg.tag_lt(58, "b") and not msg.tag_lt(1, "5") and not msg.tag_gt(44, 0)
    assert msg.tag_in(54, [1, 2]) and not msg.tag_in(54, ["1"]) and not msg.tag_in(1, ["1"])


def test_find_all_anywhere_all_tags_length(codec44: Codec) -> None:
    msg = md_message(codec44)
    assert list(msg.find_all(270)) == [[268, 0, 270], [268, 1, 270]]
    assert list(msg.find_all(35)) == [[35]]
    assert msg.anywhere(55) and not msg.anywhere(9999)
    assert set(msg.all_tags()) == {8, 35, 268, 279, 270, 55, 10}
    assert list(msg[268].find_all(55)) == [[0, 55]] and set(msg[268].all_tags()) == {279, 270, 55}
    assert msg.length() == len_and_chsum(msg)[0]
    assert msg[268].length() == len(b"279=0|270=1|55=A|279=1|270=2|")


def test_repeating_group_api() -> None:
    group = RepeatingGroup.create_repeating_group(382, first_tag=375)
    group.append(FixFragment({375: "A", 337: "B"}))
    assert group.entry_tag == (382, 1) and group.standard is True and group == [{375: "A", 337: "B"}]
    combined = group + [FixFragment({375: "C"})]  # noqa: RUF005 - RepeatingGroup.__add__ under test
    assert isinstance(combined, RepeatingGroup) and combined.number_tag == 382 and len(combined) == 2
    built = RepeatingGroupFactory(382, first_tag=375).get_r_group({375: "x"}, {375: "y"})
    assert built.number_tag == 382 and built.first_tag == 375 and built == [{375: "x"}, {375: "y"}]
    assert FixFragment.from_dict({1: "a"}) == {1: "a"}


def test_alias_package_is_a_one_line_port() -> None:
    from pyfixmsg_plus.pyfixmsg import RepeatingGroup as AliasGroup
    from pyfixmsg_plus.pyfixmsg import len_and_chsum as alias_len
    from pyfixmsg_plus.pyfixmsg.codecs.stringfix import SEPARATOR
    from pyfixmsg_plus.pyfixmsg.codecs.stringfix import Codec as AliasCodec
    from pyfixmsg_plus.pyfixmsg.fixmessage import FixMessage as AliasMessage
    from pyfixmsg_plus.pyfixmsg.reference import HEADER_SORT_MAP
    from pyfixmsg_plus.pyfixmsg.reference import FixSpec as AliasSpec
    from pyfixmsg_plus.pyfixmsg.util import int_or_str, native_str, utc_timestamp

    assert AliasGroup is RepeatingGroup and AliasMessage is FixMessage and AliasCodec is Codec
    assert (
        AliasSpec is FixSpec
        and alias_len is len_and_chsum
        and SEPARATOR == "\x01"
        and HEADER_SORT_MAP[8] == 0
    )
    assert int_or_str(" 12 ") == 12 and int_or_str(b" ab ", "ascii") == "ab" and native_str(5) == "5"
    assert len(utc_timestamp()) == len("20240101-00:00:00.000000")


def test_as_fixmessage_converts_duck_typed_messages() -> None:
    class Foreign(dict):  # stands for pyfixmsg's FixMessage: a dict with attributes and list groups
        recipient = "them"

    foreign = Foreign({35: "X", 268: [{279: "0"}]})
    converted = as_fixmessage(foreign)
    assert isinstance(converted, FixMessage) and converted.recipient == "them"
    assert isinstance(converted[268], RepeatingGroup) and converted[268].number_tag == 268
    assert as_fixmessage(converted) is converted
    with pytest.raises(TypeError, match="int"):
        as_fixmessage(5)


# --- RepeatingGroup keeps its attributes in slots (no per-group __dict__) -----------------------------------------


class _TaggedGroup(RepeatingGroup):
    """A subclass without __slots__: it gets a __dict__ for its own attributes."""


class _SlottedGroup(RepeatingGroup):
    """A subclass adding a slot of its own."""

    __slots__ = ("venue",)
    venue: str


def _group_attributes(group: RepeatingGroup) -> tuple[Any, Any, Any]:
    return group.number_tag, group.first_tag, group.standard


def test_new_groups_read_pyfixmsg_defaults_and_take_other_attributes() -> None:
    group = RepeatingGroup()
    assert _group_attributes(group) == (None, None, True)
    assert getattr(group, "missing", "fallback") == "fallback"
    with pytest.raises(AttributeError, match="'RepeatingGroup' object has no attribute 'colour'"):
        group.colour  # noqa: B018 - the read under test
    group.colour = "red"  # type: ignore[attr-defined]  # pyfixmsg groups take any attribute
    group.number_tag = 453
    assert group.__dict__ == {"colour": "red"}  # the slot attribute is not in the dict
    for copied in (copy.copy(group), copy.deepcopy(group), pickle.loads(pickle.dumps(group))):
        assert copied.colour == "red" and copied.number_tag == 453
    group.number_tag = 268
    del group.number_tag
    assert group.number_tag is None  # deleted: the default again
    import weakref

    assert weakref.ref(group)() is group


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_group_pickle_keeps_entries_and_attributes(protocol: int) -> None:
    group = RepeatingGroup.create_repeating_group(268, standard=False, first_tag=279)
    group.append(FixFragment({279: "0", 270: "1.5"}))
    loaded = pickle.loads(pickle.dumps(group, protocol=protocol))
    assert type(loaded) is RepeatingGroup and loaded == group and type(loaded[0]) is FixFragment
    assert _group_attributes(loaded) == (268, 279, False)
    bare = pickle.loads(pickle.dumps(RepeatingGroup([{1: "a"}]), protocol=protocol))
    assert bare == [{1: "a"}] and _group_attributes(bare) == (None, None, True)


@pytest.mark.parametrize("duplicate", [copy.copy, copy.deepcopy])
def test_group_copy_and_deepcopy_keep_attributes(duplicate: Any) -> None:
    group = RepeatingGroup.create_repeating_group(453, first_tag=448)
    group.append(FixFragment({448: "X"}))
    clone = duplicate(group)
    assert clone == group and clone is not group and _group_attributes(clone) == (453, 448, True)
    assert (clone[0] is group[0]) is (duplicate is copy.copy)


def test_group_subclasses_keep_their_own_attributes_through_pickle_and_copy() -> None:
    tagged = _TaggedGroup([{1: "a"}])
    tagged.number_tag, tagged.note = 78, "mine"  # type: ignore[attr-defined]
    slotted = _SlottedGroup.create_repeating_group(555, first_tag=600)
    slotted.venue = "XLON"
    for group in (tagged, slotted):
        for clone in (pickle.loads(pickle.dumps(group)), pickle.loads(pickle.dumps(group, 0)), copy.deepcopy(group)):
            assert type(clone) is type(group) and clone == group
            assert _group_attributes(clone) == _group_attributes(group)
    assert pickle.loads(pickle.dumps(tagged)).note == "mine"
    assert copy.deepcopy(slotted).venue == "XLON" and pickle.loads(pickle.dumps(slotted, 0)).venue == "XLON"
    assert _group_attributes(_SlottedGroup()) == (None, None, True)


def test_parsed_message_groups_survive_pickle_and_deepcopy(codec44: Codec) -> None:
    msg = md_message(codec44)
    for clone in (pickle.loads(pickle.dumps(msg)), pickle.loads(pickle.dumps(msg, 0)), copy.deepcopy(msg)):
        assert clone == msg and _group_attributes(clone[268]) == (268, 279, True)
