"""Codec: text/bytes <-> FIX fields, compatible with ``pyfixmsg.codecs.stringfix.Codec``.

Two parsing paths give the same result on well-formed input:

* the wire path (bytes, a one-byte separator, ``=``, no MessageEncoding(347), UTF-8 values) runs in the parser
  module (compiled when built): :meth:`Codec.parse_message` returns a :class:`FixMessage`, and
  :meth:`Codec.parse` uses the same path for such input;
* the lenient pyfixmsg tokenizer for everything else: ``;`` separators, a stray ``;123;`` kept in the previous
  value, ``=`` inside values, whitespace around tags, values in other encodings.

Deliberate differences from pyfixmsg (nothing correct pyfixmsg code relies on breaks):

* Groups are recognised wherever MsgType(35) is in the message, so a short message with a spec parses
(pyfixmsg
  raised IndexError with fewer than four fields) and a MsgType beyond the fourth field still selects its
  groups.
* Fields that a group gets through a component (Symbol(55) in Instrument in FIX 4.4 NoMDEntries(268)) stay in
  their entry (pyfixmsg ended the entry there and leaked the rest to the top level); header groups
  (NoHops(627))
  are parsed too.
* A NumInGroup value that is not digits leaves the field as a plain value instead of raising.
* Serialising writes int, float, Decimal, datetime and bool (``Y``/``N``) values, and plain lists as groups; a
  message whose MsgType is unknown to the spec is written in the spec-less order instead of raising KeyError.
* Bad ``delimiter``/``separator`` arguments raise ValueError (pyfixmsg: assert).
* The group layout is derived from the spec at the first parse: call :meth:`Codec.refresh_layout` after an
  ``add_group`` made later.
"""

from __future__ import annotations

import codecs as _text_codecs
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from types import ModuleType
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.message.fixmessage import FixMessage, RepeatingGroup
from pyfixmsg_plus.message.reference import ENCODED_DATA_TAGS, HEADER_SORT_MAP, TRAILER_BASE
from pyfixmsg_plus.message.util import encode_field_value

SEPARATOR = "\x01"
DELIMITER = "="
MICROSECONDS = 0
MILLISECONDS = 1
#: the lenient field pattern for SOH and ``=`` (see :func:`_field_regex` for the rule)
FIX_REGEX_STRING = r"(?s)((?:(?!\x01|=).)*)=((?:(?!\x01).|\x01(?=\w+\x01))*)\x01"
FIX_REGEX = re.compile(FIX_REGEX_STRING.encode("ascii"))

_MSG_TYPE = 35
_MESSAGE_ENCODING = 347
_FRAME_TAGS = (8, 9, 10)
_ENCODED_DATA = frozenset(ENCODED_DATA_TAGS)

Layout = dict[int, tuple[int, frozenset[int], "Layout"]]
SortKey = tuple[int, int, str]


@lru_cache(maxsize=32)
def _field_regex(separator: str, delimiter: str, as_bytes: bool) -> re.Pattern[Any]:
    """The lenient pyfixmsg field pattern: ``tag DELIM value SEP``.

    A value runs to the first separator that is not followed by ``word-chars SEP``, so a stray ``;123;`` stays
    in
    the previous value; everything after the first delimiter is value; text before a field without a delimiter
    is
    skipped; a last field without its separator does not match (it is dropped, as pyfixmsg).
    """
    sep, delim = re.escape(separator), re.escape(delimiter)
    pattern = rf"(?s)((?:(?!{sep}|{delim}).)*){delim}((?:(?!{sep}).|{sep}(?=\w+{sep}))*){sep}"
    return re.compile(pattern.encode("latin-1") if as_bytes else pattern)


def _group_members(group: Any) -> frozenset[int]:
    """Every tag allowed in one entry of ``group`` (nested count tags included), from a spec Group.

    Our Group carries ``member_tags``; a pyfixmsg Group only has its composition, walked here through
    components.
    """
    members = getattr(group, "member_tags", None)
    if members is not None:
        return frozenset(members) | frozenset(getattr(group, "groups", {}) or ())
    found: list[int] = []
    _walk_composition(getattr(group, "composition", ()), found)
    return frozenset(found)


def _walk_composition(composition: Iterable[Any], found: list[int]) -> None:
    for item, _required in composition:
        if hasattr(item, "count_tag"):
            found.append(int(item.count_tag.tag))
        elif hasattr(item, "composition"):
            _walk_composition(item.composition, found)
        else:
            found.append(int(item.tag))


def _group_level(groups: Mapping[Any, Any]) -> Layout:
    """The layout of one level: count tag -> (first tag, member tags, nested layout)."""
    level: Layout = {}
    for key, group in groups.items():
        count_tag = int(getattr(group.count_tag, "tag", key))
        members = _group_members(group)
        first_tag = getattr(group, "first_tag", None)
        if first_tag is None:
            first_tag = _first_field(group.composition)
        level[count_tag] = (int(first_tag), members, _group_level(getattr(group, "groups", {}) or {}))
    return level


def _first_field(composition: Iterable[Any]) -> int:
    found: list[int] = []
    _walk_composition(composition, found)
    return found[0]


def build_layouts(spec: Any) -> dict[str, Layout]:
    """MsgType(35) str -> top-level group layout, for every message of ``spec`` (header groups included)."""
    header_groups = getattr(spec, "header_groups", None) or {}
    layouts: dict[str, Layout] = {}
    for msg_type, message in spec.msg_types.items():
        if isinstance(msg_type, str):
            layouts[msg_type] = _group_level({**header_groups, **message.groups})
    return layouts


def _python_encoding(fix_encoding: str, fallback: str) -> str:
    """A MessageEncoding(347) value (e.g. "Shift_JIS", "ISO-2022-JP") as a Python codec name."""
    try:
        return _text_codecs.lookup(fix_encoding.strip()).name
    except LookupError:
        return fallback


class Codec:
    """Parses and serialises FIX fields; ``spec`` enables repeating groups and dictionary order."""

    def __init__(
        self,
        spec: Any = None,
        no_groups: bool = False,
        fragment_class: Callable[[], Any] = dict,
        decode_as: str | None = None,
        decode_all_as_347: bool = False,
        *,
        parser: ModuleType | None = None,
    ) -> None:
        """``parser`` overrides the parser implementation (tests use it to run both twins)."""
        self.spec = spec
        self._no_groups = no_groups or spec is None
        self._frg_class = fragment_class
        self._encoding = decode_as
        self.decode_all_as_347 = decode_all_as_347
        self._parser_override = parser
        self._parser: ModuleType = parser or _impl.load("parser")
        self._layouts: dict[str, Layout] | None = None
        self._fast_layouts: Any = None
        self._order_cache: dict[Any, dict[Any, SortKey]] = {}
        self._install_message_parser()

    def __getstate__(self) -> dict[str, Any]:
        # Modules are not picklable and the caches rebuild themselves: keep the constructor arguments only.
        state = dict(self.__dict__)
        state.update(_parser=None, _layouts=None, _fast_layouts=None, _order_cache={})
        state.pop("_message_parser", None)
        state.pop("parse_message", None)  # the parser's bound method (see _install_message_parser)
        if state["_parser_override"] is not None:
            state["_parser_override"] = state["_parser_override"].__name__
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "encoding" in state:  # pickled before encoding became a property
            state["_encoding"] = state.pop("encoding")
        self.__dict__.update(state)
        override = self._parser_override
        if isinstance(override, str):
            self._parser_override = __import__("importlib").import_module(override)
        self._parser = self._parser_override or _impl.load("parser")
        self._install_message_parser()

    # --- groups layout
    # ---------------------------------------------------------------------------------------
    @property
    def layouts(self) -> dict[str, Layout]:
        """MsgType -> group layout used by the parser (empty without a spec or with ``no_groups``)."""
        if self._layouts is None:
            self._layouts = {} if self._no_groups else build_layouts(self.spec)
        return self._layouts

    def refresh_layout(self) -> None:
        """Rebuild the group layout and field order from the spec (after ``add_group`` on it)."""
        self._layouts = None
        self._fast_layouts = None
        self._message_parser.reset_layouts()
        self._order_cache = {}

    @property
    def encoding(self) -> str | None:
        """The ``decode_as`` text encoding of values, or None (UTF-8 on the wire path)."""
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value
        self._message_parser.set_lenient(value is not None)  # the wire path applies only without an encoding

    # --- parsing
    # ---------------------------------------------------------------------------------------------
    def _fast_separator(self, separator: str | bytes, delimiter: str | bytes) -> int | None:
        """The separator byte when the wire path may parse, else None."""
        if self.encoding is not None or delimiter not in ("=", b"="):
            return None
        if len(separator) != 1:
            return None
        return ord(separator)

    def parse(self, buff: Any, delimiter: str = DELIMITER, separator: str = SEPARATOR) -> Any:
        """A ``fragment_class`` instance (dict by default) holding the fields of ``buff`` (bytes or str).

        Tags become int when ``int()`` accepts them; values are str. With a spec, groups become
        RepeatingGroup.
        """
        for name, value in (("delimiter", delimiter), ("separator", separator)):
            if not value or str(value if isinstance(value, str) else value.decode("latin-1")).isalnum():
                raise ValueError(
                    f"Codec.parse: {name}={value!r} must be a non-empty, non-alphanumeric string"
                )
        if isinstance(buff, bytearray | memoryview):
            buff = bytes(buff)
        if isinstance(buff, bytes):
            sep_byte = self._fast_separator(separator, delimiter)
            if sep_byte is not None:
                parsed = self._parser.parse_message(
                    buff, sep_byte, self._compiled_layouts(), self._frg_class, self._frg_class, RepeatingGroup, None
                )
                if parsed is not None:
                    return parsed
            return self._assemble(self._tokenize_bytes(buff, delimiter, separator), self._frg_class())
        if isinstance(buff, str):
            if self.encoding is not None:
                warnings.warn(
                    f"Codec(decode_as={self.encoding!r}) ignored: the buffer is already str", stacklevel=2
                )
            return self._assemble(self._tokenize_str(buff, delimiter, separator), self._frg_class())
        raise ValueError(f"Codec.parse: buff must be bytes or str, not {type(buff).__name__}")

    def parse_message(
        self, frame: bytes | bytearray | memoryview, message_class: type[FixMessage] | None = None
    ) -> FixMessage:
        """One SOH frame as a new FixMessage (or ``message_class``) with this codec: the hot path.

        On instances of Codec itself this method is shadowed by the parser's own ``parse_message`` (same
        arguments and result, the lenient path as its fallback), so that the compiled parser is called directly.
        """
        return self._message_parser.parse_message(frame, message_class)

    def _parse_leniently(
        self, frame: bytes | bytearray | memoryview, message_class: type[FixMessage] | None
    ) -> FixMessage:
        """``parse_message`` of a frame the wire path declines (or of any frame with an encoding)."""
        message = (message_class or FixMessage)()
        message.codec = self
        message.update(self.parse(bytes(frame)))
        return message

    def _install_message_parser(self) -> None:
        """The parser module's MessageParser for this codec (SOH separator; layouts built at its first frame);
        its ``parse_message`` stands in for this codec's unless a subclass overrides that method."""
        parser = self._parser.MessageParser(
            None, self._frg_class, RepeatingGroup, self, 1, FixMessage, self._parse_leniently, self._compiled_layouts
        )
        parser.set_lenient(self._encoding is not None)
        self._message_parser: Any = parser
        if type(self).parse_message is Codec.parse_message:
            self.__dict__["parse_message"] = parser.parse_message

    def _compiled_layouts(self) -> Any:
        if self._fast_layouts is None:
            self._fast_layouts = self._parser.compile_layouts(self.layouts)
        return self._fast_layouts

    def _assemble(self, pairs: list[tuple[Any, Any]], target: Any) -> Any:
        layout = None
        if not self._no_groups:
            msg_type = next((value for tag, value in pairs if tag == _MSG_TYPE), None)
            layout = self.layouts.get(msg_type) if isinstance(msg_type, str) else None
        return self._parser.assemble(pairs, target, layout, self._frg_class, RepeatingGroup)

    @staticmethod
    def _tag(text: str) -> int | str:
        try:
            return int(text)
        except ValueError:
            return text.strip()

    def _tokenize_str(self, buff: str, delimiter: str, separator: str) -> list[tuple[Any, Any]]:
        regex = _field_regex(separator, delimiter, False)
        return [(self._tag(tag), value) for tag, value in regex.findall(buff)]

    def _tokenize_bytes(self, buff: bytes, delimiter: Any, separator: Any) -> list[tuple[Any, Any]]:
        sep = separator.decode("latin-1") if isinstance(separator, bytes) else separator
        delim = delimiter.decode("latin-1") if isinstance(delimiter, bytes) else delimiter
        raw = [
            (self._tag(tag.decode("latin-1")), value)
            for tag, value in _field_regex(sep, delim, True).findall(buff)
        ]
        default = self.encoding or "utf-8"
        # FIX MessageEncoding(347) names the encoding of the Encoded* fields (or of all, with
        # decode_all_as_347).
        declared = next((value for tag, value in raw if tag == _MESSAGE_ENCODING), None)
        special = _python_encoding(declared.decode("latin-1"), default) if declared is not None else default
        return [
            (tag, value.decode(special if self.decode_all_as_347 or tag in _ENCODED_DATA else default))
            for tag, value in raw
        ]

    # --- serialising
    # -----------------------------------------------------------------------------------------
    def serialise(
        self,
        msg: Mapping[Any, Any],
        separator: str | bytes = SEPARATOR,
        delimiter: str | bytes = DELIMITER,
        encoding: str | None = None,
    ) -> bytes:
        """The fields of ``msg`` as bytes, each followed by ``separator``, in spec order (9, 10 as stored)."""
        sep = separator.encode("latin-1") if isinstance(separator, str) else separator
        delim = delimiter.encode("latin-1") if isinstance(delimiter, str) else delimiter
        text_encoding = encoding or self.encoding
        return b"".join(
            str(tag).encode("utf-8") + delim + encode_field_value(value, text_encoding) + sep
            for tag, value in self._unmap(msg)
        )

    def _unmap(self, msg: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
        """The ``(tag, value)`` pairs of ``msg`` in output order; groups as ``(count, len)``, entries."""
        message_type = self._message_type(msg)
        pairs: list[tuple[Any, Any]] = []
        groups = getattr(message_type, "groups", None) or {}
        if message_type is not None:
            groups = {**(getattr(self.spec, "header_groups", None) or {}), **groups}
        self._append_level(msg, groups, pairs, message_type)
        return pairs

    def body_fields(self, msg: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
        """The ordered pairs of ``msg`` without BeginString(8), BodyLength(9), CheckSum(10): encoder input."""
        return [(tag, value) for tag, value in self._unmap(msg) if tag not in _FRAME_TAGS]

    def encode(self, msg: Mapping[Any, Any], sep: int = 1) -> bytes:
        """The complete frame with a correct BodyLength(9) and CheckSum(10), without changing ``msg``.

        BeginString(8) comes from the message, else from the spec's ``begin_string``.
        """
        begin_string = msg.get(8) or getattr(self.spec, "begin_string", None)
        if begin_string is None:
            raise ValueError(
                "Codec.encode: BeginString(8) is missing from the message and the codec has no spec"
            )
        fields = self.body_fields(msg)
        encoder = _impl.load("encoder")
        return encoder.encode_message(begin_string, fields, sep)

    def _message_type(self, msg: Mapping[Any, Any]) -> Any:
        if self.spec is None:
            return None
        msg_type = msg.get(_MSG_TYPE)
        if isinstance(msg_type, bytes):
            msg_type = msg_type.decode("latin-1")
        return self.spec.msg_types.get(msg_type) if isinstance(msg_type, str) else None

    def _order_for(self, cache_key: Any) -> dict[Any, SortKey]:
        cached = self._order_cache.get(cache_key)
        if cached is None:
            cached = self._order_cache[cache_key] = {}
        return cached

    def _append_level(
        self,
        fields: Mapping[Any, Any],
        groups: Mapping[int, Any],
        pairs: list[tuple[Any, Any]],
        spec_level: Any = None,
        first_tag: Any = None,
        entry: bool = False,
    ) -> None:
        cache = self._order_for((spec_level, first_tag, entry))
        for tag in sorted(fields, key=lambda t: self._sort_key(t, cache, spec_level, first_tag, entry)):
            value = fields[tag]
            if not isinstance(value, list):
                pairs.append((tag, value))
                continue
            pairs.append((tag, len(value)))
            group = groups.get(tag)
            nested = getattr(group, "groups", None) or {}
            delimiter = getattr(value, "first_tag", None) or getattr(group, "first_tag", None)
            for member in value:
                self._append_level(member, nested, pairs, group, delimiter, entry=True)

    def _sort_key(
        self, tag: Any, cache: dict[Any, SortKey], level: Any, first_tag: Any, entry: bool
    ) -> SortKey:
        key = cache.get(tag)
        if key is None:
            key = cache[tag] = self._compute_sort_key(tag, level, first_tag, entry)
        return key

    def _compute_sort_key(self, tag: Any, level: Any, first_tag: Any, entry: bool) -> SortKey:
        """(bucket, position, text): header, known body in spec order, unknown by number, str, trailer."""
        if not isinstance(tag, int):
            return (3, 0, str(tag))
        if entry:
            # Entries: the delimiter first (FIX rule: it starts each entry), then the group's order or
            # insertion.
            if tag == first_tag:
                return (0, 0, "")
            key = getattr(level, "sorting_key", None) or {}
            return (1, key[tag], "") if tag in key else (2, tag if level is not None else 0, "")
        known = getattr(level, "sorting_key", None) if level is not None else HEADER_SORT_MAP
        position = known.get(tag) if known else None
        if position is None:
            position = HEADER_SORT_MAP.get(tag)
            if position is not None and position < TRAILER_BASE and level is not None:
                position = None  # a header tag the message's dictionary lacks sorts with unknown tags
        if position is None:
            return (2, tag, "")
        return (4 if position >= TRAILER_BASE else 1, position, "")
