"""FixSpec and friends (pyfixmsg.reference compatible) from QuickFIX XML and the built-in dictionaries."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pyfixmsg_plus.message.errors import DictionaryError
from pyfixmsg_plus.message.reference import (
    ENCODED_DATA_TAGS,
    HEADER_SORT_MAP,
    HEADER_TAGS,
    TRAILER_TAGS,
    Component,
    FixSpec,
    FixTag,
    Group,
    TagsReference,
)

XML_FILES = ["FIX40", "FIX41", "FIX42", "FIX43", "FIX44", "FIX50", "FIX50SP1", "FIX50SP2", "FIXT11"]


@pytest.fixture(scope="module")
def fix44() -> FixSpec:
    return FixSpec.from_builtin("FIX.4.4")


# -- FixTag and TagsReference ----------------------------------------------------------------------


def side_tag() -> FixTag:
    return FixTag("Side", 54, "CHAR", (("1", "BUY"), ("2", "SELL")))


def test_fixtag_enum_lookups() -> None:
    tag = side_tag()
    assert (tag.name, tag.tag, tag.type) == ("Side", 54, "CHAR")
    assert tag.values == (("1", "BUY"), ("2", "SELL"))
    assert tag.enum_by_name("SELL") == "2"
    assert tag.enum_by_value("1") == "BUY"
    with pytest.raises(KeyError):
        tag.enum_by_name("CROSS")
    with pytest.raises(KeyError):
        tag.enum_by_value("9")


def test_fixtag_add_and_delete_enum_values() -> None:
    tag = side_tag()
    tag.add_enum_value("CROSS", "8")
    assert tag.enum_by_value("8") == "CROSS"
    with pytest.raises(KeyError):
        tag.add_enum_value("CROSS", "9")
    tag.del_enum_value(value="8")
    assert ("8", "CROSS") not in tag.values
    tag.del_enum_value(name="BUY", value="1")
    assert tag.values == (("2", "SELL"),)
    with pytest.raises(TypeError):
        tag.del_enum_value()
    with pytest.raises(ValueError):
        tag.del_enum_value(name="SELL", value="1")
    with pytest.raises(KeyError):
        tag.del_enum_value(name="BUY")
    with pytest.raises(KeyError):
        tag.del_enum_value(value="1")


def test_tags_reference_lookups_and_add_tag() -> None:
    reference = TagsReference({side_tag()})
    assert reference.by_tag(54).name == "Side"
    assert reference.by_name("Side").tag == 54
    added = reference.add_tag(5001, "MyTag")
    assert reference.by_tag(5001) is added and reference.by_name("MyTag") is added
    assert 5001 in reference and reference.get(1) is None
    with pytest.raises(KeyError):
        reference.by_tag(1)
    with pytest.raises(KeyError):
        reference.by_name("Account")


def test_module_constants_follow_pyfixmsg() -> None:
    assert HEADER_TAGS[:4] == [8, 9, 35, 1156]
    assert HEADER_SORT_MAP[56] < HEADER_SORT_MAP[34] < HEADER_SORT_MAP[52]  # pyfixmsg: 56 before 34
    assert HEADER_SORT_MAP[93] < HEADER_SORT_MAP[89] < HEADER_SORT_MAP[10]
    assert max(HEADER_SORT_MAP[t] for t in HEADER_TAGS) < HEADER_SORT_MAP[93]
    assert TRAILER_TAGS == [93, 89, 10]
    assert ENCODED_DATA_TAGS[0] == 349 and ENCODED_DATA_TAGS[-1] == 365


# -- FixSpec structure (built-in FIX 4.4) ----------------------------------------------------------


def test_spec_attributes(fix44: FixSpec) -> None:
    assert fix44.version == "FIX4.4"
    assert fix44.begin_string == "FIX.4.4"
    assert fix44.tree is None
    assert fix44.default_appl_ver_id == "6"
    assert [t.tag for t in fix44.header_tags[:5]] == [8, 9, 35, 49, 56]
    assert 627 in [t.tag for t in fix44.header_tags]  # NoHops count tag belongs to the header
    assert [t.tag for t in fix44.trailer_tags] == [93, 89, 10]
    assert fix44.tags.by_name("ClOrdID").tag == 11
    assert fix44.tags.by_tag(60).type == "UTCTIMESTAMP"


def test_msg_types_keyed_by_str_and_bytes(fix44: FixSpec) -> None:
    order = fix44.msg_types["D"]
    assert fix44.msg_types[b"D"] is order
    assert (order.msgtype, order.name, order.msgcat) == ("D", "NewOrderSingle", "app")
    assert fix44.msg_types["A"].msgcat == "admin"


def test_required_tags_expand_required_components_only(fix44: FixSpec) -> None:
    order = fix44.msg_types["D"]
    assert order.required_tags == frozenset({11, 54, 60, 40})
    assert order.required_order == (11, 54, 60, 40)
    # Symbol(55) arrives through the (required) Instrument component, where it is optional in FIX 4.4.
    assert 55 in order.member_tags and 55 not in order.required_tags


def test_groups_reached_through_components(fix44: FixSpec) -> None:
    order = fix44.msg_types["D"]
    # NoPartyIDs(453) is inside the Parties component, NoSecurityAltID(454) inside Instrument.
    assert {78, 453, 454, 386}.issubset(order.groups)
    request = fix44.msg_types["V"]
    related = request.groups[146]
    assert isinstance(related, Group)
    assert related.first_tag == 55  # the entry starts with Instrument's first field
    assert {55, 48, 167, 454}.issubset(related.member_tags)
    assert 455 not in related.member_tags  # SecurityAltID belongs to the nested group
    assert related.groups[454].first_tag == 455
    assert related.tags == set()  # pyfixmsg's direct-fields set: the entry is all components


def test_nested_groups_two_levels(fix44: FixSpec) -> None:
    orders = fix44.msg_types["E"].groups[73]
    assert orders.first_tag == 11
    allocs = orders.groups[78]
    assert allocs.groups[539].first_tag == 524
    assert allocs.required_tags == frozenset({79})
    assert orders.sorting_key[11] == 0


def test_sorting_key_header_body_trailer(fix44: FixSpec) -> None:
    key = fix44.msg_types["D"].sorting_key
    assert [key[8], key[9], key[35]] == [0, 1, 2]
    header_end = max(key[t.tag] for t in fix44.header_tags)
    assert header_end < key[11] < key[55] < key[10]
    assert key[93] < key[89] < key[10]
    assert len(set(key.values())) == len(key)  # no ties, unlike pyfixmsg's component positions


def test_add_group_registers_synthetic_group(fix44: FixSpec) -> None:
    spec = FixSpec.from_builtin("FIX.4.4")
    message = spec.msg_types["D"]
    count = spec.tags.add_tag(5100, "NoMyThings")
    member = spec.tags.add_tag(5101, "MyThing")
    group = message.add_group(count, [(member, True)], insert_at=500)
    assert message.groups[5100] is group and group.first_tag == 5101
    assert message.sorting_key[5100] == 500 and 5100 in message.member_tags
    inner = spec.tags.add_tag(5102, "NoInner")
    nested = group.add_group(inner, [(spec.tags.by_tag(58), False)])
    assert group.groups[5102] is nested and 5102 in group.member_tags


def test_component_objects_are_shared(fix44: FixSpec) -> None:
    instrument = fix44.components["Instrument"]
    assert isinstance(instrument, Component)
    assert instrument.sorting_key[55] == 0
    uses = [item for item, _ in fix44.msg_types["D"].composition if isinstance(item, Component)]
    assert instrument in uses


def test_spec_pickles(fix44: FixSpec) -> None:
    again = pickle.loads(pickle.dumps(fix44))
    assert again.msg_types["D"].required_tags == fix44.msg_types["D"].required_tags
    assert again.msg_types[b"V"].groups[146].first_tag == 55


# -- QuickFIX XML files ----------------------------------------------------------------------------


@pytest.mark.parametrize("stem", XML_FILES)
def test_every_quickfix_xml_loads(shared_dir: Path, stem: str) -> None:
    path = shared_dir / "spec" / f"{stem}.xml"
    spec = FixSpec(str(path))
    assert spec.source == str(path)
    assert spec.msg_types and len(spec.tags) > 50
    expected_version = "FIX1.1" if stem == "FIXT11" else f"FIX{stem[3]}.{stem[4]}"
    assert spec.version == expected_version
    fixt = stem.startswith("FIX5") or stem == "FIXT11"
    assert spec.begin_string == ("FIXT.1.1" if fixt else f"FIX.{stem[3]}.{stem[4]}")
    for message in spec.messages:
        assert set(message.groups) <= message.member_tags
        for group in message.groups.values():
            assert group.first_tag in group.member_tags


def test_fix50sp2_with_transport_merges_session_layer(shared_dir: Path) -> None:
    spec = FixSpec(shared_dir / "spec" / "FIX50SP2.xml", transport=shared_dir / "spec" / "FIXT11.xml")
    assert spec.begin_string == "FIXT.1.1" and spec.version == "FIX5.0" and spec.service_pack == 2
    assert spec.default_appl_ver_id == "9"
    assert [t.tag for t in spec.header_tags[:3]] == [8, 9, 35]
    assert spec.msg_types["A"].name == "Logon"
    assert spec.msg_types["D"].name == "NewOrderSingle"
    # Logon's NoMsgTypes(384) group: the application dictionary's MsgTypeGrp wins over FIXT11's empty one.
    assert 384 in spec.msg_types["A"].groups


def write_xml(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.xml"
    path.write_text(f"<fix type='FIX' major='4' minor='4' servicepack='0'>{body}</fix>")
    return path


FIELDS = "<fields><field number='1' name='Account' type='STRING'/></fields>"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (
            "<messages><message name='X' msgtype='X'><field name='Nope' required='N'/></message></messages>"
            + FIELDS,
            "'Nope'",
        ),
        (
            "<messages><message name='X' msgtype='X'><component name='Gone'/></message></messages>" + FIELDS,
            "'Gone'",
        ),
        (
            "<components><component name='Loop'><component name='Loop'/></component></components>" + FIELDS,
            "'Loop'",
        ),
        ("<messages><message name='X' msgtype='X'><bogus/></message></messages>" + FIELDS, "<bogus>"),
    ],
    ids=["unknown-field", "unknown-component", "component-cycle", "unknown-element"],
)
def test_inconsistent_xml_names_the_culprit(tmp_path: Path, body: str, named: str) -> None:
    with pytest.raises(DictionaryError, match=named):
        FixSpec(write_xml(tmp_path, body))


def test_unreadable_xml_is_a_dictionary_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<fix major='4'")
    with pytest.raises(DictionaryError, match=r"broken\.xml"):
        FixSpec(path)
