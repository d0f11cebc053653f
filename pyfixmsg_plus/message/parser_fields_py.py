"""The field-by-field rules of the pure-Python parser (the readable specification ``parser_py`` builds on).

* :func:`parse_pairs` is the strict wire tokenizer used by validation and the session layer.
* :func:`assemble` builds the nested group structure from tokenized pairs (the lenient path uses it).
* :func:`_fast_pairs` states, field by field, which frames the fast path may parse; :class:`parser_py.MessageParser`
  applies the same rules to a whole frame at once.

``parser_py`` re-exports the public names: the compiled twin ``_speedups/parser.pyx`` has them in one module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pyfixmsg_plus.message.parser_plan_py import Layout

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
