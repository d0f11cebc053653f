"""Built-in compact dictionaries: loading, the compact format, and equality with the QuickFIX XML load."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.message import dictionary
from pyfixmsg_plus.message.errors import DictionaryError
from pyfixmsg_plus.message.reference import Component, FixSpec, FixTag, Group

#: built-in name -> (application XML, transport XML or None), as scripts/gen_dictionaries.py builds them
SOURCES = {
    "FIX.4.2": ("FIX42.xml", None),
    "FIX.4.4": ("FIX44.xml", None),
    "FIXT.1.1": ("FIXT11.xml", None),
    "FIX.5.0SP2": ("FIX50SP2.xml", "FIXT11.xml"),
}


def describe_composition(composition: list[tuple[Any, bool]]) -> list[Any]:
    out: list[Any] = []
    for item, required in composition:
        if isinstance(item, FixTag):
            out.append(("field", item.tag, required))
        elif isinstance(item, Component):
            out.append(("component", item.name, required))
        else:
            out.append(("group", item.count_tag.tag, required, describe_composition(item.composition)))
    return out


def describe_group(group: Group) -> dict[str, Any]:
    return {
        "first": group.first_tag,
        "members": group.member_tags,
        "required": group.required_order,
        "key": group.sorting_key,
        "groups": {tag: describe_group(g) for tag, g in group.groups.items()},
    }


def describe(spec: FixSpec) -> dict[str, Any]:
    """What matters of a spec for a codec and a validator, in plain comparable data."""
    return {
        "ids": (spec.version, spec.begin_string, spec.service_pack, spec.default_appl_ver_id),
        "tags": sorted((t.tag, t.name, t.type, t.values) for t in spec.tags.tags),
        "header": [t.tag for t in spec.header_tags],
        "trailer": [t.tag for t in spec.trailer_tags],
        "header_required": spec.header.required_order,
        "messages": {
            key: (
                m.name,
                m.msgcat,
                describe_composition(m.composition),
                m.required_order,
                m.member_tags,
                m.sorting_key,
                {tag: describe_group(g) for tag, g in m.groups.items()},
            )
            for key, m in spec.msg_types.items()
        },
    }


@pytest.mark.parametrize("name", list(SOURCES))
def test_compact_load_equals_xml_load(shared_dir: Path, name: str) -> None:
    application, transport = SOURCES[name]
    spec_dir = shared_dir / "spec"
    from_xml = FixSpec(spec_dir / application, transport=None if transport is None else spec_dir / transport)
    assert describe(dictionary.load_builtin(name)) == describe(from_xml)


@pytest.mark.parametrize("name", list(SOURCES))
def test_generated_data_is_up_to_date(shared_dir: Path, tmp_path: Path, name: str) -> None:
    application, transport = SOURCES[name]
    raw = dictionary.read_xml(shared_dir / "spec" / application)
    if transport is not None:
        raw = dictionary.merge_transport(raw, dictionary.read_xml(shared_dir / "spec" / transport))
    target = tmp_path / "out.json.gz"
    dictionary.write_compact(raw, target)
    assert target.read_bytes() == dictionary._builtin_bytes(name)


@pytest.mark.parametrize(
    ("name", "begin_string", "version", "admin_and_app"),
    [
        ("FIX.4.0", "FIX.4.0", "FIX4.0", ("A", "D")),
        ("FIX.4.1", "FIX.4.1", "FIX4.1", ("A", "D")),
        ("FIX.4.2", "FIX.4.2", "FIX4.2", ("A", "D")),
        ("FIX.4.3", "FIX.4.3", "FIX4.3", ("A", "D")),
        ("FIX.4.4", "FIX.4.4", "FIX4.4", ("A", "D")),
        ("FIX.5.0", "FIXT.1.1", "FIX5.0", ("A", "D")),
        ("FIX.5.0SP1", "FIXT.1.1", "FIX5.0", ("A", "D")),
        ("FIX.5.0SP2", "FIXT.1.1", "FIX5.0", ("A", "D")),
        ("FIXT.1.1", "FIXT.1.1", "FIX1.1", ("A", "5")),
    ],
)
def test_load_builtin(name: str, begin_string: str, version: str, admin_and_app: tuple[str, str]) -> None:
    spec = dictionary.load_builtin(name)
    assert (spec.begin_string, spec.version, spec.source) == (begin_string, version, f"builtin:{name}")
    for msg_type in admin_and_app:
        assert spec.msg_types[msg_type].msgtype == msg_type
    assert [t.tag for t in spec.header_tags[:3]] == [8, 9, 35]
    assert spec.trailer_tags[-1].tag == 10


def test_from_builtin_and_aliases() -> None:
    assert FixSpec.from_builtin("FIX44").source == "builtin:FIX.4.4"
    assert dictionary.load_builtin("FIX50SP2").msg_types["A"].name == "Logon"
    assert dictionary.load_builtin("FIX43").msg_types["AE"].name == "TradeCaptureReport"
    assert dictionary.builtin_names() == [
        "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIX.5.0", "FIX.5.0SP1", "FIX.5.0SP2", "FIXT.1.1"]


def test_unknown_builtin_names_the_choices() -> None:
    with pytest.raises(DictionaryError, match=r"'FIX\.9\.9'.*FIX\.4\.4"):
        dictionary.load_builtin("FIX.9.9")


def test_compact_round_trip_plain_and_gzip(tmp_path: Path) -> None:
    raw = dictionary.read_builtin("FIXT.1.1")
    target = tmp_path / "fixt.json.gz"
    dictionary.write_compact(raw, target)
    assert dictionary.read_compact(target.read_bytes()) == raw
    assert dictionary.read_compact(gzip.decompress(target.read_bytes())) == raw


def test_compact_format_version_is_checked() -> None:
    with pytest.raises(DictionaryError, match="format 99"):
        dictionary.read_compact(b'{"format": 99}')
    with pytest.raises(DictionaryError, match="'list'"):
        dictionary.read_compact(b"[]")


def test_merge_transport_keeps_application_fields_and_admin_messages() -> None:
    application = dictionary.read_builtin("FIX.4.4")
    transport = dictionary.read_builtin("FIXT.1.1")
    merged = dictionary.merge_transport(application, transport)
    assert merged["header"] == transport["header"]
    assert merged["transport"] == ["FIXT", 1, 1, 0]
    numbers = [row[0] for row in merged["fields"]]
    assert numbers == sorted(set(numbers))
    assert [row[1] for row in merged["messages"]].count("A") == 1
