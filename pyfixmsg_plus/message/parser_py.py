"""Splitting FIX frames into fields and building messages: the pure-Python twin of ``_speedups/parser.pyx``.

This module is the readable specification; the compiled module has the same functions and gives the same
results.

* :func:`parse_pairs` is the strict wire tokenizer used by validation and the session layer.
* :class:`MessageParser` is the fast path from one well-formed frame to a message object with repeating groups
  (:func:`parse_message` is its one-shot form). It returns None whenever the frame needs the lenient
  (pyfixmsg-compatible) tokenizer instead: a piece without ``=``, a tag that is not 1-9 digits, a missing final
  separator, MessageEncoding(347) present, or a value that is not UTF-8. On every frame it accepts it gives
  exactly what the lenient path gives. :func:`_fast_pairs` states those rules field by field; the parser applies
  them to the whole frame at once (see "the whole-frame tokenizer" below).
* :func:`assemble` builds the nested group structure from already tokenized pairs (the lenient path uses it).

A group *layout* is a dict ``count_tag -> (first_tag, member_tags, nested_layout)`` where ``member_tags`` holds
every tag allowed in one entry at that level (nested count tags included); ``layouts`` maps MsgType(35) str to
the message's top-level layout. :func:`pyfixmsg_plus.message.codec.build_layouts` derives them from a data
dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from time import time_ns
from typing import Any, NamedTuple

Layout = Mapping[int, tuple[int, frozenset[int], "Layout"]]

_MSG_TYPE = 35
_MESSAGE_ENCODING = 347  # FIX MessageEncoding: Encoded* fields need the codec's decoding, not UTF-8
_MAX_FAST_TAG_DIGITS = 9


def parse_pairs(frame: bytes | bytearray | memoryview, sep: int = 1) -> list[tuple[int, bytes]]:
    """Split one frame into ``(tag, value)`` pairs in wire order, duplicates kept; never raises on data.

    A field whose tag is not all ASCII digits gets tag 0 (FIX has no tag 0, so validation reports an invalid
    tag
    number); a piece without ``=`` gets tag 0 and its whole text as value; a trailing piece without a final
    separator is included. ``sep`` is the separator byte (SOH = 1).
    """
    data = bytes(frame)
    if not data:
        return []
    pieces = data.split(bytes((sep,)))
    if data[-1] == sep:
        pieces.pop()  # the final separator closes the last field; it does not open an empty one
    pairs: list[tuple[int, bytes]] = []
    for piece in pieces:
        tag_text, equals, value = piece.partition(b"=")
        if not equals:
            pairs.append((0, piece))
        elif tag_text.isdigit():
            pairs.append((int(tag_text), value))
        else:
            pairs.append((0, value))
    return pairs


def _is_count(value: Any) -> bool:
    """A NumInGroup value the group builder accepts: ASCII digits only (str or bytes)."""
    return bool(value) and value.isascii() and value.isdigit()


def _is_zero(value: Any) -> bool:
    """True when an ASCII-digit count is zero (compared by digits: no int conversion, no size limit)."""
    return value.strip("0" if isinstance(value, str) else b"0") == value[:0]


def _read_group(
    pairs: list[tuple[Any, Any]],
    i: int,
    count_tag: int,
    group_spec: tuple[int, frozenset[int], Layout],
    fragment_class: Callable[[], Any],
    group_class: type,
) -> tuple[Any, int]:
    """Read the entries of the group counted at ``count_tag`` from ``pairs[i:]``; returns (group, next index).

    As pyfixmsg: entries are split on the first tag seen after the count (the delimiter), an entry runs while
    its
    tags belong to the group, and the declared count is not checked against the entries.
    """
    first_tag, members, nested = group_spec
    group = group_class.__new__(group_class)  # type: ignore[call-overload]
    group.number_tag = count_tag
    group.first_tag = first_tag
    group.standard = True  # pyfixmsg's default, stored so that every way of building a group gives one state
    n = len(pairs)
    if _is_zero(pairs[i - 1][1]) or i >= n or pairs[i][0] not in members:
        return group, i
    delimiter = pairs[i][0]
    while i < n and pairs[i][0] == delimiter:
        entry = fragment_class()
        i = _fill(pairs, i, entry, nested, members, delimiter, fragment_class, group_class)
        group.append(entry)
    return group, i


def _fill(
    pairs: list[tuple[Any, Any]],
    i: int,
    target: Any,
    layout: Layout | None,
    members: frozenset[int] | None,
    delimiter: Any,
    fragment_class: Callable[[], Any],
    group_class: type,
) -> int:
    """Put ``pairs[i:]`` into ``target`` until a tag outside ``members`` or a repeated ``delimiter``.

    ``members`` None means the top level (no end). Returns the index of the first pair not consumed.
    """
    n = len(pairs)
    start = i
    while i < n:
        tag, value = pairs[i]
        if members is not None and (tag not in members or (tag == delimiter and i != start)):
            break
        group_spec = layout.get(tag) if layout else None
        if group_spec is not None and _is_count(value):
            target[tag], i = _read_group(pairs, i + 1, tag, group_spec, fragment_class, group_class)
        else:
            target[tag] = value
            i += 1
    return i


def assemble(
    pairs: list[tuple[Any, Any]],
    target: Any,
    layout: Layout | None,
    fragment_class: Callable[[], Any],
    group_class: type,
) -> Any:
    """Fill ``target`` (a dict) from ``pairs``, building ``group_class`` groups of ``fragment_class`` entries.

    ``layout`` None or empty parses flat. Duplicate tags at one level overwrite: the last value wins
    (pyfixmsg).
    """
    _fill(pairs, 0, target, layout, None, None, fragment_class, group_class)
    return target


def compile_layouts(layouts: Mapping[str, Layout] | None) -> Mapping[str, Layout] | None:
    """``layouts`` in the form :func:`parse_message` reads fastest: unchanged here (the compiled twin builds
    bitsets). Both forms are accepted by ``parse_message``."""
    return layouts


def _fast_pairs(frame: bytes, sep: int) -> list[tuple[int, str]] | None:
    """The frame's fields with int tags and str values, or None when the lenient path must parse it.

    The field-by-field form of the strict rules (the readable specification); :class:`MessageParser` takes it
    for frames its whole-frame tokenizer does not cover (see :meth:`MessageParser._parse`).
    """
    if not frame or frame[-1] != sep or not 0 <= sep < 128:
        return None
    pieces = frame.split(bytes((sep,)))
    pieces.pop()
    pairs: list[tuple[int, str]] = []
    for piece in pieces:
        tag_text, equals, value = piece.partition(b"=")
        if not equals or not tag_text.isdigit() or len(tag_text) > _MAX_FAST_TAG_DIGITS:
            return None
        tag = int(tag_text)
        if tag == _MESSAGE_ENCODING:
            return None
        try:
            pairs.append((tag, value.decode("utf-8")))
        except UnicodeDecodeError:
            return None
    return pairs


# --- the whole-frame tokenizer ---------------------------------------------------------------------------------
# Python work per field (partition, isdigit, int, decode, a dict store, the group walk: ~25 fields a message) was
# most of a message's time. Instead: a few C-level passes over the whole frame (translate, decode, replace +
# split), then the frame's *tag sequence* (its skeleton) is looked up in a per-parser cache holding the int tags,
# already checked, and the plan of the group structure per MsgType; the fields go into the dicts by dict.update
# over zip. Traffic repeats few skeletons (one per MsgType, optional-field set and entry count).

_MAX_WHOLE_FRAME_FIELDS = 4096  # longer frames take the field-by-field path (the structure pattern is this long)
_MAX_CACHED_SKELETONS = 1024  # a parser fed ever-new tag sequences forgets them all and starts over
_MAX_CACHED_FIELDS = 512  # longer tag sequences are not kept (bounds the cache's memory: keys hold the tags)
_MAX_PLANS_PER_SKELETON = 64  # plans are kept by MsgType value (any str may arrive there)
# dict's own update, whatever the class: classes that override __setitem__ take the per-field path instead
# (see _fills_by_update), so a message or entry of such a class still sees each field go through it.
_dict_update = dict.update


def _whole_frame_separator(sep: int) -> str | None:
    """The separator as a 1-char str when the whole-frame tokenizer applies to it, else None.

    It needs an ASCII separator that is neither ``=`` nor a digit (a digit would be read as part of a tag: the
    field-by-field path keeps the rules for that case).
    """
    if not 0 <= sep < 128 or sep == 61 or 48 <= sep <= 57:
        return None
    return chr(sep)


@cache  # one per separator byte: parsers are also made per frame (parse_message)
def _structure_check(sep: int) -> tuple[bytes, bytes]:
    """What ``bytes.translate`` deletes to keep only ``=`` and the separator of a frame, and what those must
    then read, ``=<sep>`` repeated ``_MAX_WHOLE_FRAME_FIELDS`` times (a frame's reading is a prefix of it)."""
    return bytes(b for b in range(256) if b not in (61, sep)), (b"=" + bytes((sep,))) * _MAX_WHOLE_FRAME_FIELDS


def _checked_tags(tag_texts: list[str]) -> list[int] | None:
    """The tags as int when each is 1-9 ASCII digits and none is MessageEncoding(347), else None."""
    tags = []
    for text in tag_texts:
        if not (text.isascii() and text.isdigit()) or len(text) > _MAX_FAST_TAG_DIGITS:
            return None
        tag = int(text)
        if tag == _MESSAGE_ENCODING:
            return None
        tags.append(tag)
    return tags


# --- group plans: the structure _fill would build, worked out once per (tag sequence, MsgType) -----------------


# A plan is a tuple of steps that together visit every field of the frame once, in wire order (so the values are
# read from one iterator). Each step is a 3-tuple whose first item says what it is:
#   (_FIELDS, tags, None): the next len(tags) fields go into the dict at hand (tags: their tags);
#   (_FLAT_GROUP, (count_tag, first_tag), entries): the count field, then a group of entries that are each one run
#       of fields (entries: one tags tuple per entry);
#   (_NESTED_GROUP, (count_tag, first_tag), entries): the same with entries that are each a plan (nested groups).
_FIELDS, _FLAT_GROUP, _NESTED_GROUP = 0, 1, 2
Plan = tuple[tuple[int, Any, Any], ...]


def _plan_level(
    tags: list[int], i: int, layout: Layout | None, members: frozenset[int] | None, delimiter: Any, counts: list[int]
) -> tuple[Plan, int]:
    """The steps ``_fill(pairs, i, ...)`` takes when every count tag of ``layout`` it meets holds a count
    that is not zero; the index of those count fields is appended to ``counts`` (the caller checks their values
    per frame). Returns (steps, index of the first field not consumed)."""
    n = len(tags)
    start = run = i
    steps: list[tuple[int, Any, Any]] = []
    while i < n:
        tag = tags[i]
        if members is not None and (tag not in members or (tag == delimiter and i != start)):
            break
        group_spec = layout.get(tag) if layout else None
        if group_spec is None:
            i += 1
            continue
        if run < i:
            steps.append((_FIELDS, tuple(tags[run:i]), None))
        counts.append(i)
        group, i = _plan_group(tags, i + 1, tag, group_spec, counts)
        steps.append(group)
        run = i
    if run < i:
        steps.append((_FIELDS, tuple(tags[run:i]), None))
    return tuple(steps), i


def _plan_group(
    tags: list[int], i: int, count_tag: int, group_spec: tuple[int, frozenset[int], Layout], counts: list[int]
) -> tuple[tuple[int, Any, Any], int]:
    """The step of ``_read_group`` for a count that is not zero; (step, index after the group)."""
    first_tag, members, nested = group_spec
    n = len(tags)
    entries: list[Plan] = []
    if i < n and tags[i] in members:
        delimiter = tags[i]
        while i < n and tags[i] == delimiter:
            steps, i = _plan_level(tags, i, nested, members, delimiter, counts)
            entries.append(steps)
    if all(len(entry) == 1 and entry[0][0] == _FIELDS for entry in entries):
        return (_FLAT_GROUP, (count_tag, first_tag), tuple(entry[0][1] for entry in entries)), i
    return (_NESTED_GROUP, (count_tag, first_tag), tuple(entries)), i


def _run_plan(
    steps: Plan, values: Iterator[str], target: Any, fragment_class: Callable[[], Any], group_class: type
) -> None:
    """Fill ``target`` from ``values`` as ``steps`` say (the dicts are plain dicts or subclasses of dict that keep
    its ``__setitem__``, so ``dict.update`` stores what ``target[tag] = value`` would, in the same order).

    ``zip(tags, values)`` takes exactly ``len(tags)`` values: zip stops at its first exhausted argument before
    reading the next one (``strict=`` is not given: the keyword call costs ~110 ns a zip)."""
    for kind, tags_or_group, entries in steps:
        if kind == _FIELDS:
            _dict_update(target, zip(tags_or_group, values))  # noqa: B905 - see the docstring
            continue
        next(values)  # the count field: its value was checked; the group stands in for it
        count_tag, first_tag = tags_or_group
        group = group_class.__new__(group_class)  # type: ignore[call-overload]
        group.number_tag = count_tag
        group.first_tag = first_tag
        group.standard = True
        append = group.append
        if kind == _FLAT_GROUP:
            for tags in entries:
                entry = fragment_class()
                _dict_update(entry, zip(tags, values))  # noqa: B905 - see the docstring
                append(entry)
        else:
            for entry_steps in entries:
                entry = fragment_class()
                _run_plan(entry_steps, values, entry, fragment_class, group_class)
                append(entry)
        target[count_tag] = group


# A message's plan: the indexes of the count fields it reads as groups (their values are checked per frame), and
# its steps; no count fields: the message is flat.
MessagePlan = tuple[tuple[int, ...], Plan]
_FLAT_PLAN: MessagePlan = ((), ())


class _Skeleton(NamedTuple):
    """What one tag sequence always gives: its int tags, the index of its first MsgType(35) (-1: none) and the
    plans made for it, by MsgType value (layouts change only through ``reset_layouts``, which forgets them)."""

    tags: list[int]
    msg_type_index: int
    plans: dict[str, MessagePlan]


_UNSEEN = _Skeleton([], -1, {})  # the cache's answer for a tag sequence it does not hold


def _fills_by_update(cls: Any) -> bool:
    """True when ``dict.update`` on instances of ``cls`` stores what item assignment would (a dict class that
    keeps dict's ``__setitem__``); other classes get their fields one by one through ``target[tag] = value``."""
    return isinstance(cls, type) and issubclass(cls, dict) and cls.__setitem__ is dict.__setitem__


class MessageParser:
    """Builds messages from well-formed frames with one set of layouts, classes and codec (prepared once).

    ``layouts`` maps MsgType(35) str to a group layout; ``fragment_class`` makes group entries, ``group_class``
    the groups; ``codec`` (may be None) is stored on each message with its creation time; ``sep`` is the
    separator byte.
    """

    def __init__(
        self,
        layouts: Mapping[str, Layout] | None,
        fragment_class: Callable[[], Any],
        group_class: type,
        codec: Any = None,
        sep: int = 1,
        default_class: type | None = None,
        fallback: Callable[[Any, type | None], Any] | None = None,
        layouts_source: Callable[[], Mapping[str, Layout] | None] | None = None,
    ) -> None:
        if not isinstance(group_class, type):
            raise TypeError(f"MessageParser: group_class={group_class!r} must be a class")
        self._layouts = layouts
        self._fragment_class = fragment_class
        self._group_class = group_class
        self._codec = codec
        self._sep = sep
        self._default_class = default_class
        self._fallback = fallback
        self._layouts_source = layouts_source
        self._lenient = False
        self._sep_char = _whole_frame_separator(sep)
        self._structure_filter, self._structure_pattern = _structure_check(sep) if self._sep_char else (b"", b"")
        self._skeletons: dict[str, _Skeleton | None] = {}
        self._fragments_by_update = _fills_by_update(fragment_class)
        self._update_class: type | None = None  # the last message class found to fill by dict.update

    def set_lenient(self, lenient: bool) -> None:
        """With True, :meth:`parse_message` gives every frame to the fallback (a codec with a text encoding)."""
        self._lenient = bool(lenient)

    def reset_layouts(self) -> None:
        """Forget the layouts (and the plans made from them): the next frame takes them from ``layouts_source``
        again (when there is one)."""
        if self._layouts_source is not None:
            self._layouts = None
        self._skeletons.clear()

    def parse_message(self, frame: bytes | bytearray | memoryview, message_class: type | None = None) -> Any:
        """``parse(frame, message_class or default_class)``; when that declines the frame (None),
        ``fallback(frame, message_class)``: a codec's whole ``parse_message`` in one call, so that the codec can
        hand this bound method out as its own (no Python frame of its own per message in the compiled twin)."""
        cls = self._default_class if message_class is None else message_class
        if not isinstance(cls, type):
            raise TypeError(f"MessageParser.parse_message: message_class={cls!r} must be a class")
        message = None if self._lenient else self._parse(frame, cls)
        if message is None:
            if self._fallback is None:
                raise ValueError("MessageParser.parse_message: the frame needs the lenient path; no fallback set")
            return self._fallback(frame, message_class)
        return message

    def parse(self, frame: bytes | bytearray | memoryview, message_class: type) -> Any:
        """One well-formed frame as a new ``message_class`` instance (int tags, str values, groups), or None.

        The instance is made without calling ``__init__``; with a codec, its ``_time_ns`` (creation time, ns
        since the epoch) and ``_codec`` are set (``message_class`` may then be a plain dict class only if it
        accepts those attributes). The layout is ``layouts[value of the first MsgType(35)]``; no layout parses
        flat. None means the frame is not in the strict form this path accepts: the caller then uses the
        lenient tokenizer.
        """
        if not isinstance(message_class, type):
            raise TypeError(f"MessageParser.parse: message_class={message_class!r} must be a class")
        return self._parse(frame, message_class)

    def _parse(self, frame: bytes | bytearray | memoryview, message_class: type) -> Any:
        """:meth:`parse` without the class check (the hot path: one Python frame for a message without groups)."""
        data = frame if type(frame) is bytes else bytes(frame)
        sep_char = self._sep_char
        if not data or data[-1] != self._sep or sep_char is None:
            return self._parse_by_field(data, message_class)
        # One "=" in every field: the frame's "=" and separators alone read "=<sep>=<sep>..." (the pattern is
        # that, _MAX_WHOLE_FRAME_FIELDS times). Else a value holds "=", a field has none, or the frame is long.
        if not self._structure_pattern.startswith(data.translate(None, self._structure_filter)):
            return self._parse_by_field(data, message_class)
        # Decoded once: a UTF-8 frame cut at ASCII bytes gives UTF-8 pieces and UTF-8 pieces joined by ASCII
        # bytes make a UTF-8 frame, so this declines exactly the frames where some value would not decode.
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        parts = text.replace("=", sep_char).split(sep_char)  # tag, value, tag, value, ..., ""
        skeleton_key = sep_char.join(parts[::2])
        skeleton = self._skeletons.get(skeleton_key, _UNSEEN)
        if skeleton is _UNSEEN:
            skeleton = self._learn_skeleton(skeleton_key, parts)
        if skeleton is None:
            return None
        tags, msg_type_index, plans = skeleton
        values = parts[1::2]
        message = message_class.__new__(message_class)  # type: ignore[call-overload]
        if self._codec is not None:
            message._time_ns = time_ns()
            message._codec = self._codec
        if message_class is not self._update_class and not self._note_update_class(message_class):
            return self._assemble(tags, values, msg_type_index, message)
        plan = plans.get(values[msg_type_index]) if msg_type_index >= 0 else _FLAT_PLAN
        if plan is None:
            plan = self._learn_plan(skeleton, values[msg_type_index])
        counts, steps = plan
        if not counts:  # no group of the message's layout in this frame
            _dict_update(message, zip(tags, values))  # noqa: B905 - equal lengths; strict= costs ~110 ns a call
            return message
        if not self._fragments_by_update:  # entries of a class that fills field by field
            return self._assemble(tags, values, msg_type_index, message)
        for i in counts:  # the plan holds while every count it read as a group is a count above zero
            count = values[i]
            if not (count.isascii() and count.isdigit()) or not count.strip("0"):
                return self._assemble(tags, values, msg_type_index, message)
        _run_plan(steps, iter(values), message, self._fragment_class, self._group_class)
        return message

    def _note_update_class(self, message_class: type) -> bool:
        """Whether messages of ``message_class`` fill by dict.update (remembered for the next frame when so)."""
        if _fills_by_update(message_class):
            self._update_class = message_class
            return True
        return False

    def _learn_skeleton(self, key: str, parts: list[str]) -> _Skeleton | None:
        """The cache entry of a tag sequence not seen yet (None: its tags need the lenient path)."""
        tags = _checked_tags(parts[0:-1:2])
        skeleton = None
        if tags is not None:
            msg_type_index = tags.index(_MSG_TYPE) if _MSG_TYPE in tags else -1
            skeleton = _Skeleton(tags, msg_type_index, {})
        if len(parts) > 2 * _MAX_CACHED_FIELDS:
            return skeleton
        if len(self._skeletons) >= _MAX_CACHED_SKELETONS:
            self._skeletons.clear()
        self._skeletons[key] = skeleton
        return skeleton

    def _current_layouts(self) -> Mapping[str, Layout] | None:
        """The layouts, taken from ``layouts_source`` when they are None (at the first frame and after a reset)."""
        if self._layouts is None and self._layouts_source is not None:
            self._layouts = self._layouts_source()
        return self._layouts

    def _layout_for(self, msg_type: str | None) -> Layout | None:
        """The group layout of a MsgType(35) value (None: none, or no MsgType, or no layouts)."""
        layouts = self._current_layouts()
        return layouts.get(msg_type) if layouts and msg_type is not None else None

    def _learn_plan(self, skeleton: _Skeleton, msg_type: str) -> MessagePlan:
        """The plan of a tag sequence under the layout of ``msg_type``, kept in the skeleton's cache entry."""
        layout = self._layout_for(msg_type)
        plan = _FLAT_PLAN
        if layout:
            counts: list[int] = []
            steps, _ = _plan_level(skeleton.tags, 0, layout, None, None, counts)
            plan = (tuple(counts), steps)
        if self._layouts is None and self._layouts_source is not None:
            return plan  # the source has no layouts yet: it is asked again at the next frame, as it always was
        if len(skeleton.plans) >= _MAX_PLANS_PER_SKELETON:  # one tag sequence sent with ever-new MsgType values
            skeleton.plans.clear()
        skeleton.plans[msg_type] = plan
        return plan

    def _assemble(self, tags: list[int], values: list[str], msg_type_index: int, message: Any) -> Any:
        """``message`` filled field by field by :func:`assemble` (what the plans stand for)."""
        layout = self._layout_for(values[msg_type_index] if msg_type_index >= 0 else None)
        pairs = list(zip(tags, values, strict=True))
        return assemble(pairs, message, layout, self._fragment_class, self._group_class)

    def _parse_by_field(self, data: bytes, message_class: type) -> Any:
        """The field-by-field path: separators the whole-frame tokenizer does not take, values holding ``=``."""
        return _parse_by_field(
            data, self._sep, self._current_layouts(), message_class, self._fragment_class, self._group_class,
            self._codec,
        )  # fmt: skip


def _parse_by_field(
    data: bytes,
    sep: int,
    layouts: Mapping[str, Layout] | None,
    message_class: type,
    fragment_class: Callable[[], Any],
    group_class: type,
    codec: Any,
) -> Any:
    """:func:`_fast_pairs` then :func:`assemble` into a new ``message_class`` instance (None: the lenient path)."""
    pairs = _fast_pairs(data, sep)
    if pairs is None:
        return None
    layout = None
    if layouts:
        msg_type = next((value for tag, value in pairs if tag == _MSG_TYPE), None)
        if msg_type is not None:
            layout = layouts.get(msg_type)
    message = message_class.__new__(message_class)  # type: ignore[call-overload]
    if codec is not None:
        message._time_ns = time_ns()
        message._codec = codec
    return assemble(pairs, message, layout, fragment_class, group_class)


def parse_message(
    frame: bytes | bytearray | memoryview,
    sep: int,
    layouts: Mapping[str, Layout] | None,
    message_class: type,
    fragment_class: Callable[[], Any],
    group_class: type,
    codec: Any,
) -> Any:
    """One well-formed frame as a new ``message_class`` instance, or None: ``MessageParser(layouts,
    fragment_class, group_class, codec, sep).parse(frame, message_class)`` (prepare a MessageParser to parse
    many).

    It takes the field-by-field path: the whole-frame tokenizer pays off through the cache a prepared parser
    keeps from frame to frame, which a parser made for one frame would fill for nothing.
    """
    if not isinstance(group_class, type):
        raise TypeError(f"MessageParser: group_class={group_class!r} must be a class")
    if not isinstance(message_class, type):
        raise TypeError(f"MessageParser.parse: message_class={message_class!r} must be a class")
    data = frame if type(frame) is bytes else bytes(frame)
    return _parse_by_field(data, sep, layouts, message_class, fragment_class, group_class, codec)
