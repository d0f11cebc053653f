"""Data dictionary objects, compatible with ``pyfixmsg.reference``.

:class:`FixSpec` loads a QuickFIX XML dictionary (or a built-in one, :meth:`FixSpec.from_builtin`) into
:class:`FixTag`, :class:`MessageType`, :class:`Group` and :class:`Component` objects. Over pyfixmsg it adds
what a codec and a validator need, precomputed once: every group of a message or group entry including those
reached through components (``groups``), every field of one level (``member_tags``), the delimiter of a group
(``first_tag``) and the required fields with components expanded (``required_tags``). Components are resolved
once by name, so FIX 5.0SP2 loads in a fraction of a second (pyfixmsg: about 10 s).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import IO, Any, Union

from pyfixmsg_plus.message import dictionary
from pyfixmsg_plus.message.dictionary import COMPONENT, FIELD, Item, RawDictionary
from pyfixmsg_plus.message.errors import DictionaryError

#: header order used when a dictionary defines no header (FIX 5.x application dictionaries), as pyfixmsg
HEADER_TAGS: list[int] = [
    8, 9, 35, 1156, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145,
    43, 97, 52, 122, 212, 213, 347, 369, 370, 1128, 1129,
]  # fmt: skip
#: trailer order: SignatureLength(93), Signature(89), CheckSum(10)
TRAILER_TAGS: list[int] = [93, 89, 10]
#: Encoded* data fields whose bytes are in MessageEncoding(347)
ENCODED_DATA_TAGS: list[int] = [349, 351, 353, 355, 357, 359, 361, 363, 365]
#: MsgType(35): each message a dictionary declares is one of its values
_MSG_TYPE_TAG = 35
#: first position of the trailer in every sorting key, far after any body position
TRAILER_BASE = 10**9
#: tag -> position without a dictionary: header first, trailer last (other tags sort between, by number)
HEADER_SORT_MAP: dict[int, int] = {tag: i for i, tag in enumerate(HEADER_TAGS)}
HEADER_SORT_MAP.update({tag: TRAILER_BASE + i for i, tag in enumerate(TRAILER_TAGS)})

#: the version part of ApplVerID(1128) values, for DefaultApplVerID(1137) on a FIXT.1.1 Logon
APPL_VER_IDS: dict[tuple[int, int, int], str] = {
    (4, 0, 0): "2", (4, 1, 0): "3", (4, 2, 0): "4", (4, 3, 0): "5", (4, 4, 0): "6",
    (5, 0, 0): "7", (5, 0, 1): "8", (5, 0, 2): "9",
}  # fmt: skip

Composition = list[tuple[Union["FixTag", "Component", "Group"], bool]]
"""A message, component or group body: ``(field | component | group, required)`` in dictionary order."""


class FixTag:
    """A field: ``name``, ``tag`` (number), ``type`` (QuickFIX type string such as "INT", "UTCTIMESTAMP") and
    its enumerated ``values`` as ``(value, description)`` pairs."""

    def __init__(
        self, name: str, tag: int, tagtype: str | None = None, values: Iterable[tuple[str, str]] = ()
    ) -> None:
        self.name = name
        self.tag = tag
        self.type = tagtype
        self._values: tuple[tuple[str, str], ...] = tuple((str(v), str(d)) for v, d in values)
        self._by_name: dict[str, str] = {}
        self._by_value: dict[str, str] = {}
        self._index()

    def __repr__(self) -> str:
        return f"FixTag({self.name!r}, {self.tag}, {self.type!r}, values={len(self._values)})"

    @property
    def values(self) -> tuple[tuple[str, str], ...]:
        """The enumerated values as ``(value, description)`` pairs, in dictionary order."""
        return self._values

    def _index(self) -> None:
        self._by_name = {description: value for value, description in self._values}
        self._by_value = {value: description for value, description in self._values}

    def add_enum_value(self, name: str, value: str) -> None:
        """Add the enumerated ``value`` described as ``name``; KeyError if that name is already known."""
        if name in self._by_name:
            raise KeyError(f"enum name {name!r} is already known for tag {self.tag} ({self.name})")
        self._values += ((value, name),)
        self._index()

    def del_enum_value(self, name: str | None = None, value: str | None = None) -> None:
        """Remove an enumerated value by ``name`` or ``value``.

        TypeError when both are missing, ValueError when both are given and disagree, KeyError when unknown.
        """
        if name is None and value is None:
            raise TypeError(f"del_enum_value on tag {self.tag} ({self.name}) needs name or value")
        if name is not None:
            known = self._by_name.get(name)
            if known is None:
                raise KeyError(f"{name!r} is not an enum name of tag {self.tag} ({self.name})")
            if value is not None and value != known:
                raise ValueError(
                    f"tag {self.tag} ({self.name}) enum {name!r} has value {known!r}, not {value!r}"
                )
            self._values = tuple(pair for pair in self._values if pair[1] != name)
        else:
            if value not in self._by_value:
                raise KeyError(f"{value!r} is not an enum value of tag {self.tag} ({self.name})")
            self._values = tuple(pair for pair in self._values if pair[0] != value)
        self._index()

    def enum_by_name(self, name: str) -> str:
        """The value described as ``name`` (KeyError when unknown)."""
        return self._by_name[name]

    def enum_by_value(self, value: str) -> str:
        """The description of ``value`` (KeyError when unknown)."""
        return self._by_value[value]


class TagsReference:
    """All fields of a dictionary, looked up by number (:meth:`by_tag`) or name (:meth:`by_name`)."""

    def __init__(self, tags: Iterable[FixTag], eager: bool = False) -> None:
        # ``eager`` is accepted for pyfixmsg compatibility; the maps are cheap, so they are always built now.
        self.tags: set[FixTag] = set(tags)
        self._by_tag = {t.tag: t for t in self.tags}
        self._by_name = {t.name: t for t in self.tags}

    def add_tag(self, tag: int, name: str) -> FixTag:
        """Register a (user-defined) field ``tag`` called ``name`` and return it."""
        fix_tag = FixTag(name=name, tag=tag)
        self.tags.add(fix_tag)
        self._by_tag[tag] = fix_tag
        self._by_name[name] = fix_tag
        return fix_tag

    def by_name(self, name: str) -> FixTag:
        """The field called ``name`` (KeyError when unknown)."""
        return self._by_name[name]

    def by_tag(self, tag: int) -> FixTag:
        """The field numbered ``tag`` (KeyError when unknown)."""
        return self._by_tag[tag]

    def get(self, tag: int) -> FixTag | None:
        """The field numbered ``tag``, or None."""
        return self._by_tag.get(tag)

    def __contains__(self, tag: object) -> bool:
        return tag in self._by_tag

    def __len__(self) -> int:
        return len(self._by_tag)


class _Level:
    """What one level (message body, group entry, component) holds once components are expanded."""

    def __init__(self, composition: Composition) -> None:
        order: list[int] = []
        required: list[int] = []
        groups: dict[int, Group] = {}
        for item, is_required in composition:
            if isinstance(item, Component):
                # QuickFIX rule: a field of a component is required only when the component is required too.
                order.extend(item.field_order)
                groups.update(item.groups)
                if is_required:
                    required.extend(item.required_order)
                continue
            number = item.count_tag.tag if isinstance(item, Group) else item.tag
            order.append(number)
            if isinstance(item, Group):
                groups[number] = item
            if is_required:
                required.append(number)
        #: every field of the level in dictionary order (count tags included, nested group fields excluded)
        self.field_order: tuple[int, ...] = tuple(dict.fromkeys(order))
        #: required fields in dictionary order
        self.required_order: tuple[int, ...] = tuple(dict.fromkeys(required))
        self.groups: dict[int, Group] = groups


class Component(_Level):
    """A named, reusable block of fields and groups. ``sorting_key`` gives positions from 0 within it."""

    def __init__(self, name: str, composition: Composition) -> None:
        self.name = name
        self.composition = composition
        super().__init__(composition)
        self.member_tags: frozenset[int] = frozenset(self.field_order)
        self.required_tags: frozenset[int] = frozenset(self.required_order)

    def __repr__(self) -> str:
        return f"Component({self.name!r}, fields={len(self.field_order)})"

    @property
    def sorting_key(self) -> dict[int, int]:
        """tag -> position within the component."""
        return {tag: i for i, tag in enumerate(self.field_order)}


class Group(_Level):
    """A repeating group: ``count_tag`` (NumInGroup field) and the composition of one entry.

    ``tags``: the direct field numbers of an entry (as pyfixmsg); ``member_tags``: every field of one entry at
    this level, components expanded, nested groups' fields excluded (their count tags included);
    ``first_tag``: the delimiter that starts each entry; ``groups``: nested groups by count tag;
    ``required_tags``: fields each entry must carry; ``sorting_key``: tag -> position inside an entry.
    """

    def __init__(self, count_tag: FixTag, composition: Composition, spec: FixSpec | None = None) -> None:
        self.count_tag = count_tag
        self.name = count_tag.name
        self.composition = composition
        self._spec = spec
        super().__init__(composition)
        if not self.field_order:
            raise DictionaryError(f"group {self.name} ({count_tag.tag}) has no fields")
        self.tags: set[int] = {item.tag for item, _ in composition if isinstance(item, FixTag)}
        self.first_tag: int = self.field_order[0]
        self.member_tags: frozenset[int] = frozenset(self.field_order)
        # FIX rule: the delimiter starts every entry, so each entry requires it whatever the dictionary says.
        self.required_order = (self.first_tag, *(t for t in self.required_order if t != self.first_tag))
        self.required_tags: frozenset[int] = frozenset(self.required_order)
        self.sorting_key: dict[int, int] = {tag: i for i, tag in enumerate(self.field_order)}

    def __repr__(self) -> str:
        return f"Group({self.name!r}, count_tag={self.count_tag.tag}, first_tag={self.first_tag})"

    def add_group(self, count_tag: FixTag, composition: Composition, insert_at: int | None = None) -> Group:
        """Declare a synthetic nested group (count tag ``count_tag``); it is then parsed as a group in
        entries.

        ``insert_at`` is its position in ``sorting_key`` (without it the count tag sorts after known fields).
        """
        group = Group(count_tag, composition, self._spec)
        _register_group(self, group, insert_at)
        return group


def _register_group(level: Group | MessageType, group: Group, insert_at: int | None) -> None:
    count = group.count_tag.tag
    level.groups[count] = group
    level.member_tags = level.member_tags | {count}
    if insert_at is not None:
        level.sorting_key[count] = insert_at


class MessageType(_Level):
    """A message of the dictionary: ``msgtype`` (MsgType(35) value), ``name``, ``msgcat`` ("admin"/"app"),
    ``composition`` (the body), ``groups`` (every top-level group, through components too), ``member_tags``
    (body fields at the top level), ``required_tags`` (required body fields) and ``sorting_key`` (tag ->
    position, header first, then body, trailer last)."""

    def __init__(
        self, msgtype: str, name: str, composition: Composition, spec: FixSpec, msgcat: str = ""
    ) -> None:
        self.msgtype = msgtype
        self.name = name
        self.msgcat = msgcat
        self.composition = composition
        self._spec = spec
        super().__init__(composition)
        self.member_tags: frozenset[int] = frozenset(self.field_order)
        self.required_tags: frozenset[int] = frozenset(self.required_order)
        self.sorting_key: dict[int, int] = spec._message_sorting_key(self.field_order)

    def __repr__(self) -> str:
        return f"MessageType({self.msgtype!r}, {self.name!r})"

    def add_group(self, count_tag: FixTag, composition: Composition, insert_at: int | None = None) -> Group:
        """Declare a synthetic group of this message (count tag ``count_tag``); the codec then parses it as a
        group.

        ``insert_at`` is its position in ``sorting_key`` (without it the count tag sorts after known fields).
        """
        group = Group(count_tag, composition, self._spec)
        _register_group(self, group, insert_at)
        return group


class FixSpec:
    """A FIX data dictionary.

    ``FixSpec(xml_file)`` reads a QuickFIX XML file; ``transport=`` merges a FIXT11.xml into a FIX 5.x
    application dictionary. Attributes: ``source``, ``version`` ("FIX4.4" form), ``begin_string`` ("FIX.4.4";
    "FIXT.1.1" for FIX 5.x), ``service_pack``, ``tags`` (:class:`TagsReference`), ``msg_types`` (keyed by str
    and bytes MsgType), ``header_tags``/``trailer_tags`` (:class:`FixTag` lists), ``header``/``trailer`` (as
    :class:`Component`), ``components`` (by name) and ``default_appl_ver_id`` (ApplVerID(1128) value of this
    version).
    """

    source: Any
    tree: None

    def __init__(
        self,
        xml_file: str | os.PathLike[str] | IO[bytes],
        eager: bool = False,
        *,
        transport: str | os.PathLike[str] | IO[bytes] | None = None,
    ) -> None:
        raw = dictionary.read_xml(xml_file)
        if transport is not None:
            raw = dictionary.merge_transport(raw, dictionary.read_xml(transport))
        self._build(raw, xml_file, eager)

    @classmethod
    def from_raw(cls, raw: RawDictionary, source: Any = None, eager: bool = False) -> FixSpec:
        """Build from the raw form of :mod:`pyfixmsg_plus.message.dictionary` (what the compact format
        holds)."""
        spec = cls.__new__(cls)
        spec._build(raw, source, eager)
        return spec

    @classmethod
    def from_builtin(cls, name: str, eager: bool = False) -> FixSpec:
        """A shipped dictionary: "FIX.4.2", "FIX.4.4", "FIX.5.0SP2" (with FIXT.1.1 merged) or "FIXT.1.1"."""
        resolved = dictionary.canonical_name(name)
        return cls.from_raw(dictionary.read_builtin(resolved), source=f"builtin:{resolved}", eager=eager)

    def __repr__(self) -> str:
        return f"FixSpec({self.source!r}, begin_string={self.begin_string!r}, messages={len(self.messages)})"

    # -- construction ------------------------------------------------------------------------------

    def _build(self, raw: RawDictionary, source: Any, eager: bool) -> None:
        self.source = source
        self.tree = None
        self.type: str = raw["type"]
        major, minor, self.service_pack = raw["major"], raw["minor"], raw["servicepack"]
        self.version = f"FIX{major}.{minor}"
        fixt = self.type == "FIXT" or raw.get("transport") is not None or major >= 5
        self.begin_string = "FIXT.1.1" if fixt else f"FIX.{major}.{minor}"
        self.default_appl_ver_id: str | None = (
            None if self.type == "FIXT" else APPL_VER_IDS.get((major, minor, self.service_pack))
        )
        self.tags = TagsReference(
            (FixTag(name, number, kind, values) for number, name, kind, values in raw["fields"]), eager
        )
        self._raw_components = raw["components"]
        self.components: dict[str, Component] = {}
        self._resolving: list[str] = []
        for name in raw["components"]:
            self._component(name)
        self.header = Component("Header", self._composition(raw["header"], "header"))
        self.trailer = Component("Trailer", self._composition(raw["trailer"], "trailer"))
        self.header_tags = [self.tags.by_tag(t) for t in self.header.field_order]
        self.trailer_tags = [self.tags.by_tag(t) for t in self.trailer.field_order]
        self._header_key = self._header_sorting_key()
        self._trailer_key = self._trailer_sorting_key()
        self.messages: list[MessageType] = [
            MessageType(msgtype, name, self._composition(items, f"message {msgtype}"), self, msgcat)
            for name, msgtype, msgcat, items in raw["messages"]
        ]
        self.msg_types: dict[str | bytes, MessageType] = {}
        for message in self.messages:
            self.msg_types[message.msgtype] = message
            self.msg_types[message.msgtype.encode("ascii")] = message
        self._declare_msg_type_values()
        del self._raw_components, self._resolving

    def _declare_msg_type_values(self) -> None:
        """Make every declared message's MsgType a valid value of MsgType(35).

        As QuickFIX's DataDictionary does when it reads <messages>: a user's dictionary that adds a custom
        message (e.g. 35=U1) need not also list it among the <value>s of field 35, or the validator would reject
        it as "Value is incorrect (out of range)" (373=5).
        """
        msg_type_tag = self.tags.get(_MSG_TYPE_TAG)
        if msg_type_tag is None:
            return
        known = {value for value, _ in msg_type_tag.values}
        named = {description for _, description in msg_type_tag.values}
        for message in self.messages:
            if message.msgtype in known:
                continue
            # enum descriptions are unique per field: disambiguate a name already used for another value
            name = message.name if message.name not in named else f"{message.name} ({message.msgtype})"
            msg_type_tag.add_enum_value(name, message.msgtype)
            known.add(message.msgtype)
            named.add(name)

    def _component(self, name: str) -> Component:
        found = self.components.get(name)
        if found is not None:
            return found
        if name not in self._raw_components:
            raise DictionaryError(
                f"{self.source}: component {name!r} is used but not defined in <components>"
            )
        if name in self._resolving:
            cycle = " -> ".join([*self._resolving, name])
            raise DictionaryError(f"{self.source}: component {name!r} contains itself ({cycle})")
        self._resolving.append(name)
        component = Component(name, self._composition(self._raw_components[name], f"component {name}"))
        self._resolving.pop()
        self.components[name] = component
        return component

    def _composition(self, items: Sequence[Item], where: str) -> Composition:
        composition: Composition = []
        for kind, ref, required, children in dictionary.iter_items(items):
            if kind == COMPONENT:
                composition.append((self._component(ref), required))
                continue
            tag = self.tags.get(ref)
            if tag is None:
                raise DictionaryError(
                    f"{self.source}: field number {ref} in {where} is not defined in <fields>"
                )
            if kind == FIELD:
                composition.append((tag, required))
            else:
                composition.append(
                    (Group(tag, self._composition(children, f"group {tag.name}"), self), required)
                )
        return composition

    def _header_sorting_key(self) -> dict[int, int]:
        """Header tag -> position: 8, 9, 35 first (FIX rule: they open every message), then dictionary
        order."""
        order = self.header.field_order or tuple(HEADER_TAGS)
        return {tag: i for i, tag in enumerate(dict.fromkeys((8, 9, 35, *order)))}

    def _trailer_sorting_key(self) -> dict[int, int]:
        """Trailer tag -> position after every body position, CheckSum(10) last."""
        order = [t for t in (self.trailer.field_order or TRAILER_TAGS) if t != 10]
        return {tag: TRAILER_BASE + i for i, tag in enumerate([*order, 10])}

    def _message_sorting_key(self, body_order: Sequence[int]) -> dict[int, int]:
        key = dict(self._header_key)
        start = len(key)
        for i, tag in enumerate(body_order):
            key.setdefault(tag, start + i)
        key.update(self._trailer_key)
        return key

    # -- queries -----------------------------------------------------------------------------------

    @property
    def header_groups(self) -> dict[int, Group]:
        """Groups of the header (NoHops(627)), by count tag."""
        return self.header.groups
