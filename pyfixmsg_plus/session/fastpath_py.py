"""The inbound fast path: how many frames of a FrameIndex, from a position on, pass every per-message rule of the
session without building a Python object per frame (pure twin of ``_speedups/fastpath.pyx``; same results).

A frame passes when it is a valid frame of one of the batch MsgTypes(35), its MsgSeqNum(34) is the next expected
one, BeginString(8), SenderCompID(49) and TargetCompID(56) are the session's, it carries no PossDupFlag(43) nor
PossResend(97), its SendingTime(52) is well inside MaxLatency of now (a whole second of margin on each side,
so that only clear cases pass), and, when the session validates against a dictionary, its tag sequence is one
that the validator walked clean before (a *shape*, learnt from the slow path) and each value passes the check the
shape keeps for its position. Anything else stops the run: the session then handles that frame on its slow path,
which applies the same rules one message at a time and alone builds Rejects and Logouts. So the fast path
changes the cost, never the outcome.

Value checks of a shape position, as ``(kind, argument)``: see the ``CHECK_*`` constants.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from pyfixmsg_plus.message.field_formats import FormatCheck, format_check
from pyfixmsg_plus.session.inbound import parse_utc_timestamp

CHECK_NONE = 0  #: any value
CHECK_EQUAL = 1  #: exactly the bytes given (MsgType(35) and NumInGroup counts steer the validator's walk)
CHECK_DIGITS = 2  #: ``\d+`` (LENGTH, NUMINGROUP, SEQNUM, TAGNUM)
CHECK_INT = 3  #: ``-?\d+``
CHECK_FLOAT = 4  #: ``-?(\d+\.?\d*|\.\d+)`` (FLOAT, PRICE, QTY, AMT, PERCENTAGE, PRICEOFFSET)
CHECK_CHAR = 5  #: one byte
CHECK_BOOLEAN = 6  #: ``Y`` or ``N``
CHECK_UTCTIMESTAMP = 7  #: ``YYYYMMDD-HH:MM:SS[.f{1,12}]`` with calendar ranges
CHECK_ENUM = 8  #: one of a frozenset of byte strings
CHECK_CALL = 9  #: a Python callable returning truthy (any other check)

#: most shapes a scanner keeps (a new one replaces the one in its slot)
SHAPE_SLOTS = 1024
#: longest MsgType(35) the fast path passes
MAX_MSGTYPE = 7
#: most MsgTypes one scanner passes
MAX_TYPES = 32
#: most fields of a frame the fast path looks at; longer frames take the slow path
MAX_FIELDS = 512
#: largest tag a frame can carry on the fast path (nine digits, see _tokenize)
MAX_TAG = 999_999_999

_ALL_FIELDS = re.compile(rb"(?:[1-9]\d{0,8}=[^\x01]+\x01)+").fullmatch
_FIELD = re.compile(rb"([1-9]\d{0,8})=([^\x01]+)\x01").findall


def _format(name: str) -> FormatCheck:
    check = format_check(name)
    assert check is not None, name
    return check


#: the kind standing for each format name of message/field_formats.py that has a compiled check; the four
#: unsigned integer types share one (``\d+``); any other format is a CHECK_CALL
FORMAT_KINDS: dict[str, int] = {
    "LENGTH": CHECK_DIGITS,
    "NUMINGROUP": CHECK_DIGITS,
    "SEQNUM": CHECK_DIGITS,
    "TAGNUM": CHECK_DIGITS,
    "INT": CHECK_INT,
    "FLOAT": CHECK_FLOAT,
    "CHAR": CHECK_CHAR,
    "BOOLEAN": CHECK_BOOLEAN,
    "UTCTIMESTAMP": CHECK_UTCTIMESTAMP,
}
# the validator's own format checks, by kind
_FORMAT_CHECKS: dict[int, FormatCheck] = {kind: _format(name) for name, kind in FORMAT_KINDS.items()}
_is_digits, _is_timestamp = _FORMAT_CHECKS[CHECK_DIGITS], _FORMAT_CHECKS[CHECK_UTCTIMESTAMP]

Check = tuple[int, Any]


def timestamp_seconds(value: bytes) -> int | None:
    """Whole seconds since the epoch of a well-formed UTCTimestamp (fraction dropped), None otherwise."""
    if not _is_timestamp(value):
        return None
    # the whole-second prefix alone: adding the fraction as a float could round up to the next second
    seconds = parse_utc_timestamp(value[:17])
    return None if seconds is None else int(seconds)


def _check_kinds(checks: Sequence[Check]) -> None:
    for kind, _ in checks:
        if not CHECK_NONE <= kind <= CHECK_CALL:
            raise ValueError(f"unknown value check kind {kind!r}")


class RunScanner:
    """Finds runs of frames that need nothing but acceptance (see the module docstring).

    ``begin_string`` is the session's BeginString(8); ``their_comp_id`` / ``our_comp_id`` the values expected in
    SenderCompID(49) / TargetCompID(56) (only checked to be present when ``check_comp_ids`` is False);
    ``msg_types`` the MsgType(35) values that may pass; ``max_latency`` seconds, or None when SendingTime(52) is
    not checked; ``validate``: when True, a frame passes only with a learnt shape.
    """

    def __init__(
        self,
        begin_string: bytes,
        their_comp_id: bytes,
        our_comp_id: bytes,
        msg_types: Iterable[bytes],
        *,
        check_comp_ids: bool = True,
        max_latency: float | None = None,
        validate: bool = True,
    ) -> None:
        self.begin_string = bytes(begin_string)
        self.their_comp_id = bytes(their_comp_id)
        self.our_comp_id = bytes(our_comp_id)
        # FrameIndex keeps 8 bytes of MsgType(35): longer types (never seen in practice) take the slow path
        self.msg_types: frozenset[bytes] = frozenset()
        for msg_type in msg_types:
            self.allow(msg_type)
        self.check_comp_ids = check_comp_ids
        self.max_latency = max_latency
        self.validate = validate
        # a shape lives in slot shape_slot(tags) and a newer one in that slot replaces it (as in the compiled
        # twin's table); the dict finds it without hashing by hand
        self._slots: list[tuple[int, ...] | None] = [None] * SHAPE_SLOTS
        self._shapes: dict[tuple[int, ...], _Shape] = {}

    def allow(self, msg_type: bytes) -> bool:
        """Let frames of ``msg_type`` pass too; False (and nothing changes) for a type longer than MAX_MSGTYPE or
        empty, or when MAX_TYPES are allowed already."""
        msg_type = bytes(msg_type)
        if msg_type in self.msg_types:
            return True
        if not 0 < len(msg_type) <= MAX_MSGTYPE or len(self.msg_types) >= MAX_TYPES:
            return False
        self.msg_types = self.msg_types | {msg_type}
        return True

    @property
    def shapes(self) -> int:
        """How many shapes are held now."""
        return sum(slot is not None for slot in self._slots)

    def learn(self, tags: Sequence[int], checks: Sequence[Check]) -> None:
        """Keep the tag sequence of a message the validator walked clean, with one check per position."""
        if len(tags) != len(checks):
            raise ValueError(f"{len(tags)} tags but {len(checks)} checks")
        if not 0 < len(tags) <= MAX_FIELDS:
            return
        _check_kinds(checks)
        key = tuple(int(t) for t in tags)
        slot = shape_slot(key)
        evicted = self._slots[slot]
        if evicted is not None:
            del self._shapes[evicted]
        self._slots[slot] = key
        self._shapes[key] = _Shape(checks)

    def knows(self, pairs: Sequence[tuple[int, bytes]]) -> bool:
        """True when the shape learnt for the tag sequence of ``pairs`` is held and its steering values
        (the ``CHECK_EQUAL`` positions: MsgType(35) and the NumInGroup counts) are those of ``pairs``: learning
        ``pairs`` again would change nothing. Two MsgTypes with the same tag sequence share a slot, so the
        values are compared, not only the tags."""
        key = tuple(int(tag) for tag, _ in pairs)
        # a frame's tags have at most 9 digits (see _tokenize): a shape with a larger tag never matches one
        if not 0 < len(key) <= MAX_FIELDS or not all(0 < tag <= MAX_TAG for tag in key):
            return False
        if self._slots[shape_slot(key)] != key:
            return False
        return self._shapes[key].steers_like([value for _, value in pairs])

    def clear(self) -> None:
        """Forget every shape."""
        self._slots = [None] * SHAPE_SLOTS
        self._shapes.clear()

    def scan(self, index: Any, start: int, expected: int, not_before: int, now: float) -> int:
        """How many frames from span ``start`` on pass, the first numbered ``expected``; frames must begin at
        or after byte ``not_before`` of the buffer; ``now`` is wall time in seconds since the epoch."""
        if index.sep != 1 or start < 0:
            return 0
        count, total = 0, len(index)
        buffer = index.buffer
        while start + count < total:
            i = start + count
            offset, length = int(index.offsets[i]), int(index.lengths[i])
            if int(index.reasons[i]) != 0 or offset < not_before or index.msgtype(i) not in self.msg_types:
                break
            if not self._passes(bytes(buffer[offset : offset + length]), expected + count, now):
                break
            count += 1
        return count

    def passes_frame(self, frame: bytes, msg_type: bytes, seqnum: int, now: float) -> bool:
        """True when ``frame``, the whole of one span the framer verified, with MsgType(35) ``msg_type`` in
        full, passes the checks :meth:`scan` applies to a span numbered ``seqnum``: the one-frame read of a
        session trading one order at a time, checked without the FrameIndex's arrays."""
        return msg_type in self.msg_types and self._passes(bytes(frame), seqnum, now)

    def _passes(self, frame: bytes, seqnum: int, now: float) -> bool:
        fields = _tokenize(frame)
        if fields is None:
            return False
        tags, values = fields
        if not self._header_passes(tags, values, seqnum, now):
            return False
        if not self.validate:
            return True
        shape = self._shapes.get(tags)
        return shape is not None and shape.accepts(values)

    def _header_passes(self, tags: tuple[int, ...], values: list[bytes], seqnum: int, now: float) -> bool:
        first = dict(zip(reversed(tags), reversed(values), strict=True))  # the first occurrence wins
        if tags[0] != 8 or values[0] != self.begin_string or 43 in first or 97 in first:
            return False
        sender, target, number = first.get(49), first.get(56), first.get(34)
        if sender is None or target is None or number is None or not _is_digits(number):
            return False
        if int(number) != seqnum:
            return False
        if self.check_comp_ids and (sender != self.their_comp_id or target != self.our_comp_id):
            return False
        if self.max_latency is None:
            return True
        sent = first.get(52)
        seconds = None if sent is None else timestamp_seconds(sent)
        # strictly inside, a second of margin: the fraction dropped cannot move it across MaxLatency
        return seconds is not None and now - self.max_latency < seconds and seconds + 1 < now + self.max_latency


class _Shape:
    """A learnt shape's checks as functions, only for the positions that have one."""

    __slots__ = ("_checks", "_equal", "_pick")

    def __init__(self, checks: Sequence[Check]) -> None:
        self._equal = tuple((k, bytes(argument)) for k, (kind, argument) in enumerate(checks) if kind == CHECK_EQUAL)
        positions = [k for k, (kind, _) in enumerate(checks) if kind != CHECK_NONE]
        self._checks = tuple(_check_function(*checks[k]) for k in positions)
        self._pick: Callable[[Sequence[bytes]], tuple[bytes, ...]] = (
            (lambda values: ()) if not positions
            else (lambda values: (values[positions[0]],)) if len(positions) == 1
            else operator.itemgetter(*positions)
        )  # fmt: skip

    def accepts(self, values: Sequence[bytes]) -> bool:
        return all(map(operator.call, self._checks, self._pick(values)))

    def steers_like(self, values: Sequence[bytes]) -> bool:
        """True when ``values`` hold this shape's CHECK_EQUAL values at their positions."""
        return all(bytes(values[k]) == expected for k, expected in self._equal)


def _check_function(kind: int, argument: Any) -> Callable[[bytes], object]:
    """One value check as a function returning truthy when the value passes."""
    if kind == CHECK_EQUAL:
        return partial(operator.eq, bytes(argument))
    if kind in _FORMAT_CHECKS:
        return _FORMAT_CHECKS[kind]
    if kind == CHECK_ENUM:
        return frozenset(argument).__contains__
    return argument


def _tokenize(frame: bytes) -> tuple[tuple[int, ...], list[bytes]] | None:
    """Tags and values of a SOH-separated frame; None when a tag is not a plain number (no sign, no leading
    zero, at most 9 digits), a value is empty, or there are more than MAX_FIELDS fields."""
    if _ALL_FIELDS(frame) is None:
        return None
    found = _FIELD(frame)
    if len(found) > MAX_FIELDS:
        return None
    tags, values = zip(*found, strict=True)
    return tuple(map(int, tags)), list(values)


def shape_slot(tags: Sequence[int]) -> int:
    """The slot of a tag sequence: FNV-1a over the tags (the compiled twin computes the same)."""
    h = 0xCBF29CE484222325
    for tag in tags:
        h = ((h ^ (tag & 0xFFFFFFFF)) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h % SHAPE_SLOTS


# the one-order lane lives in its own module (one concern a file); the compiled fastpath module holds both
from pyfixmsg_plus.session.lane_py import SessionLane as SessionLane  # noqa: E402
