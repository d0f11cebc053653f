"""Validation of a received message against its data dictionary, QuickFIX style.

Input is the strict tokenizer's output (``parse_pairs``): ``(tag, value)`` pairs in wire order, duplicates
kept, tag 0 for a field whose tag is not a number. :class:`Validator` reports the errors a session answers
with a Reject (35=3), each a :class:`~pyfixmsg_plus.message.errors.FixValidationError` subclass carrying
RefTagID(371), RefMsgType(372), SessionRejectReason(373) and a Text(58).

Checks, in the order a message is walked: 8, 9, 35 first; MsgType(35) known; then per field in wire order: tag
number valid, value present, no SOH in non-data values, format of the type, enumerated value,
header/body/trailer order, no repeated field, field defined for the message type; repeating groups (entries
start with the delimiter, no field twice in one entry, the count matches, required fields of each entry);
finally the required fields of header, body and trailer. Lookups are precomputed per message type on first
use.

Fast path: what the walk concludes depends only on the sequence of tags, the MsgType(35) value, the NumInGroup
counts and each value taken alone. So once a message has walked clean, its tag sequence is remembered as a
:class:`_Shape` (the per-position value checks that remain, chosen once per tag, and the exact 35 and count
values that made the walk come out so). A later message with the same tag sequence is valid when its values
pass those checks; any doubt (unknown shape, empty value, SOH, a different count) falls back to the full walk,
which alone produces errors, so every error and text is the walk's.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pyfixmsg_plus.message import errors as e
from pyfixmsg_plus.message.field_formats import (
    DATA_TYPES,
    MULTIPLE_VALUE_TYPES,
    FormatCheck,
    format_check,
    format_name,
    type_in_version,
)
from pyfixmsg_plus.message.reference import HEADER_TAGS, TRAILER_TAGS, FixSpec, Group

Pairs = Sequence[tuple[int, bytes]]

#: first tag of the user-defined range (FIX: tags 5000-9999 and above 20000 are for bilateral use)
USER_DEFINED_MIN = 5000
#: FIX rule: every message starts with BeginString(8), BodyLength(9), MsgType(35), in this order
LEADING_TAGS = (8, 9, 35)
_SOH = b"\x01"

_HEADER, _BODY, _TRAILER = 0, 1, 2
#: most tag sequences remembered as valid per Validator; the cache is emptied when full, so a peer sending
#: ever new shapes costs memory no more than this
MAX_SHAPES = 4096

ValueCheck = Callable[[bytes], object]
"""Truthy when one raw value (non-empty, without SOH) passes every check of its field."""
ShapeCheck = tuple[Any, ...]
"""One position's check, described (see :meth:`Validator.shape_spec`)."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """What the validator checks on every occurrence of one field."""

    name: str
    fix_type: str
    is_format_valid: FormatCheck | None
    #: enumerated values as wire bytes, or None when the field is not enumerated
    enum: frozenset[bytes] | None
    multiple_values: bool
    allows_soh: bool


@dataclass(frozen=True, slots=True)
class MessageRules:
    """Per message type: the fields allowed at the top level, its groups (header's too) and required
    fields."""

    msg_type: str
    allowed: frozenset[int]
    body: frozenset[int]
    groups: dict[int, Group]
    required: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Shape:
    """A tag sequence that walked clean: the values to re-check, by position, and their checks."""

    #: picks the values to check out of the message's values, as a tuple in the order of ``checks``
    pick: Callable[[Sequence[bytes]], tuple[bytes, ...]]
    checks: tuple[ValueCheck, ...]

    def accepts(self, values: Sequence[bytes]) -> bool:
        """True when every picked value passes its check."""
        return all(map(operator.call, self.checks, self.pick(values)))


class Validator:
    """Checks messages against ``spec``.

    Settings (QuickFIX's names in brackets): ``check_unknown_tags`` (tags not in the dictionary are invalid),
    ``check_enums``, ``check_formats``, ``check_fields_have_values`` [CheckFieldsHaveValues],
    ``check_fields_out_of_order`` [ValidateFieldsOutOfOrder], ``check_tag_defined_for_message``
    [ValidateFieldsHaveValues/AllowUnknownMsgFields inverted], ``check_required``, ``allow_user_defined``
    (tags from 5000 unknown to the dictionary pass; False is QuickFIX's ValidateUserDefinedFields=Y default,
    which the FIX 4.4 acceptance script 14a expects).
    """

    def __init__(
        self,
        spec: FixSpec,
        *,
        check_unknown_tags: bool = True,
        check_enums: bool = True,
        check_formats: bool = True,
        check_fields_have_values: bool = True,
        check_fields_out_of_order: bool = True,
        check_tag_defined_for_message: bool = True,
        check_required: bool = True,
        allow_user_defined: bool = False,
    ) -> None:
        self.spec = spec
        self.check_unknown_tags = check_unknown_tags
        self.check_enums = check_enums
        self.check_formats = check_formats
        self.check_fields_have_values = check_fields_have_values
        self.check_fields_out_of_order = check_fields_out_of_order
        self.check_tag_defined_for_message = check_tag_defined_for_message
        self.check_required = check_required
        self.allow_user_defined = allow_user_defined
        self._fields: dict[int, FieldRule] = {
            t.tag: _field_rule(t.name, type_in_version(t.type, spec.begin_string), t.values) for t in spec.tags.tags
        }
        self._header = spec.header.member_tags or frozenset(HEADER_TAGS)
        self._trailer = spec.trailer.member_tags or frozenset(TRAILER_TAGS)
        self._messages: dict[bytes, MessageRules] = {}
        self._value_checks: dict[int, ValueCheck | None] = {}
        self._count_tags: dict[str, frozenset[int]] = {}
        self._shapes: dict[tuple[int, ...], _Shape] = {}

    # -- public API ---------------------------------------------------------------------------

    def validate(self, pairs: Pairs) -> None:
        """Raise the first :class:`FixValidationError` of the message, or return when it is valid."""
        if self._matches_valid_shape(pairs):
            return
        first = next(self.iter_errors(pairs), None)
        if first is not None:
            raise first

    def check(self, pairs: Pairs) -> list[e.FixValidationError]:
        """Every error found, in the order the message is walked (later ones may follow from earlier ones)."""
        return list(self.iter_errors(pairs))

    def is_valid(self, pairs: Pairs) -> bool:
        """True when :meth:`validate` would not raise."""
        return next(self.iter_errors(pairs), None) is None

    def iter_errors(self, pairs: Pairs) -> Iterator[e.FixValidationError]:
        """The errors of the message, lazily (stop early to get just the first)."""
        if self._matches_valid_shape(pairs):
            return
        found = False
        for error in self.walk(pairs):
            found = True
            yield error
        if not found:
            self._remember_valid_shape(pairs)

    def walk(self, pairs: Pairs) -> Iterator[e.FixValidationError]:
        """The full walk, without the fast path: every error of the message in walk order (the reference
        :meth:`iter_errors` must agree with)."""
        raw_type = _first_value(pairs, 35)
        msg_type = None if raw_type is None else raw_type.decode("latin-1")
        yield from self._leading_errors(pairs, msg_type)
        if raw_type is None:
            return
        if not raw_type:
            yield e.TagSpecifiedWithoutValue(35, None, "MsgType(35) is empty")
            return
        rules = self.rules_for(raw_type)
        if rules is None:
            # QuickFIX sends RefMsgType(372) but no RefTagID(371) for this one (acceptance script 2q).
            yield e.InvalidMsgType(
                None, msg_type, f"MsgType(35)={msg_type!r} is not a message of {self._dict_name}"
            )
            return
        seen = yield from self._walk_top_level(pairs, rules)
        if self.check_required:
            for tag in rules.required:
                if tag not in seen:
                    yield e.RequiredTagMissing(
                        tag, msg_type, f"{self._name(tag)} is required in {self._where(rules)}"
                    )

    @property
    def cached_shapes(self) -> int:
        """How many tag sequences are remembered as valid (at most :data:`MAX_SHAPES`)."""
        return len(self._shapes)

    def rules_for(self, msg_type: bytes) -> MessageRules | None:
        """The precomputed rules of a MsgType(35) value, or None when the dictionary has no such message."""
        rules = self._messages.get(msg_type)
        if rules is None:
            message = self.spec.msg_types.get(msg_type)
            if message is None:
                return None
            spec = self.spec
            rules = MessageRules(
                msg_type=message.msgtype,
                allowed=self._header | message.member_tags | self._trailer,
                body=message.member_tags,
                groups={**spec.header.groups, **message.groups, **spec.trailer.groups},
                required=(*spec.header.required_order, *message.required_order, *spec.trailer.required_order),
            )
            self._messages[msg_type] = rules
        return rules

    # -- fast path -----------------------------------------------------------------------------------

    def _matches_valid_shape(self, pairs: Pairs) -> bool:
        """True when ``pairs`` has the tags of a message that walked clean and its values pass; False means
        "walk it", not "invalid"."""
        if len(pairs) < len(LEADING_TAGS):
            return False
        tags, values = zip(*pairs, strict=True)
        shape = self._shapes.get(tags)
        # Empty values (373=4) and SOH inside a value (373=17) are rare: leave them to the walk rather than
        # test them per field.
        if shape is None or not all(values) or _SOH in b"".join(values):
            return False
        return shape.accepts(values)

    def _remember_valid_shape(self, pairs: Pairs) -> None:
        """Record the tag sequence of ``pairs``, which just walked without error, with its value checks."""
        spec = self.shape_spec(pairs)
        if spec is None:
            return
        positions: list[int] = []
        checks: list[ValueCheck] = []
        for position, entry in enumerate(spec):
            check = _as_value_check(entry)
            if check is not None:
                positions.append(position)
                checks.append(check)
        if len(self._shapes) >= MAX_SHAPES:
            self._shapes.clear()
        tags = tuple(tag for tag, _ in pairs)
        self._shapes[tags] = _Shape(_picker(positions), tuple(checks))

    def shape_spec(self, pairs: Pairs) -> list[ShapeCheck] | None:
        """What the fast path (compiled callers) must re-check, per position, for later messages with the tag
        sequence of ``pairs`` to be as valid as ``pairs`` (which must have walked clean): the same checks the
        shape cache keeps, described rather than as functions. None when ``pairs`` has no known MsgType(35).

        Each entry: ``("equal", value)`` (MsgType and NumInGroup counts), ``("format", name, check)`` with
        ``name`` from :func:`~pyfixmsg_plus.message.field_formats.format_name`, ``("enum", values)`` (membership
        alone decides), ``("call", check)`` (any other check) or ``("none",)``.
        """
        if len(pairs) < len(LEADING_TAGS) or pairs[2][0] != 35:
            return None
        rules = self.rules_for(pairs[2][1])
        if rules is None:
            return None
        count_tags = self._count_tags_for(rules)
        # MsgType(35) and the NumInGroup counts steer the walk: the same walk needs the same bytes
        return [
            ("equal", value) if position == 2 or tag in count_tags else self._shape_check(tag)
            for position, (tag, value) in enumerate(pairs)
        ]

    def _shape_check(self, tag: int) -> ShapeCheck:
        """The description of :meth:`_value_check` for ``tag`` (see :meth:`shape_spec`)."""
        check = self._value_check(tag)
        if check is None:
            return ("none",)
        rule = self._fields[tag]
        if self.check_enums and rule.enum is not None:
            return ("enum", rule.enum) if check == rule.enum.__contains__ else ("call", check)
        name = format_name(rule.fix_type)
        return ("format", name, check) if name is not None else ("call", check)

    def _value_check(self, tag: int) -> ValueCheck | None:
        """The check equivalent to :meth:`_field_error` finding nothing in a non-empty, SOH-free value of a
        known-good ``tag``, chosen once per tag; None when every such value passes."""
        if tag not in self._value_checks:
            self._value_checks[tag] = _value_check(
                self._fields.get(tag), check_formats=self.check_formats, check_enums=self.check_enums
            )
        return self._value_checks[tag]

    def _count_tags_for(self, rules: MessageRules) -> frozenset[int]:
        """Every NumInGroup tag of the message type's groups, nested ones included."""
        tags = self._count_tags.get(rules.msg_type)
        if tags is None:
            tags = frozenset(_count_tags(rules.groups.values()))
            self._count_tags[rules.msg_type] = tags
        return tags

    # -- structure ---------------------------------------------------------------------------------

    @property
    def _dict_name(self) -> str:
        return f"the {self.spec.begin_string} dictionary ({self.spec.version})"

    def _leading_errors(self, pairs: Pairs, msg_type: str | None) -> Iterator[e.FixValidationError]:
        """FIX rule: BeginString(8), BodyLength(9), MsgType(35) are the first three fields, in this order."""
        for position, expected in enumerate(LEADING_TAGS):
            if position < len(pairs) and pairs[position][0] == expected:
                continue
            if any(tag == expected for tag, _ in pairs):
                yield e.TagSpecifiedOutOfRequiredOrder(
                    expected, msg_type, f"{self._name(expected)} must be field {position + 1} of the message"
                )
            else:
                yield e.RequiredTagMissing(expected, msg_type, f"{self._name(expected)} is missing")
            return

    def _walk_top_level(
        self, pairs: Pairs, rules: MessageRules
    ) -> Generator[e.FixValidationError, None, set[int]]:
        """Check every top-level field and walk groups; returns the top-level tags seen."""
        seen: set[int] = set()
        phase = _HEADER
        i, n = 0, len(pairs)
        while i < n:
            tag, value = pairs[i]
            i += 1
            error = self._field_error(tag, value, rules.msg_type)
            if error is not None:
                yield error
            if tag <= 0:
                continue
            phase, misplaced = self._next_phase(phase, tag, rules)
            if misplaced and self.check_fields_out_of_order:
                yield e.TagSpecifiedOutOfRequiredOrder(tag, rules.msg_type, self._order_detail(tag, rules))
            if tag in seen:
                yield e.TagAppearsMoreThanOnce(
                    tag,
                    rules.msg_type,
                    f"{self._name(tag)} repeated outside a repeating group in {self._where(rules)}",
                )
            seen.add(tag)
            # A tag unknown to the dictionary was reported above as InvalidTagNumber (373=0), not again here.
            if tag not in rules.allowed and tag in self._fields and self.check_tag_defined_for_message:
                yield e.TagNotDefinedForMessageType(
                    tag, rules.msg_type, f"{self._name(tag)} in {self._where(rules)}"
                )
            group = rules.groups.get(tag)
            if group is not None and value.isdigit():
                i = yield from self._walk_group(pairs, i, group, int(value), rules)
        return seen

    def _next_phase(self, phase: int, tag: int, rules: MessageRules) -> tuple[int, bool]:
        """The message part (header, body, trailer) after ``tag``, and whether ``tag`` is out of place
        there."""
        if tag in self._header and (phase == _HEADER or tag not in rules.body):
            return phase, phase != _HEADER
        if tag in self._trailer:
            return _TRAILER, False
        # A body field after a trailer field: the trailer must close the message (CheckSum(10) last).
        return max(phase, _BODY), phase == _TRAILER

    def _order_detail(self, tag: int, rules: MessageRules) -> str:
        part = "header" if tag in self._header else "body"
        before = "body" if part == "header" else "trailer"
        return f"{part} field {self._name(tag)} comes after the {before} in {self._where(rules)}"

    def _walk_group(
        self, pairs: Pairs, i: int, group: Group, declared: int, rules: MessageRules
    ) -> Generator[e.FixValidationError, None, int]:
        """Check the entries of ``group`` from ``pairs[i]``; returns the index of the first field after them.

        FIX rule: an entry starts with the group's first field (delimiter) and holds each field at most once;
        the entry ends at a field that is not a member of the group (that field belongs to an enclosing
        level).
        """
        count_tag = group.count_tag.tag
        entries, n = 0, len(pairs)
        in_entry: set[int] = set()
        while i < n:
            tag, value = pairs[i]
            if tag == group.first_tag:
                if entries:
                    yield from self._entry_required_errors(group, in_entry, entries, rules)
                entries += 1
                in_entry = {tag}
            elif tag in group.member_tags:
                if not entries or tag in in_entry:
                    detail = "before the first" if not entries else "twice in one"
                    yield e.RepeatingGroupFieldsOutOfOrder(
                        tag,
                        rules.msg_type,
                        f"{self._name(tag)} appears {detail} entry of group {self._name(count_tag)} "
                        f"(entries start with {self._name(group.first_tag)}) in {self._where(rules)}",
                    )
                in_entry.add(tag)
            else:
                break
            i += 1
            error = self._field_error(tag, value, rules.msg_type)
            if error is not None:
                yield error
            nested = group.groups.get(tag)
            if nested is not None and value.isdigit():
                i = yield from self._walk_group(pairs, i, nested, int(value), rules)
        if entries:
            yield from self._entry_required_errors(group, in_entry, entries, rules)
        if entries != declared:
            yield e.IncorrectNumInGroupCount(
                count_tag,
                rules.msg_type,
                f"{self._name(count_tag)}={declared} but {entries} entries follow in {self._where(rules)}",
                value=str(declared).encode(),
            )
        return i

    def _entry_required_errors(
        self, group: Group, in_entry: set[int], entry: int, rules: MessageRules
    ) -> Iterator[e.FixValidationError]:
        if not self.check_required:
            return
        for tag in group.required_order:
            if tag not in in_entry:
                yield e.RequiredTagMissing(
                    tag,
                    rules.msg_type,
                    f"{self._name(tag)} is required in entry {entry} of group "
                    f"{self._name(group.count_tag.tag)} "
                    f"in {self._where(rules)}",
                )

    # -- one field ---------------------------------------------------------------------------------

    def _is_judged(self, tag: int) -> bool:
        """False for a user-defined tag unknown to the dictionary when those are allowed."""
        return not (self.allow_user_defined and tag >= USER_DEFINED_MIN and tag not in self._fields)

    def _field_error(self, tag: int, value: bytes, msg_type: str) -> e.FixValidationError | None:
        """The first problem of one field taken alone (tag number, empty value, SOH, format, enum), or
        None."""
        rule = self._fields.get(tag)
        if rule is None:
            if tag <= 0 or (self.check_unknown_tags and self._is_judged(tag)):
                where = "not a valid tag number" if tag <= 0 else f"not a field of {self._dict_name}"
                return e.InvalidTagNumber(
                    tag, msg_type, f"tag {tag} in message type {msg_type!r} is {where}", value=value
                )
            return None
        if not value:
            if not self.check_fields_have_values:
                return None
            return e.TagSpecifiedWithoutValue(
                tag, msg_type, f"{self._name(tag)} is empty in message type {msg_type!r}"
            )
        if not rule.allows_soh and _SOH in value:
            return e.NonDataValueIncludesFieldDelimiter(
                tag,
                msg_type,
                f"{self._name(tag)}={value!r} ({rule.fix_type}) contains SOH in message type {msg_type!r}",
                value=value,
            )
        if self.check_formats and rule.is_format_valid is not None and not rule.is_format_valid(value):
            return e.IncorrectDataFormat(
                tag,
                msg_type,
                f"{self._name(tag)}={value!r} is not a valid {rule.fix_type} in message type {msg_type!r}",
                value=value,
            )
        if self.check_enums and rule.enum is not None and not _is_enumerated(value, rule):
            return e.ValueIncorrectOutOfRange(
                tag,
                msg_type,
                f"{self._name(tag)}={value!r} is not an enumerated value in message type {msg_type!r}",
                value=value,
            )
        return None

    def _name(self, tag: int) -> str:
        rule = self._fields.get(tag)
        return f"{rule.name}({tag})" if rule is not None else f"tag {tag}"

    @staticmethod
    def _where(rules: MessageRules) -> str:
        return f"message type {rules.msg_type!r}"


def _field_rule(name: str, fix_type: str | None, values: Sequence[tuple[str, str]]) -> FieldRule:
    kind = fix_type or "STRING"
    enum = frozenset(v.encode("latin-1") for v, _ in values) if values else None
    return FieldRule(
        name=name,
        fix_type=kind,
        is_format_valid=format_check(kind),
        enum=enum,
        multiple_values=kind in MULTIPLE_VALUE_TYPES,
        allows_soh=kind in DATA_TYPES,
    )


def _value_check(rule: FieldRule | None, *, check_formats: bool, check_enums: bool) -> ValueCheck | None:
    """What :meth:`Validator._field_error` tests on a non-empty value without SOH, as one function."""
    if rule is None:
        # an unknown tag in a message that walked clean is one the settings let through, whatever its value
        return None
    is_format_valid = rule.is_format_valid if check_formats else None
    enum = rule.enum if check_enums else None
    if enum is None:
        return is_format_valid
    if not rule.multiple_values and (is_format_valid is None or all(map(is_format_valid, enum))):
        # every enumerated value is well formed: membership alone decides (a frozenset lookup)
        return enum.__contains__
    return lambda value: (is_format_valid is None or is_format_valid(value)) and _is_enumerated(value, rule)


def _as_value_check(entry: ShapeCheck) -> ValueCheck | None:
    """One position of :meth:`Validator.shape_spec` as the function the shape cache calls (None: no check)."""
    what = entry[0]
    if what == "none":
        return None
    if what == "equal":
        return partial(operator.eq, entry[1])
    if what == "enum":
        return entry[1].__contains__
    return entry[-1]  # ("format", name, check) or ("call", check)


def _count_tags(groups: Iterable[Group]) -> Iterator[int]:
    for group in groups:
        yield group.count_tag.tag
        yield from _count_tags(group.groups.values())


def _picker(positions: Sequence[int]) -> Callable[[Sequence[bytes]], tuple[bytes, ...]]:
    """A function taking the values at ``positions`` out of a sequence, always as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda values: (values[only],)
    if not positions:
        return lambda values: ()
    return operator.itemgetter(*positions)


def _is_enumerated(value: bytes, rule: FieldRule) -> bool:
    assert rule.enum is not None
    if rule.multiple_values:
        # MULTIPLEVALUESTRING & co: space-separated enumerated values (FIX "Data types").
        return all(part in rule.enum for part in value.split(b" "))
    return value in rule.enum


def _first_value(pairs: Pairs, tag: int) -> bytes | None:
    for t, value in pairs:
        if t == tag:
            return value
    return None
