"""Data dictionary sources: QuickFIX XML, the project's compact format, and the built-in dictionaries.

Both sources are read into one plain, JSON-friendly *raw dictionary* (:class:`RawDictionary`) with components
left unexpanded; :class:`pyfixmsg_plus.message.reference.FixSpec` builds its objects from that one form, so an
XML load and a compact load of the same dictionary give the same objects by construction.

A composition item of the raw form is one of::

    [0, field_number, required]                      # a field
    [1, component_name, required]                    # a component, resolved by name
    [2, count_field_number, required, [items...]]     # a repeating group

The compact format is that raw form as gzip'd JSON (``message/data/<name>.json.gz``), written by
``scripts/gen_dictionaries.py`` from the QuickFIX XML files.
"""

from __future__ import annotations

import gzip
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import IO, TYPE_CHECKING, Any, TypedDict

from pyfixmsg_plus.message.errors import DictionaryError

if TYPE_CHECKING:
    from pyfixmsg_plus.message.reference import FixSpec

#: version of the compact format; bump when the raw form changes shape
COMPACT_FORMAT = 1

FIELD, COMPONENT, GROUP = 0, 1, 2

#: built-in dictionary name -> file in ``message/data``
BUILTIN_FILES: dict[str, str] = {
    "FIX.4.0": "FIX.4.0.json.gz",
    "FIX.4.1": "FIX.4.1.json.gz",
    "FIX.4.2": "FIX.4.2.json.gz",
    "FIX.4.3": "FIX.4.3.json.gz",
    "FIX.4.4": "FIX.4.4.json.gz",
    "FIX.5.0": "FIX.5.0.json.gz",
    "FIX.5.0SP1": "FIX.5.0SP1.json.gz",
    "FIX.5.0SP2": "FIX.5.0SP2.json.gz",
    "FIXT.1.1": "FIXT.1.1.json.gz",
}

#: other spellings accepted by :func:`load_builtin` (QuickFIX file stems, pyfixmsg versions)
BUILTIN_ALIASES: dict[str, str] = {
    "FIX40": "FIX.4.0",
    "FIX41": "FIX.4.1",
    "FIX42": "FIX.4.2",
    "FIX43": "FIX.4.3",
    "FIX44": "FIX.4.4",
    "FIX50": "FIX.5.0",
    "FIX50SP1": "FIX.5.0SP1",
    "FIX50SP2": "FIX.5.0SP2",
    "FIXT11": "FIXT.1.1",
    "FIX4.0": "FIX.4.0",
    "FIX4.1": "FIX.4.1",
    "FIX4.2": "FIX.4.2",
    "FIX4.3": "FIX.4.3",
    "FIX4.4": "FIX.4.4",
}

Item = list[Any]
"""One raw composition item (see the module docstring)."""

FieldRow = list[Any]
"""``[number, name, type, [[enum, description], ...]]``"""

MessageRow = list[Any]
"""``[name, msgtype, msgcat, [items...]]``"""


class RawDictionary(TypedDict):
    """A data dictionary in plain data: what both the XML reader and the compact reader produce."""

    format: int
    type: str
    major: int
    minor: int
    servicepack: int
    fields: list[FieldRow]
    header: list[Item]
    trailer: list[Item]
    components: dict[str, list[Item]]
    messages: list[MessageRow]
    #: ``[type, major, minor, servicepack]`` of the transport dictionary merged in (FIXT.1.1), or None
    transport: list[Any] | None


# ----------------------------------------------------------------------------------------------------
# QuickFIX XML
# ----------------------------------------------------------------------------------------------------


def read_xml(source: str | os.PathLike[str] | IO[bytes]) -> RawDictionary:
    """Read a QuickFIX XML data dictionary (FIX40.xml ... FIX50SP2.xml, FIXT11.xml) into the raw form.

    Field references are resolved to numbers here; components stay referenced by name. Raises
    :class:`DictionaryError` naming the file and the element when the dictionary is inconsistent.
    """
    where = _source_name(source)
    try:
        root = ET.parse(source).getroot()
    except (ET.ParseError, OSError) as exc:
        raise DictionaryError(f"cannot read data dictionary {where}: {exc}") from exc
    if root.tag != "fix":
        raise DictionaryError(f"{where}: root element is <{root.tag}>, expected <fix>")
    fields = [_field_row(element, where) for element in root.iterfind("fields/field")]
    numbers = {row[1]: row[0] for row in fields}

    def items_of(parent: ET.Element | None) -> list[Item]:
        return [] if parent is None else _items(parent, numbers, where)

    components = {c.get("name", ""): items_of(c) for c in root.iterfind("components/component")}
    messages = [
        [m.get("name", ""), m.get("msgtype", ""), m.get("msgcat", ""), items_of(m)]
        for m in root.iterfind("messages/message")
    ]
    return RawDictionary(
        format=COMPACT_FORMAT,
        type=root.get("type", "FIX"),
        major=_int_attribute(root, "major", where),
        minor=_int_attribute(root, "minor", where),
        servicepack=_int_attribute(root, "servicepack", where, default=0),
        fields=fields,
        header=items_of(root.find("header")),
        trailer=items_of(root.find("trailer")),
        components=components,
        messages=messages,
        transport=None,
    )


def _source_name(source: str | os.PathLike[str] | IO[bytes]) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _int_attribute(element: ET.Element, name: str, where: str, default: int | None = None) -> int:
    text = element.get(name)
    if text is None and default is not None:
        return default
    try:
        return int(text or "")
    except ValueError:
        raise DictionaryError(
            f"{where}: <{element.tag}> attribute {name}={text!r} is not an integer"
        ) from None


def _field_row(element: ET.Element, where: str) -> FieldRow:
    name = element.get("name", "")
    number = _int_attribute(element, "number", where)
    values = [[v.get("enum", ""), v.get("description", "")] for v in element.iterfind("value")]
    return [number, name, element.get("type", "STRING"), values]


def _items(parent: ET.Element, numbers: dict[str, int], where: str) -> list[Item]:
    """The composition of a message, component, group, header or trailer element, in document order."""
    items: list[Item] = []
    for child in parent:
        name = child.get("name", "")
        required = int(child.get("required", "N") == "Y")
        if child.tag == "field":
            items.append([FIELD, _number_of(name, numbers, parent, where), required])
        elif child.tag == "component":
            items.append([COMPONENT, name, required])
        elif child.tag == "group":
            count = _number_of(name, numbers, parent, where)
            items.append([GROUP, count, required, _items(child, numbers, where)])
        elif isinstance(child.tag, str):  # comments and processing instructions have non-str tags
            raise DictionaryError(
                f"{where}: unexpected element <{child.tag}> in <{parent.tag} name={parent.get('name')!r}>"
            )
    return items


def _number_of(name: str, numbers: dict[str, int], parent: ET.Element, where: str) -> int:
    try:
        return numbers[name]
    except KeyError:
        raise DictionaryError(
            f"{where}: field {name!r} used in <{parent.tag} name={parent.get('name')!r}> "
            "is not defined in <fields>"
        ) from None


# ----------------------------------------------------------------------------------------------------
# FIXT.1.1 + FIX 5.x application dictionary
# ----------------------------------------------------------------------------------------------------


def merge_transport(application: RawDictionary, transport: RawDictionary) -> RawDictionary:
    """One dictionary for a FIX 5.x session: FIXT.1.1's header, trailer and admin messages with the
    application's.

    Fields and components of the application dictionary win over the transport's on a clash, except that an
    empty component (FIXT11.xml's placeholder ``MsgTypeGrp``) never replaces a defined one.
    """
    known = {row[0] for row in application["fields"]}
    fields = application["fields"] + [row for row in transport["fields"] if row[0] not in known]
    components = dict(transport["components"])
    components.update(
        {n: items for n, items in application["components"].items() if items or n not in components}
    )
    admin_types = {row[1] for row in transport["messages"]}
    messages = transport["messages"] + [row for row in application["messages"] if row[1] not in admin_types]
    merged = RawDictionary(**application)
    merged["fields"] = sorted(fields, key=lambda row: row[0])
    merged["header"] = transport["header"]
    merged["trailer"] = transport["trailer"]
    merged["components"] = components
    merged["messages"] = messages
    merged["transport"] = [
        transport["type"],
        transport["major"],
        transport["minor"],
        transport["servicepack"],
    ]
    return merged


# ----------------------------------------------------------------------------------------------------
# Compact format
# ----------------------------------------------------------------------------------------------------


def write_compact(raw: RawDictionary, path: str | os.PathLike[str]) -> None:
    """Write ``raw`` as gzip'd JSON; the output is byte-for-byte reproducible (no timestamp in the gzip
    header)."""
    text = json.dumps(raw, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode("utf-8")
    with open(path, "wb") as out:
        out.write(gzip.compress(text, compresslevel=9, mtime=0))


def read_compact(data: bytes) -> RawDictionary:
    """Decode a compact dictionary (gzip'd or plain JSON bytes) into the raw form."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    raw = json.loads(data)
    if not isinstance(raw, dict) or raw.get("format") != COMPACT_FORMAT:
        found = raw.get("format") if isinstance(raw, dict) else type(raw).__name__
        raise DictionaryError(
            f"compact dictionary format {found!r} is not supported (expected {COMPACT_FORMAT})"
        )
    return raw  # type: ignore[return-value]


def builtin_names() -> list[str]:
    """The names :func:`load_builtin` accepts (without aliases)."""
    return list(BUILTIN_FILES)


def canonical_name(name: str) -> str:
    """``name`` or its alias resolved to a key of :data:`BUILTIN_FILES`; DictionaryError when unknown."""
    resolved = BUILTIN_ALIASES.get(name, name)
    if resolved not in BUILTIN_FILES:
        raise DictionaryError(f"no built-in data dictionary {name!r}; available: {', '.join(BUILTIN_FILES)}")
    return resolved


@cache
def _builtin_bytes(name: str) -> bytes:
    return resources.files("pyfixmsg_plus.message").joinpath("data", BUILTIN_FILES[name]).read_bytes()


def read_builtin(name: str) -> RawDictionary:
    """The raw form of a shipped dictionary ("FIX.4.2", "FIX.4.4", "FIX.5.0SP2", "FIXT.1.1" or an alias)."""
    resolved = canonical_name(name)
    try:
        data = _builtin_bytes(resolved)
    except FileNotFoundError:
        raise DictionaryError(
            f"built-in dictionary {resolved!r} is missing from the package ({BUILTIN_FILES[resolved]})"
        ) from None
    return read_compact(data)


def load_builtin(name: str, eager: bool = False) -> FixSpec:
    """A :class:`FixSpec` for a shipped dictionary; "FIX.5.0SP2" comes merged with FIXT.1.1 (session
    layer)."""
    from pyfixmsg_plus.message.reference import FixSpec  # here: reference imports this module

    resolved = canonical_name(name)
    return FixSpec.from_raw(read_builtin(resolved), source=f"builtin:{resolved}", eager=eager)


def iter_items(items: Iterable[Item]) -> Iterable[tuple[int, Any, bool, list[Item]]]:
    """``(kind, ref, required, children)`` for each raw item; children is empty except for groups."""
    for item in items:
        yield item[0], item[1], bool(item[2]), (item[3] if item[0] == GROUP else [])
