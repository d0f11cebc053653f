"""FixMessage, FixFragment and repeating groups: pyfixmsg's message objects, made cheap to create.

The classes reproduce ``pyfixmsg.fixmessage`` and ``pyfixmsg.RepeatingGroup`` (see the module map in the
pyfixmsg
API reference). Deliberate differences, each chosen so that correct pyfixmsg code keeps working:

* ``==`` and ``!=`` ignore BodyLength(9) and CheckSum(10) **without deleting them** from either message
(pyfixmsg
  deleted both as a side effect). ``msg == None`` is False (pyfixmsg returned None; both are falsy). A
  FixMessage
  also compares equal to a plain mapping with the same fields (9 and 10 ignored).
* ``time`` is captured as ``time.time_ns()`` at creation and turned into the pyfixmsg-compatible naive UTC
  ``datetime`` only when read, so that the compiled parser creates messages without running ``__init__``.
  ``process``, ``separator``, ``recipient``, ``direction``, ``typed_values``, ``raw_message`` and
  ``tag_order``
  are class-level defaults that an instance overrides when set. ``codec`` defaults to one shared spec-less
  Codec.
* Plain ``list`` values are repeating groups everywhere: ``len_and_chsum``, serialising, ``find_all``,
  ``anywhere``, ``all_tags`` and ``update_all`` treat them like ``RepeatingGroup`` (pyfixmsg stringified them,
  giving a wrong BodyLength and CheckSum), and plain ``dict`` members are searched like FixFragments.
* Values of any type the encoder knows are serialised: int, float, Decimal, datetime/date/time (UTC
timestamps),
  bool as ``Y``/``N`` (pyfixmsg wrote ``True`` for bool and raised TypeError for the others).
* ``FixMessage.from_wire`` still returns None; :meth:`FixMessage.from_wire_bytes` returns the parsed message.
* ``RepeatingGroup`` keeps ``number_tag``, ``first_tag`` and ``standard`` in slots; other attributes still work
  (the instance ``__dict__`` is made on first use). Unset, the three read as pyfixmsg's class defaults;
  ``RepeatingGroup.number_tag`` on the class itself is the slot descriptor, not None.
"""

from __future__ import annotations

import datetime
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal, InvalidOperation
from time import time_ns
from typing import TYPE_CHECKING, Any, Self

from pyfixmsg_plus.message.util import encode_field_value, native_str

if TYPE_CHECKING:
    from pyfixmsg_plus.message.codec import Codec

#: pyfixmsg constants (defined there, unused)
TAGS_AS_DATE = (432, 7509, 52)
GTD_EXPIRE_DATE_TAG = 432
TAGS_AS_DECIMAL = (31, 32, 151, 14, 6)

_BEGIN_STRING, _BODY_LENGTH, _CHECKSUM = 8, 9, 10
_EPOCH = datetime.datetime(1970, 1, 1)
_SOH_SUM = 1  # every field ends with SOH (byte value 1) in the checksum, whatever separator is printed


def STRSUM(text: str | bytes) -> int:
    """The sum of the bytes of ``text`` (UTF-8 for str): the raw, un-reduced FIX checksum contribution."""
    return sum(text.encode("utf-8") if isinstance(text, str) else text)


def _field_bytes(tag: Any, value: Any) -> bytes:
    """``tag=value`` without the separator, as it is written on the wire."""
    return str(tag).encode("utf-8") + b"=" + encode_field_value(value)


def len_and_chsum(msg: Mapping[Any, Any] | list[Any], group: bool = False) -> tuple[int, int]:
    """(BodyLength, raw byte sum) computed from the contents of ``msg``, in any field order, without a spec.

    FIX BodyLength(9) counts the bytes after ``9=...|`` up to CheckSum(10); the sum covers everything before
    ``10=``: so ``8=...|`` is summed but not counted, 9 and 10 are skipped, and for a top-level message the
    ``9=<len>|`` field is added to the sum. The sum is not reduced modulo 256. A list (RepeatingGroup or
    plain)
    counts as ``count_tag=len|`` followed by its entries.
    """
    if isinstance(msg, list):
        return _entries_len_and_sum(msg)
    length = total = 0
    for tag, value in msg.items():
        if not group and tag in (_BODY_LENGTH, _CHECKSUM):
            continue
        if isinstance(value, list):
            head = _field_bytes(tag, len(value))
            sub_length, sub_sum = _entries_len_and_sum(value)
            length += len(head) + 1 + sub_length
            total += sum(head) + _SOH_SUM + sub_sum
            continue
        field = _field_bytes(tag, value)
        total += sum(field) + _SOH_SUM
        if not (tag == _BEGIN_STRING and not group):
            length += len(field) + 1
    if not group:
        total += sum(_field_bytes(_BODY_LENGTH, length)) + _SOH_SUM
    return length, total


def _entries_len_and_sum(entries: Iterable[Any]) -> tuple[int, int]:
    length = total = 0
    for entry in entries:
        entry_length, entry_sum = len_and_chsum(entry, group=True)
        length += entry_length
        total += entry_sum
    return length, total


def _find_all_in(fields: Mapping[Any, Any], tag: Any) -> Iterator[list[Any]]:
    """Paths to each occurrence of ``tag``: ``[tag]`` here, then ``[count_tag, index, ..., tag]``."""
    if tag in fields:
        yield [tag]
    for count_tag, value in fields.items():
        if isinstance(value, list):
            for path in _find_all_in_entries(value, tag):
                yield [count_tag, *path]


def _find_all_in_entries(entries: list[Any], tag: Any) -> Iterator[list[Any]]:
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping):
            for path in _find_all_in(entry, tag):
                yield [index, *path]


def _all_tags_in(fields: Mapping[Any, Any] | list[Any]) -> set[Any]:
    entries = fields if isinstance(fields, list) else [fields]
    found: set[Any] = set()
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        for tag, value in entry.items():
            found.add(tag)
            if isinstance(value, list):
                found |= _all_tags_in(value)
    return found


class FixFragment(dict):
    """A dict of FIX fields (int tag -> value): repeating-group entries and the base of FixMessage."""

    typed_values: bool = True

    @classmethod
    def from_dict(cls, fields: Mapping[Any, Any]) -> FixFragment:
        """A new fragment holding ``fields``."""
        fragment = cls()
        fragment.update(fields)
        return fragment

    def find_all(self, tag: Any) -> Iterator[list[Any]]:
        """Paths to ``tag``: ``[tag]`` at this level, then ``[count_tag, index, ..., tag]`` inside groups."""
        return _find_all_in(self, tag)

    def anywhere(self, tag: Any) -> bool:
        """True when ``tag`` is at this level or in any entry of any contained group."""
        return next(_find_all_in(self, tag), None) is not None

    def all_tags(self) -> list[Any]:
        """The distinct tags here and in groups (count tags belong to their parent); order not guaranteed."""
        return list(_all_tags_in(self))

    def length(self) -> int:
        """This fragment's contribution to BodyLength(9), in bytes."""
        return len_and_chsum(self)[0]


#: what ``number_tag``, ``first_tag`` and ``standard`` read on a group that never set them (pyfixmsg's class defaults)
_GROUP_DEFAULTS: dict[str, Any] = {"number_tag": None, "first_tag": None, "standard": True}


def _slot_names(cls: type) -> list[str]:
    """Every ``__slots__`` name that holds a value on instances of ``cls`` (its own and inherited ones)."""
    names: list[str] = []
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and name not in names:
                names.append(name)
    return names


class RepeatingGroup(list):
    """A repeating group: a list of entries, its count tag (``number_tag``) and delimiter (``first_tag``).

    The three attributes live in slots, not the instance ``__dict__``: a parsed message makes one group per
    NumInGroup field, and a per-group dict cost more than the group's list. Unset, they read as pyfixmsg's
    class defaults (None, None, True). Any other attribute goes to the ``__dict__``, made only when first used
    (pyfixmsg groups take arbitrary attributes, and code that sets them keeps working).
    """

    __slots__ = ("__dict__", "__weakref__", "first_tag", "number_tag", "standard")
    number_tag: Any
    first_tag: Any
    standard: bool

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup failed, i.e. for an unset slot: answer with the pyfixmsg default.
        try:
            return _GROUP_DEFAULTS[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __getstate__(self) -> dict[str, Any]:
        # Slots are not in a __dict__: pickle (every protocol), copy and deepcopy carry them through this state.
        state = dict(getattr(self, "__dict__", {}))
        for name in _slot_names(type(self)):
            try:
                state[name] = object.__getattribute__(self, name)
            except AttributeError:
                continue  # an unset slot stays unset (it still reads as its default)
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    @property
    def entry_tag(self) -> tuple[Any, int]:
        """``(count tag, number of entries)``: the NumInGroup field as written on output."""
        return self.number_tag, len(self)

    @classmethod
    def create_repeating_group(cls, tag: Any, standard: bool = True, first_tag: Any = None) -> Self:
        """An empty group counted by ``tag``."""
        group = cls()
        group.number_tag = tag
        group.standard = standard
        group.first_tag = first_tag
        return group

    def _with_metadata(self, entries: Iterable[Any]) -> RepeatingGroup:
        group = type(self)(entries)
        group.number_tag, group.first_tag, group.standard = self.number_tag, self.first_tag, self.standard
        return group

    def __add__(self, other: Iterable[Any]) -> RepeatingGroup:
        return self._with_metadata([*self, *other])

    def find_all(self, tag: Any) -> Iterator[list[Any]]:
        """Paths ``[index, ..., tag]`` to every occurrence of ``tag`` in the entries."""
        return _find_all_in_entries(self, tag)

    def all_tags(self) -> list[Any]:
        """The distinct tags of all entries (and their groups)."""
        return list(_all_tags_in(self))

    def length(self) -> int:
        """The entries' contribution to BodyLength(9), in bytes (the count field belongs to the parent)."""
        return len_and_chsum(self)[0]


class RepeatingGroupFactory:
    """Builds filled RepeatingGroups for one count tag."""

    def __init__(self, tag: Any, standard: bool = True, first_tag: Any = None) -> None:
        self.tag = tag
        self.standard = standard
        self.first_tag = first_tag

    def get_r_group(self, *fragments: Mapping[Any, Any]) -> RepeatingGroup:
        """A group of ``fragments``, in order."""
        group = RepeatingGroup.create_repeating_group(self.tag, self.standard, self.first_tag)
        group.extend(fragments)
        return group


_DEFAULT_CODEC: Codec | None = None


def _default_codec() -> Codec:
    """The shared spec-less Codec: stateless, so one instance serves every message that was given none."""
    global _DEFAULT_CODEC
    if _DEFAULT_CODEC is None:
        from pyfixmsg_plus.message.codec import Codec

        _DEFAULT_CODEC = Codec()
    return _DEFAULT_CODEC


def _decimal_or_none(value: Any) -> Decimal | None:
    try:
        return Decimal(native_str(value) or "")
    except (InvalidOperation, ValueError):
        return None


def _fields_without_length_and_checksum(fields: Mapping[Any, Any]) -> dict[Any, Any]:
    return {tag: value for tag, value in fields.items() if tag not in (_BODY_LENGTH, _CHECKSUM)}


class FixMessage(FixFragment):
    """A FIX message: a dict of int tags to values with pyfixmsg's attributes and helpers."""

    # Slots are set by the compiled parser without __init__: creation time in ns and the codec.
    __slots__ = ("_codec", "_time_dt", "_time_ns")
    _codec: Codec
    _time_dt: datetime.datetime
    _time_ns: int

    FragmentType = FixFragment
    process: Any = ""
    separator: str = ";"
    recipient: Any = ""
    direction: int | None = None
    typed_values: bool = False
    raw_message: Any = None
    tag_order: list[Any] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._time_ns = time_ns()
        if len(args) == 1 and isinstance(args[0], FixFragment):
            tag_order = getattr(args[0], "tag_order", None)
            if tag_order is not None:
                self.tag_order = list(tag_order)

    # --- attributes
    # -------------------------------------------------------------------------------------------
    @property
    def time(self) -> datetime.datetime:
        """Creation time as a naive UTC datetime (microseconds), as pyfixmsg's ``utcnow()``."""
        try:
            return self._time_dt
        except AttributeError:
            pass
        try:
            ns = self._time_ns
        except AttributeError:
            ns = self._time_ns = time_ns()
        self._time_dt = _EPOCH + datetime.timedelta(microseconds=ns // 1000)
        return self._time_dt

    @time.setter
    def time(self, value: datetime.datetime) -> None:
        self._time_dt = value

    @property
    def codec(self) -> Codec:
        """The codec used by ``from_wire``, ``to_wire`` and ``copy`` (a shared spec-less Codec by default)."""
        try:
            return self._codec
        except AttributeError:
            return _default_codec()

    @codec.setter
    def codec(self, value: Codec) -> None:
        self._codec = value

    def __getstate__(self) -> dict[str, Any]:
        state = dict(getattr(self, "__dict__", {}))
        state["_time_dt"] = self.time
        for slot in ("_time_ns", "_codec"):
            if hasattr(self, slot):
                state[slot] = getattr(self, slot)
        return state

    def __setstate__(self, state: Mapping[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    @property
    def tags(self) -> FixMessage:
        """Deprecated (pyfixmsg): the message itself."""
        warnings.warn(
            "FixMessage.tags is deprecated: use the message itself", DeprecationWarning, stacklevel=2
        )
        return self

    def get_raw_message(self) -> Any:
        """The buffer this message was parsed from by ``from_buffer`` (None otherwise)."""
        return self.raw_message

    # --- parsing
    # ---------------------------------------------------------------------------------------------
    def load_fix(self, string: str | bytes, process: Any = None, separator: str = ";") -> FixMessage:
        """Update from ``string`` (``;``-separated by default); sets ``tag_order`` and ``process``."""
        parsed = self.codec.parse(string.strip(), separator=separator)
        self.update(parsed)
        self.tag_order = list(parsed)
        self.process = process
        return self

    def from_wire(self, msg: bytes | str, codec: Codec | None = None) -> None:
        """Update this message from one SOH frame; returns None as pyfixmsg (see :meth:`from_wire_bytes`)."""
        codec = codec or self.codec
        self.update(codec.parse(msg))
        self.typed_values = not getattr(codec, "decoded_values_are_untyped", False)

    @classmethod
    def from_buffer(cls, msg_buffer: bytes, fix_codec: Codec) -> FixMessage:
        """A new message parsed from ``msg_buffer`` with ``fix_codec``; the buffer kept as ``raw_message``."""
        message = cls()
        message.codec = fix_codec
        message.raw_message = msg_buffer
        message.from_wire(msg_buffer, codec=fix_codec)
        return message

    @classmethod
    def from_wire_bytes(cls, data: bytes | bytearray | memoryview, codec: Codec | None = None) -> FixMessage:
        """A new message parsed from one SOH frame (the fast path of ``codec.parse_message``)."""
        return (codec or _default_codec()).parse_message(data, message_class=cls)

    # --- serialising
    # -----------------------------------------------------------------------------------------
    def set_len_and_chksum(self) -> None:
        """Set BodyLength(9) and CheckSum(10) as str from the current contents."""
        length, raw_sum = len_and_chsum(self)
        self[_BODY_LENGTH] = str(length)
        self[_CHECKSUM] = f"{raw_sum % 256:03d}"

    def checksum(self, value: int | None = None) -> str:
        """CheckSum(10) as 3 digits: ``value`` mod 256 when given, else computed from the contents."""
        if value is None:
            value = len_and_chsum(self)[1]
        return f"{value % 256:03d}"

    def calculate_checksum(self) -> str:
        """The same as :meth:`checksum` without an argument."""
        return self.checksum()

    def to_wire(self, codec: Codec | None = None) -> bytes:
        """The SOH-separated frame; sets 9 and 10 first (mutates)."""
        self.set_len_and_chksum()
        return (codec or self.codec).serialise(self)

    def output_fix(
        self, separator: str = ";", calc_checksum: bool = True, remove_length: bool = False
    ) -> bytes:
        """The message with ``separator`` between fields; 9 and 10 set unless ``calc_checksum`` is False."""
        if calc_checksum:
            self.set_len_and_chksum()
        if remove_length:
            del self[_BODY_LENGTH]
        return self.codec.serialise(self, separator=separator)

    @property
    def fix(self) -> bytes:
        """``output_fix`` with this message's ``separator``."""
        return self.output_fix(self.separator)

    def __str__(self) -> str:
        return self.output_fix().decode("utf-8")

    # --- comparison and copy
    # ---------------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if _fields_without_length_and_checksum(self) != _fields_without_length_and_checksum(other):
            return False
        if hasattr(other, "time") and hasattr(other, "recipient"):
            return bool(self.time == other.time and self.recipient == other.recipient)
        return True

    def __ne__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        if _fields_without_length_and_checksum(self) != _fields_without_length_and_checksum(other):
            return True
        return hasattr(other, "time") and bool(self.time != other.time)

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other: Any) -> bool:
        return bool(self.time < other.time)

    def __le__(self, other: Any) -> bool:
        return bool(self.time <= other.time)

    def __gt__(self, other: Any) -> bool:
        return bool(self.time > other.time)

    def __ge__(self, other: Any) -> bool:
        return bool(self.time >= other.time)

    def copy(self) -> FixMessage:
        """A new message made by serialising with ``codec`` and parsing back (values come back as str)."""
        codec = self.codec
        duplicate = type(self)()
        duplicate.update(codec.parse(codec.serialise(self)))
        duplicate.codec = codec
        duplicate.time = self.time
        for name in ("process", "recipient", "direction", "raw_message"):
            setattr(duplicate, name, getattr(self, name))
        duplicate.set_len_and_chksum()
        return duplicate

    __copy__ = copy

    # --- editing
    # ---------------------------------------------------------------------------------------------
    def set_or_delete(self, tag: Any, value: Any) -> None:
        """Set ``tag``, or delete it when ``value`` is None or ``''`` (0 is kept)."""
        if value is None or (isinstance(value, str | bytes) and len(value) == 0):
            self.pop(tag, None)
        else:
            self[tag] = value

    def apply(self, update: Mapping[Any, Any]) -> None:
        """``set_or_delete`` for each item: None values remove their tag."""
        for tag, value in update.items():
            self.set_or_delete(tag, value)

    def update_all(self, tag: Any, value: Any) -> None:
        """Set every occurrence of ``tag``, including inside repeating groups."""
        for path in list(self.find_all(tag)):
            node: Any = self
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value

    # --- queries (top level only)
    # ----------------------------------------------------------------------------
    def tag_exact(self, tag: Any, value: Any, case_insensitive: bool = False) -> bool:
        """The field equals ``value`` as strings (bytes decoded, ints stringified); False when absent."""
        if tag not in self:
            return False
        mine, theirs = native_str(self[tag]), native_str(value)
        if case_insensitive and mine is not None and theirs is not None:
            return mine.lower() == theirs.lower()
        return mine == theirs

    def tag_iexact(self, tag: Any, value: Any) -> bool:
        """Case-insensitive :meth:`tag_exact`."""
        return self.tag_exact(tag, value, case_insensitive=True)

    def tag_contains(self, tag: Any, value: Any, case_insensitive: bool = False) -> bool:
        """``value`` is a substring of the field (as strings); False when absent."""
        if tag not in self:
            return False
        mine, theirs = native_str(self[tag]) or "", native_str(value) or ""
        if case_insensitive:
            return theirs.lower() in mine.lower()
        return theirs in mine

    def tag_icontains(self, tag: Any, value: Any) -> bool:
        """Case-insensitive :meth:`tag_contains`."""
        return self.tag_contains(tag, value, case_insensitive=True)

    def tag_exact_dict(self, fields: Mapping[Any, Any]) -> bool:
        """Every item of ``fields`` matches with :meth:`tag_exact`."""
        return all(self.tag_exact(tag, value) for tag, value in fields.items())

    def tag_match_regex(self, tag: Any, regex: str | bytes | re.Pattern[Any]) -> bool:
        """``re.match`` (anchored at the start) of ``regex`` on the field; bytes patterns accepted."""
        if tag not in self:
            return False
        text = native_str(self[tag]) or ""
        pattern = regex.pattern if isinstance(regex, re.Pattern) else regex
        subject: str | bytes = text.encode("utf-8") if isinstance(pattern, bytes) else text
        return re.match(regex, subject) is not None  # type: ignore[arg-type]

    def _compare(self, tag: Any, value: Any) -> int | None:
        """-1/0/1 comparing the field with ``value`` (Decimal when both parse, else str); None if n/a."""
        mine = self.get(tag)
        if not mine or not value:
            return None
        mine_number, their_number = _decimal_or_none(mine), _decimal_or_none(value)
        if mine_number is not None and their_number is not None:
            left: Any = mine_number
            right: Any = their_number
        else:
            left, right = native_str(mine), native_str(value)
        return (left > right) - (left < right)

    def tag_lt(self, tag: Any, value: Any) -> bool:
        """The field is less than ``value`` (see :meth:`_compare`); False when missing or falsy."""
        order = self._compare(tag, value)
        return order is not None and order < 0

    def tag_le(self, tag: Any, value: Any) -> bool:
        """The field is less than or equal to ``value``."""
        order = self._compare(tag, value)
        return order is not None and order <= 0

    def tag_gt(self, tag: Any, value: Any) -> bool:
        """The field is greater than ``value``."""
        order = self._compare(tag, value)
        return order is not None and order > 0

    def tag_ge(self, tag: Any, value: Any) -> bool:
        """The field is greater than or equal to ``value``."""
        order = self._compare(tag, value)
        return order is not None and order >= 0

    def tag_in(self, tag: Any, values: Iterable[Any]) -> bool:
        """The field (as str) is one of ``values`` (as str); False when absent or falsy."""
        mine = self.get(tag)
        if not mine:
            return False
        return native_str(mine) in {native_str(value) for value in values}
