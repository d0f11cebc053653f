"""Splitting FIX frames into fields and building messages: the pure-Python twin of ``_speedups/parser.pyx``.

This module is the readable specification; the compiled module has the same functions and gives the same
results.

* :func:`parse_pairs` is the strict wire tokenizer used by validation and the session layer.
* :class:`MessageParser` is the fast path from one well-formed frame to a message object with repeating groups
  (:func:`parse_message` is its one-shot form).
  It returns None whenever the frame needs the lenient (pyfixmsg-compatible) tokenizer instead: a piece
  without
  ``=``, a tag that is not 1-9 digits, a missing final separator, MessageEncoding(347) present, or a value
  that is
  not UTF-8. On every frame it accepts it gives exactly what the lenient path gives.
* :func:`assemble` builds the nested group structure from already tokenized pairs (the lenient path uses it).

A group *layout* is a dict ``count_tag -> (first_tag, member_tags, nested_layout)`` where ``member_tags``
holds
every tag allowed in one entry at that level (nested count tags included); ``layouts`` maps MsgType(35) str to
the
message's top-level layout. :func:`pyfixmsg_plus.message.codec.build_layouts` derives them from a data
dictionary.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import time_ns
from typing import Any

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
    """The frame's fields with int tags and str values, or None when the lenient path must parse it."""
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

    def set_lenient(self, lenient: bool) -> None:
        """With True, :meth:`parse_message` gives every frame to the fallback (a codec with a text encoding)."""
        self._lenient = bool(lenient)

    def reset_layouts(self) -> None:
        """Forget the layouts: the next frame takes them from ``layouts_source`` again (when there is one)."""
        if self._layouts_source is not None:
            self._layouts = None

    def parse_message(self, frame: bytes | bytearray | memoryview, message_class: type | None = None) -> Any:
        """``parse(frame, message_class or default_class)``; when that declines the frame (None),
        ``fallback(frame, message_class)``: a codec's whole ``parse_message`` in one call, so that the codec can
        hand this bound method out as its own (no Python frame of its own per message in the compiled twin)."""
        cls = self._default_class if message_class is None else message_class
        if not isinstance(cls, type):
            raise TypeError(f"MessageParser.parse_message: message_class={cls!r} must be a class")
        message = None if self._lenient else self.parse(frame, cls)
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
        if self._layouts is None and self._layouts_source is not None:
            self._layouts = self._layouts_source()
        pairs = _fast_pairs(frame if type(frame) is bytes else bytes(frame), self._sep)
        if pairs is None:
            return None
        layout = None
        if self._layouts:
            msg_type = next((value for tag, value in pairs if tag == _MSG_TYPE), None)
            if msg_type is not None:
                layout = self._layouts.get(msg_type)
        message = message_class.__new__(message_class)  # type: ignore[call-overload]
        if self._codec is not None:
            message._time_ns = time_ns()
            message._codec = self._codec
        return assemble(pairs, message, layout, self._fragment_class, self._group_class)


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
    many)."""
    return MessageParser(layouts, fragment_class, group_class, codec, sep).parse(frame, message_class)
