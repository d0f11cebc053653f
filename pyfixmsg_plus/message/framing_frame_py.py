"""One FIX frame's checks for the pure-Python framer (:mod:`pyfixmsg_plus.message.framing_py`, which re-exports
the public names): reason codes and limits, CheckSum(10), and the walk over BeginString(8), BodyLength(9),
MsgType(35) and the trailer that decides whether bytes at an offset are a valid frame, a garbled one (and why) or
not yet complete. The order of the checks is documented in ``framing_py``.
"""

from __future__ import annotations

from typing import Final

OK: Final = 0
GARBAGE: Final = 1
BAD_BEGINSTRING: Final = 2
BAD_BODYLENGTH_TAG: Final = 3
BAD_BODYLENGTH_VALUE: Final = 4
ABSURD_BODYLENGTH: Final = 5
BAD_MSGTYPE: Final = 6
BAD_LENGTH: Final = 7
BAD_CHECKSUM_FIELD: Final = 8
CHECKSUM_MISMATCH: Final = 9

#: REASON_NAMES[code] is the human-readable name of a reason code.
REASON_NAMES: Final[tuple[str, ...]] = (
    "ok",
    "garbage",
    "bad BeginString(8)",
    "BodyLength(9) tag missing",
    "bad BodyLength(9) value",
    "absurd BodyLength(9)",
    "bad MsgType(35)",
    "BodyLength(9) does not match the frame",
    "bad CheckSum(10) field",
    "checksum mismatch",
)

#: Largest BodyLength(9) accepted by default, in bytes (1 MiB).
DEFAULT_MAX_BODY_LENGTH: Final = 1 << 20
#: Longest BeginString(8) value accepted, in bytes ("FIXT.1.1" is 8): bounds the wait for its separator.
MAX_BEGINSTRING_LENGTH: Final = 32
#: Most digits accepted in BodyLength(9), leading zeros included: bounds the wait for its separator.
MAX_BODYLENGTH_DIGITS: Final = 16
#: Most digits of a MsgSeqNum(34) that is reported (more fit no int64): longer values report -1.
MAX_SEQNUM_DIGITS: Final = 18
#: Bytes of MsgType(35) kept in FrameIndex.msgtypes; FrameIndex.msgtype(i) gives longer ones in full.
MSGTYPE_WIDTH: Final = 8

FRAME_START: Final = b"8=FIX"
_DIGITS: Final = frozenset(b"0123456789")
_NOT_SEPARATORS: Final = frozenset(b"0123456789=")
# The incomplete-frame verdict of _parse_frame (distinct from every reason code).
_INCOMPLETE: Final = -1


def _check_separator(value: int) -> int:
    # A digit or "=" as separator would make tag=value fields ambiguous, so they are refused.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"sep must be a byte value 0..255 other than a digit or '=', got {value!r}")
    if not 0 <= value <= 255 or value in _NOT_SEPARATORS:
        raise ValueError(f"sep must be a byte value 0..255 other than a digit or '=', got {value!r}")
    return value


def _check_max_body_length(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_body_length must be a non-negative int (bytes), got {value!r}")
    return value


def _as_bytes(data: bytes | bytearray | memoryview, name: str = "data") -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"{name} must be bytes, bytearray or memoryview, got {type(data).__name__}")


def checksum(data: bytes | bytearray | memoryview, start: int = 0, end: int = -1) -> int:
    """FIX CheckSum(10): the sum of the bytes of ``data[start:end]`` mod 256 (``end=-1`` means
    ``len(data)``)."""
    view = _as_bytes(data)
    size = len(view)
    stop = size if end == -1 else end
    if not 0 <= start <= size:
        raise ValueError(f"start must be within 0..{size}, got {start!r}")
    if not start <= stop <= size:
        raise ValueError(f"end must be within {start}..{size} or -1, got {end!r}")
    return sum(view[start:stop]) & 0xFF


def format_checksum(value: int) -> bytes:
    """The three-digit CheckSum(10) value of ``value`` mod 256, e.g. ``7 -> b"007"``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"checksum value must be an int, got {type(value).__name__}")
    return b"%03d" % (value & 0xFF)


def _partial_start_length(buf: bytes, lo: int, n: int) -> int:
    """Length of the longest tail of ``buf[lo:n]`` that is a proper prefix of ``8=FIX`` (0..4 bytes)."""
    for k in range(min(len(FRAME_START) - 1, n - lo), 0, -1):
        if buf[n - k:n] == FRAME_START[:k]:
            return k
    return 0


def _literal(buf: bytes, i: int, n: int, literal: bytes) -> int:
    """Compare ``buf[i:]`` with ``literal`` as far as input goes: OK, _INCOMPLETE (a matching prefix) or
    -2."""
    have = buf[i:min(n, i + len(literal))]
    if have != literal[:len(have)]:
        return -2
    return OK if len(have) == len(literal) else _INCOMPLETE


def _parse_body_length(buf: bytes, i: int, n: int, max_body_length: int) -> tuple[int, int, int]:
    """Scan the BodyLength(9) value from ``i``: ``(verdict, value, index of the first non-digit)``.

    The verdict is OK (digits then something else: the caller checks it is the separator), a reason code, or
    _INCOMPLETE when the input ends inside the digits.
    """
    value = 0
    start = i
    while i < n:
        byte = buf[i]
        if byte not in _DIGITS:
            return (OK if i > start else BAD_BODYLENGTH_VALUE), value, i
        value = value * 10 + byte - 48
        i += 1
        if value > max_body_length or i - start > MAX_BODYLENGTH_DIGITS:
            return ABSURD_BODYLENGTH, value, i
    return _INCOMPLETE, value, i


def _seqnum(buf: bytes, sep: int, lo: int, hi: int) -> int:
    """MsgSeqNum(34) of the first ``<sep>34=`` in ``buf[lo:hi]``, or -1 when absent or not plain digits.

    ``buf[hi - 1]`` is a separator (the one ending the body), so the value always ends before ``hi``.
    """
    sep_byte = bytes((sep,))
    at = buf.find(sep_byte + b"34=", lo, hi)
    if at < 0:
        return -1
    start = at + 4
    digits = buf[start:buf.find(sep_byte, start, hi)]
    if not digits or len(digits) > MAX_SEQNUM_DIGITS or not digits.isdigit():  # bytes.isdigit: ASCII only
        return -1
    return int(digits)


_NO_FRAME: Final = (0, b"", -1)


def _parse_frame(
    buf: bytes, p: int, n: int, sep: int, max_body_length: int, final: bool
) -> tuple[int, int, bytes, int]:
    """Check the frame whose ``8=FIX`` is at ``p``: ``(verdict, end, msgtype, seqnum)``.

    ``verdict`` is OK (``end`` is the frame's end), a reason code (the first check that failed) or _INCOMPLETE
    (the bytes so far could still become a valid frame; with ``final`` the reason of the check that could not
    complete is given instead). Only bytes below ``n`` are read.
    """

    def cut(reason: int) -> tuple[int, int, bytes, int]:
        return (reason if final else _INCOMPLETE, *_NO_FRAME)

    # BeginString(8): its separator must come within MAX_BEGINSTRING_LENGTH bytes of the value's start.
    window = p + 3 + MAX_BEGINSTRING_LENGTH
    i = buf.find(bytes((sep,)), p + 5, min(n, window))
    if i < 0:
        return (BAD_BEGINSTRING, *_NO_FRAME) if window <= n else cut(BAD_BEGINSTRING)
    # BodyLength(9) must be the second field.
    found = _literal(buf, i + 1, n, b"9=")
    if found != OK:
        return cut(BAD_BODYLENGTH_TAG) if found == _INCOMPLETE else (BAD_BODYLENGTH_TAG, *_NO_FRAME)
    verdict, length, i = _parse_body_length(buf, i + 3, n, max_body_length)
    if verdict == _INCOMPLETE:
        return cut(BAD_BODYLENGTH_VALUE)
    if verdict != OK:
        return (verdict, *_NO_FRAME)
    if buf[i] != sep:
        return (BAD_BODYLENGTH_VALUE, *_NO_FRAME)
    body = i + 1
    trailer = body + length
    # MsgType(35) must open the body and end inside it.
    found = _literal(buf, body, n, b"35=")
    if found != OK:
        return cut(BAD_MSGTYPE) if found == _INCOMPLETE else (BAD_MSGTYPE, *_NO_FRAME)
    type_end = buf.find(bytes((sep,)), body + 3, min(n, trailer))
    if type_end < 0:
        return (BAD_MSGTYPE, *_NO_FRAME) if n >= trailer else cut(BAD_MSGTYPE)
    if type_end == body + 3:
        return (BAD_MSGTYPE, *_NO_FRAME)
    verdict = _check_trailer(buf, trailer, n, sep)
    if verdict < 0:
        return cut(-verdict)
    if verdict != OK:
        return (verdict, *_NO_FRAME)
    claimed = (buf[trailer + 3] - 48) * 100 + (buf[trailer + 4] - 48) * 10 + buf[trailer + 5] - 48
    if _sum_as_soh(buf, p, trailer, sep) != claimed:
        return (CHECKSUM_MISMATCH, *_NO_FRAME)
    return OK, trailer + 7, buf[body + 3:type_end], _seqnum(buf, sep, type_end, trailer)


def _check_trailer(buf: bytes, trailer: int, n: int, sep: int) -> int:
    """Check ``<sep>10=ddd<sep>`` around ``trailer`` (where BodyLength(9) puts CheckSum(10)), byte by byte in
    order, so a partial trailer already fails on its first wrong byte.

    Returns OK, a reason code, or minus the reason code to give if the input ends there.
    """
    for at, want in zip(range(trailer - 1, trailer + 3), (sep, 0x31, 0x30, 0x3D), strict=True):
        if at >= n:
            return -BAD_LENGTH
        if buf[at] != want:
            return BAD_LENGTH
    for at in range(trailer + 3, trailer + 6):
        if at >= n:
            return -BAD_CHECKSUM_FIELD
        if buf[at] not in _DIGITS:
            return BAD_CHECKSUM_FIELD
    if trailer + 6 >= n:
        return -BAD_CHECKSUM_FIELD
    return OK if buf[trailer + 6] == sep else BAD_CHECKSUM_FIELD


def _sum_as_soh(buf: bytes, start: int, end: int, sep: int) -> int:
    """Sum of ``buf[start:end]`` mod 256 with every ``sep`` byte counted as SOH (0x01)."""
    total = sum(buf[start:end])
    if sep != 1:
        total += buf.count(sep, start, end) * (1 - sep)
    return total & 0xFF
