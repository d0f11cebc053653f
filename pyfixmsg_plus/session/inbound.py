"""A received frame, tokenized once, with the header values the session rules look at."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from typing import Any

from pyfixmsg_plus import _impl

Pairs = list[tuple[int, bytes]]

# header tags of FIX 4.x / FIXT.1.1 (pyfixmsg's HEADER_SORT_MAP plus NoHops): fields the session places in the
# header of the messages it builds, and that an echo or resend keeps there
HEADER_TAGS = frozenset(
    {
        8,
        9,
        35,
        1156,
        49,
        56,
        115,
        128,
        90,
        91,
        34,
        50,
        142,
        57,
        143,
        116,
        144,
        129,
        145,
        43,
        97,
        52,
        122,
        212,
        213,
        347,
        369,
        370,
        1128,
        1129,
        627,
        628,
        629,
        630,
    }
)
TRAILER_TAGS = frozenset({93, 89, 10})
#: most significant digits of an integer field read by the session (MsgSeqNum(34), BeginSeqNo(7), NewSeqNo(36),
#: HeartBtInt(108), ...): 18 digits always fit a signed 64-bit int
MAX_INT_DIGITS = 18
#: most fraction digits of a UTCTimestamp (FIX 5.0 allows picoseconds)
MAX_FRACTION_DIGITS = 12


def parse_pairs(frame: bytes) -> Pairs:
    """The frame's (tag, value) pairs in wire order, through the live parser implementation."""
    pairs: Pairs = _impl.load("parser").parse_pairs(frame)
    return pairs


@dataclass(slots=True)
class Inbound:
    """One received frame: its pairs and the first value of each tag."""

    frame: bytes
    pairs: Pairs
    first: dict[int, bytes] = field(default_factory=dict)
    #: set on a Logon or ResendRequest that arrived early and was acted on at once: when its turn comes in the
    #: queue, only the expected number advances
    already_processed: bool = False
    #: the FrameIndex the frame was read from and its span position there (None/-1 for a lone frame), so a
    #: batch of accepted frames can be handed over as positions in the read's buffer
    source: Any = None
    position: int = -1

    @classmethod
    def from_frame(cls, frame: bytes, source: Any = None, position: int = -1) -> Inbound:
        """Tokenize ``frame``; later duplicates of a tag do not replace the first value."""
        pairs = parse_pairs(frame)
        first: dict[int, bytes] = {}
        for tag, value in pairs:
            first.setdefault(tag, value)
        return cls(frame, pairs, first, source=source, position=position)

    def text(self, tag: int) -> str | None:
        """The first value of ``tag`` as text, or None when absent."""
        value = self.first.get(tag)
        return None if value is None else value.decode("latin-1")

    def integer(self, tag: int) -> int | None:
        """The first value of ``tag`` as an int, or None when absent, not an integer, or past any FIX int
        (more than MAX_INT_DIGITS significant digits: QuickFIX's int conversion fails there too, and Python's
        refuses strings of over 4300 digits with a ValueError that must not escape the session)."""
        value = self.first.get(tag)
        return None if value is None else read_int(value)

    def flag(self, tag: int) -> bool:
        """True when ``tag`` is present with the Boolean value Y."""
        return self.first.get(tag) == b"Y"

    @property
    def msg_type(self) -> str:
        """MsgType (35)."""
        return self.text(35) or ""

    @property
    def begin_string(self) -> str:
        """BeginString (8)."""
        return self.text(8) or ""

    @property
    def seqnum(self) -> int | None:
        """MsgSeqNum (34), None when absent or not a number."""
        return self.integer(34)

    @property
    def poss_dup(self) -> bool:
        """PossDupFlag (43) = Y."""
        return self.flag(43)

    def timestamp(self, tag: int) -> float | None:
        """A UTCTimestamp field (52, 122) in seconds since the epoch, None when absent or malformed."""
        value = self.first.get(tag)
        return None if value is None else parse_utc_timestamp(value)


def read_int(value: bytes) -> int | None:
    """``value`` (a received field's bytes) as an int when it is ASCII digits with at most MAX_INT_DIGITS
    significant ones, else None."""
    if not value.isdigit():
        return None
    if len(value) > MAX_INT_DIGITS:
        value = value.lstrip(b"0") or b"0"
        if len(value) > MAX_INT_DIGITS:
            return None
    return int(value)


def parse_utc_timestamp(value: bytes) -> float | None:
    """``YYYYMMDD-HH:MM:SS[.fff...]`` (UTCTimestamp) as seconds since the epoch; None when malformed."""
    if len(value) < 17 or value[8:9] != b"-" or value[11:12] != b":" or value[14:15] != b":":
        return None
    digits = (value[0:8], value[9:11], value[12:14], value[15:17])
    if not all(part.isdigit() for part in digits):
        return None
    fraction = 0.0
    if len(value) > 17:
        if value[17:18] != b"." or not value[18:].isdigit() or len(value) - 18 > MAX_FRACTION_DIGITS:
            return None
        fraction = int(value[18:]) / 10 ** (len(value) - 18)
    date = digits[0]
    year, month, day = int(date[0:4]), int(date[4:6]), int(date[6:8])
    hour, minute, second = int(digits[1]), int(digits[2]), int(digits[3])
    # year 0000 is no date (the calendar starts at year 1): malformed, not an error to raise
    if not (year >= 1 and 1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0)) + fraction
