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

import re
from collections.abc import Callable, Mapping, Sequence
from time import time_ns
from types import FunctionType, MappingProxyType, MethodType
from typing import Any

from pyfixmsg_plus.message.parser_fields_py import (
    _MAX_FAST_TAG_DIGITS,
    _MESSAGE_ENCODING,
    _fast_pairs,
    assemble,
)
from pyfixmsg_plus.message.parser_fields_py import compile_layouts as compile_layouts  # the twin's public names
from pyfixmsg_plus.message.parser_fields_py import parse_pairs as parse_pairs
from pyfixmsg_plus.message.parser_plan_py import (
    DECLINED_SHAPE,
    Builder,
    Layout,
    MessageBuilder,
    PatternEntry,
    Shape,
    make_plan,
    shape_pattern,
)

_MSG_TYPE = 35


# --- the whole-frame tokenizer ---------------------------------------------------------------------------------
# Python work per field (partition, isdigit, int, decode, a dict store, the group walk: ~25 fields a message) was
# most of a message's time. Instead a frame takes a few C-level passes: one ``replace`` that puts a separator after
# every "=", one UTF-8 decode, one ``split``. That yields "tag=", value, "tag=", value, ..., "" (a cut follows
# every "=", so a piece holds at most one "=", at its end). The tag pieces joined are the frame's *shape*, looked
# up in a per-parser cache holding the int tags (checked once) and, per MsgType, the builder of its plan (the
# group structure), which fills the message straight from the pieces and after a few frames runs as a generated
# function (see parser_plan_py). Traffic repeats few shapes (one per MsgType, optional-field set and entry count).
# Only classes that keep dict's __setitem__ are filled this way: others get each field through it (_assemble).
#
# Why a cached shape plus two lengths proves the frame strict (no translate pass over the frame): the cache holds
# shapes "t1=...tn=" learnt from strict frames. A frame whose tag pieces join to it, that splits into 2n+1 pieces
# and whose replace grew it by n characters (so it holds n "=") has its n "=" in its tag pieces: they hold n of
# them, at most one each, and the last piece, after the last cut, never ends with "=". So the value pieces hold no
# "=", each ends at a separator of the frame, the last piece is "" and the frame reads t1=v1<sep>...tn=vn<sep>.
#
# Once a shape's builder runs compiled, the one-frame parse_message reads its frames by the shape's pattern
# instead of cutting them (see the shapes section of parser_plan_py: why, and why the results stay the same).

_MAX_CACHED_SHAPES = 1024  # a parser fed ever-new tag sequences forgets them all and starts over
_MAX_CACHED_FIELDS = 512  # longer tag sequences are not kept (bounds the cache's memory: keys hold the tags)
_MAX_PLANS_PER_SHAPE = 64  # plans are kept by MsgType value (any str may arrive there)
# Compiling a plan costs ~0.3 ms for 30 fields, ~3 ms for 500 (vs ~5 us a frame): only shapes up to this many
# fields are compiled, and at most _MAX_COMPILES between two reset_layouts calls (a cache emptied because ever-new
# shapes filled it gets no new budget), so that a peer sending ever-new shapes cannot make the parser compile
# without end: past the budget, plans run as MessageBuilder (same results, interpreted).
_MAX_COMPILED_FIELDS = 128
_MAX_COMPILES = 256
# Patterns of compiled shapes, kept by the shape's field count: this many a count at most (a frame of a count
# tries them in turn before the cut; shapes past this take the cut, with the same results).
_MAX_PATTERNS_PER_COUNT = 4
_MAX_LENGTH_HINTS = 4096  # frame length -> the pattern that matched there last (emptied when full)
_MAX_PLANNED_MSG_TYPES = 4096  # MsgType values whose plans' layouts are remembered (all caches emptied when full)
_UNPLANNED = object()  # no plans made for a MsgType value (no layout is this)
_NO_LAYOUTS: Mapping[str, Layout] = MappingProxyType({})  # what the one-frame parse_message reads for None
# learnt from frames (and the one-frame function, a closure over the instance): a copy or a pickle starts without
_NOT_COPIED = (
    "parse_message", "_shapes", "_patterns", "_length_hints", "_planned", "_compile_budget", "_update_class",
    "_lenient_box", "_layouts_box",
)  # fmt: skip


def _whole_frame_separator(sep: int) -> str | None:
    """The separator as a 1-char str when the whole-frame tokenizer applies to it, else None.

    It needs an ASCII separator that is neither ``=`` nor a digit (a digit would be read as part of a tag: the
    field-by-field path keeps the rules for that case).
    """
    if not 0 <= sep < 128 or sep == 61 or 48 <= sep <= 57:
        return None
    return chr(sep)


def _checked_tags(tag_pieces: list[str]) -> list[int] | None:
    """The tags of pieces ``"<tag>="`` as int when each tag is 1-9 ASCII digits and none is MessageEncoding(347),
    else None."""
    tags = []
    for piece in tag_pieces:
        text = piece[:-1]
        if not (text.isascii() and text.isdigit()) or len(text) > _MAX_FAST_TAG_DIGITS:
            return None
        tag = int(text)
        if tag == _MESSAGE_ENCODING:
            return None
        tags.append(tag)
    return tags


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
        self._eq_sep = b"=" + bytes((sep,)) if self._sep_char else b""
        self._fragments_by_update = _fills_by_update(fragment_class)
        self._start_caches()
        self._install_one_frame_path()

    def _start_caches(self) -> None:
        """Empty caches (what the parser learns from frames: never part of a copy or a pickle) and the boxes
        the one-frame parse_message reads."""
        self._shapes: dict[str, Shape] = {}
        self._patterns: dict[int, list[PatternEntry]] = {}  # field count -> the (fullmatch, shape) of that many
        self._length_hints: dict[int, PatternEntry] = {}  # frame length in bytes -> the entry that matched last
        # MsgType(35) value -> the layout the cached plans for it were made with (see _plans_hold)
        self._planned: dict[str, Layout | None] = {}
        self._compile_budget = [_MAX_COMPILES]  # shared by the builders of this cache generation
        self._update_class: type | None = None  # the last message class found to fill by dict.update
        # what the one-frame parse_message reads of the parser: list items, not attributes (cheaper to read)
        self._lenient_box = [self._lenient]
        self._layouts_box = [_NO_LAYOUTS if self._layouts is None else self._layouts]

    def _install_one_frame_path(self) -> None:
        """Shadow :meth:`parse_message` on this instance with its one-frame form (a codec hands it out as its
        own, as the compiled twin's method), unless a subclass overrides the steps it stands for."""
        cls = type(self)
        if cls.parse_message is MessageParser.parse_message and cls._parse is MessageParser._parse:
            self.__dict__["parse_message"] = _one_frame_parse_message(self)

    def __getstate__(self) -> dict[str, Any]:
        # The one-frame function is a closure over this instance: a copy makes its own. The caches are left
        # out (as the compiled twin does): a copy or an unpickled parser learns again (the generated builders
        # in them could not be pickled), and its boxes are its own (set_lenient on one must not reach the other).
        state = dict(self.__dict__)
        for name in _NOT_COPIED:
            state.pop(name, None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._start_caches()
        self._install_one_frame_path()

    def set_lenient(self, lenient: bool) -> None:
        """With True, :meth:`parse_message` gives every frame to the fallback (a codec with a text encoding)."""
        self._lenient = bool(lenient)
        self._lenient_box[0] = self._lenient  # what the one-frame parse_message reads

    def reset_layouts(self) -> None:
        """Forget the layouts (and the plans made from them): the next frame takes them from ``layouts_source``
        again (when there is one)."""
        if self._layouts_source is not None:
            self._set_layouts(None)
        self._forget_shapes(new_budget=True)

    def _set_layouts(self, layouts: Mapping[str, Layout] | None) -> None:
        """Hold ``layouts`` (None: none yet, asked of ``layouts_source`` at the next frame)."""
        self._layouts = layouts
        self._layouts_box[0] = _NO_LAYOUTS if layouts is None else layouts  # what the one-frame path reads

    def parse_message(self, frame: bytes | bytearray | memoryview, message_class: type | None = None) -> Any:
        """``parse(frame, message_class or default_class)``; when that declines the frame (None),
        ``fallback(frame, message_class)``: a codec's whole ``parse_message`` in one call, so that the codec can
        hand this bound method out as its own (no Python frame of its own per message in the compiled twin).

        Each instance shadows this method with the one-frame form made by :func:`_one_frame_parse_message`
        (same arguments and results), which calls this one for every frame it does not finish itself."""
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
        """:meth:`parse` without the class check (the hot path: this frame and the builder's, per message)."""
        data = frame if type(frame) is bytes else bytes(frame)
        if not self._sep_char:
            return self._parse_by_field(data, message_class)
        cut = data.replace(b"=", self._eq_sep)  # cheaper on bytes than on str
        # Decoded once: a UTF-8 frame cut at ASCII bytes gives UTF-8 pieces and UTF-8 pieces joined by ASCII
        # bytes make a UTF-8 frame, so this declines exactly the frames where some value would not decode (the
        # inserted separators are ASCII bytes after ASCII "=": they neither mend nor break a UTF-8 sequence).
        try:
            pieces = cut.decode().split(self._sep_char)  # "tag=", value, ..., "" (see the block comment above)
        except UnicodeDecodeError:
            return None
        shape = self._shapes.get("".join(pieces[::2]))
        if shape is None or len(pieces) != shape.pieces or len(cut) - len(data) != shape.fields:
            shape = self._learn_shape(pieces, len(cut) - len(data))
            if shape is None:
                return self._parse_by_field(data, message_class)
        message = message_class.__new__(message_class)  # type: ignore[call-overload]
        if self._codec is not None:
            message._time_ns = time_ns()
            message._codec = self._codec
        values = pieces[1::2]
        if message_class is not self._update_class and not self._note_update_class(message_class):
            return self._assemble(shape, values, message)
        plan_text = pieces[shape.plan_piece]
        build = shape.builders.get(plan_text)
        if build is None or (shape.msg_type_index >= 0 and not self._plans_hold(plan_text)):
            build = self._learn_builder(shape, plan_text)
        if build(values, message):
            return message
        # a count the plan reads as a group is not one above zero, or group entries that fill field by field
        return self._assemble(shape, values, message)

    def _note_update_class(self, message_class: type) -> bool:
        """Whether messages of ``message_class`` fill by dict.update (remembered for the next frame when so)."""
        if _fills_by_update(message_class):
            self._update_class = message_class
            return True
        return False

    def _learn_shape(self, pieces: list[str], equals: int) -> Shape | None:
        """The cache entry for the shape of a frame cut into ``pieces`` and holding ``equals`` "=", or None when
        the frame is not strict (or its tags need the lenient path): the field-by-field path then decides."""
        fields = len(pieces) // 2
        if not fields or equals != fields or not len(pieces) % 2 or pieces[-1]:
            return None  # an empty frame, or not one "=" a field, or no separator at the end
        tag_pieces = pieces[0:-1:2]
        if not all(piece[-1:] == "=" for piece in tag_pieces):
            return None  # a field without "=", and another holding two
        key = "".join(tag_pieces)
        cached = self._shapes.get(key)
        if cached is not None:  # a strict frame of a known shape fails no check in _parse: this shape is refused
            return None
        tags = _checked_tags(tag_pieces)
        shape = DECLINED_SHAPE
        if tags is not None:
            msg_type_index = tags.index(_MSG_TYPE) if _MSG_TYPE in tags else -1
            plan_piece = 2 * msg_type_index + 1 if msg_type_index >= 0 else 0
            shape = Shape(tags, tag_pieces, msg_type_index, plan_piece)
        if fields <= _MAX_CACHED_FIELDS:
            if len(self._shapes) >= _MAX_CACHED_SHAPES:
                self._forget_shapes()
            self._shapes[key] = shape
        return None if shape is DECLINED_SHAPE else shape

    def _forget_shapes(self, new_budget: bool = False) -> None:
        """Empty the shape cache (the compiled builders go with it); with ``new_budget`` (reset_layouts), start a
        new compile budget too."""
        self._shapes.clear()  # in place: the one-frame parse_message holds this dict's get
        self._patterns.clear()  # (and these three: their entries name shapes, or the plans the shapes hold)
        self._length_hints.clear()
        self._planned.clear()
        if new_budget:
            self._compile_budget = [_MAX_COMPILES]

    def _add_pattern(self, shape: Shape) -> None:
        """Register the pattern of a shape whose builder now runs compiled (once a shape; at most
        ``_MAX_PATTERNS_PER_COUNT`` a field count), for the one-frame parse_message."""
        shape.pattern_made = True
        if self._sep_char is None:
            return
        entries = self._patterns.setdefault(shape.fields, [])
        if len(entries) < _MAX_PATTERNS_PER_COUNT:
            entries.append((shape_pattern(shape.tag_pieces, self._sep_char).fullmatch, shape))

    def _match_pattern(self, frame: bytes, text: str | None = None) -> tuple[re.Match[str] | None, Shape | None]:
        """The match of ``frame`` by a registered pattern of its separator count and that pattern's shape, or
        (None, None); a match becomes the hint for frames of its length (see parser_plan_py's shapes section).
        ``text`` is the frame decoded, when the caller has it already (else decoded here when needed)."""
        entries = self._patterns.get(frame.count(self._sep_char.encode())) if self._sep_char else None
        if entries is None:
            return None, None
        if text is None:
            try:
                text = frame.decode()
            except UnicodeDecodeError:
                return None, None
        for entry in entries:
            found = entry[0](text)
            if found is not None:
                if len(self._length_hints) >= _MAX_LENGTH_HINTS:
                    self._length_hints.clear()
                self._length_hints[len(frame)] = entry
                return found, entry[1]
        return None, None

    def _current_layouts(self) -> Mapping[str, Layout] | None:
        """The layouts, taken from ``layouts_source`` when they are None (at the first frame and after a reset)."""
        if self._layouts is None and self._layouts_source is not None:
            self._set_layouts(self._layouts_source())
        return self._layouts

    def _plans_hold(self, msg_type: str) -> bool:
        """Whether the cached plans for a MsgType(35) value were made with the layout the layouts hold for it
        now: a layouts dict changed in place (an entry added, replaced or deleted) is followed without
        ``reset_layouts``, as the compiled twin follows it (the identity of the entry is compared, so a layout
        changed inside, not replaced, is not seen, by either twin)."""
        layouts = self._layouts
        return (layouts.get(msg_type) if layouts else None) is self._planned.get(msg_type, _UNPLANNED)

    def _layout_for(self, msg_type: str | None) -> Layout | None:
        """The group layout of a MsgType(35) value (None: none, or no MsgType, or no layouts)."""
        layouts = self._current_layouts()
        return layouts.get(msg_type) if layouts and msg_type is not None else None

    def _learn_builder(self, shape: Shape, plan_text: str) -> Builder:
        """The builder of a tag sequence's plan under the layout of its MsgType (``plan_text`` is the MsgType
        value, or the first tag piece when there is none), kept in the shape's cache entry."""
        msg_type = plan_text if shape.msg_type_index >= 0 else None
        layout = self._layout_for(msg_type)
        if msg_type is not None and self._planned.get(msg_type, layout) is not layout:
            # the layouts dict changed in place since plans were made for this MsgType: as reset_layouts (the
            # shape in hand leaves the cache with the others; this frame's plan is made under the new layout)
            self._forget_shapes(new_budget=True)
        plan = make_plan(shape.tags, layout)
        builders = shape.builders
        budget = self._compile_budget if len(shape.tags) <= _MAX_COMPILED_FIELDS else None
        builder = MessageBuilder(
            plan, self._fragment_class, self._group_class, self._fragments_by_update, builders, plan_text, budget
        )
        if self._layouts is None and self._layouts_source is not None:
            return builder  # the source has no layouts yet: it is asked again at the next frame, as it always was
        if msg_type is not None:
            if len(self._planned) >= _MAX_PLANNED_MSG_TYPES:  # ever-new MsgType values: start over
                self._forget_shapes()
            self._planned[msg_type] = layout
        if len(builders) >= _MAX_PLANS_PER_SHAPE:  # one tag sequence sent with ever-new MsgType values
            builders.clear()
        builders[plan_text] = builder
        return builder

    def _assemble(self, shape: Shape, values: Sequence[str], message: Any) -> Any:
        """``message`` filled field by field by :func:`assemble` (what the plans stand for)."""
        msg_type_index = shape.msg_type_index
        layout = self._layout_for(values[msg_type_index] if msg_type_index >= 0 else None)
        pairs = list(zip(shape.tags, values, strict=True))
        return assemble(pairs, message, layout, self._fragment_class, self._group_class)

    def _parse_by_field(self, data: bytes, message_class: type) -> Any:
        """The field-by-field path: separators the whole-frame tokenizer does not take, frames it finds not
        strict (values holding ``=``, pieces without one, a missing final separator, refused tags)."""
        return _parse_by_field(
            data, self._sep, self._current_layouts(), message_class, self._fragment_class, self._group_class,
            self._codec,
        )  # fmt: skip


def _one_frame_parse_message(parser: MessageParser) -> Callable[..., Any]:
    """``parser.parse_message`` as one function that parses a frame of a shape and MsgType it has built before
    in a single Python frame, and calls :meth:`MessageParser.parse_message` for everything else.

    Why: the steps of :meth:`MessageParser._parse` spread over three frames and their attribute reads cost
    ~0.15 us of the ~3.75 us a message (generate(20000, seed=44), best of 21). The finished case is taken only
    when the message class is the default one and fills by dict.update, the separator suits the whole-frame
    tokenizer and the parser is not lenient. Lenience is read at every frame from a list that
    :meth:`MessageParser.set_lenient` updates (an attribute read on the parser, whose ``__dict__`` holds this
    function, cost ~0.05 us); the shape cache is read through the parser's dict, which a reset empties in
    place, so ``reset_layouts`` is seen too, and a builder is taken only while the layouts hold the layout its
    plan was made with (one look-up a frame: a layouts dict changed in place is followed). Frames of other
    classes, ``bytearray``/``memoryview`` frames, new shapes and everything declined take the method. A frame
    of a shape whose builder runs compiled is read by the shape's pattern rather than cut (see parser_plan_py's
    shapes section): first the pattern that matched the last frame of its length, then those of its separator
    count, then the cut.
    """
    general = MethodType(MessageParser.parse_message, parser)
    cls = parser._default_class
    sep_char = parser._sep_char
    if sep_char is None or not isinstance(cls, type) or not _fills_by_update(cls):
        return general
    eq_sep = parser._eq_sep
    shapes_get = parser._shapes.get
    hints_get = parser._length_hints.get
    match_pattern = parser._match_pattern
    lenient = parser._lenient_box
    layouts_box = parser._layouts_box
    planned = parser._planned
    unplanned = _UNPLANNED
    codec = parser._codec
    new: Callable[[type], Any] = cls.__new__  # type: ignore[assignment]
    join = "".join
    clock = time_ns

    def parse_message(frame: bytes | bytearray | memoryview, message_class: type | None = None) -> Any:
        """See :meth:`MessageParser.parse_message` (this is its one-frame form)."""
        if (message_class is None or message_class is cls) and type(frame) is bytes and not lenient[0]:
            shape: Shape | None = None
            build = found = text = None
            hint = hints_get(len(frame))
            if hint is not None:  # a compiled shape's pattern matched a frame this long (parser_plan_py: shapes)
                try:
                    text = frame.decode()
                except UnicodeDecodeError:
                    return general(frame, message_class)
                found = hint[0](text)
                shape = hint[1]
            if found is None:
                found, shape = match_pattern(frame, text)
            if found is not None and shape is not None:
                values: Sequence[str] = found.groups()
                index = shape.msg_type_index
                if index < 0:
                    build = shape.builders.get(shape.tag_pieces[0])
                else:
                    msg_type = values[index]
                    build = shape.builders.get(msg_type)
                    try:  # the layouts may have changed in place since its plans were made (MessageParser._plans_hold)
                        if layouts_box[0].get(msg_type) is not planned[msg_type]:
                            build = None
                    except KeyError:  # no plans made for msg_type (then no builder either)
                        build = None
            if build is None or shape is None:  # the steps and the proof of MessageParser._parse, in order
                cut = frame.replace(b"=", eq_sep)
                try:
                    pieces = cut.decode().split(sep_char)
                except UnicodeDecodeError:
                    return general(frame, message_class)
                shape = shapes_get(join(pieces[::2]))
                if shape is None or len(pieces) != shape.pieces or len(cut) - len(frame) != shape.fields:
                    return general(frame, message_class)
                plan_text = pieces[shape.plan_piece]
                build = shape.builders.get(plan_text)
                if build is None:
                    return general(frame, message_class)
                if shape.msg_type_index >= 0 and layouts_box[0].get(plan_text) is not planned.get(plan_text, unplanned):
                    return general(frame, message_class)  # a layouts entry changed in place: relearnt there
                values = pieces[1::2]
                if not shape.pattern_made and type(build) is FunctionType:
                    parser._add_pattern(shape)  # its frames take the pattern from now on
            message = new(cls)
            if codec is not None:
                message._time_ns = clock()
                message._codec = codec
            if build(values, message):
                return message
            return parser._assemble(shape, values, message)
        return general(frame, message_class)

    return parse_message


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
