"""Pure-Python framing: split a received byte stream into FIX frames (the readable reference twin).

A FIX frame on the wire is ``8=<BeginString>|9=<BodyLength>|35=<MsgType>|...|10=<CheckSum>|`` where ``|`` is
SOH (0x01). :func:`split_frames` walks a buffer and reports one span per run of consumed bytes: a valid frame, a
garbled frame (with the reason of the first check that failed) or GARBAGE (bytes that cannot start a frame,
skipped while resynchronising on the next ``8=FIX``). The compiled twin ``pyfixmsg_plus._speedups.framing`` gives
identical results; this module is its specification.

Checks, in order (FIX Transport: Standard Header tags 8, 9, 35 first; Standard Trailer tag 10 last):

1. ``8=`` and a value starting ``FIX`` (BeginString, tag 8), ended by the separator within
   :data:`MAX_BEGINSTRING_LENGTH` bytes, else BAD_BEGINSTRING.
2. ``9=`` next (BodyLength, tag 9), else BAD_BODYLENGTH_TAG; its value digits only and non-empty, else
   BAD_BODYLENGTH_VALUE; at most ``max_body_length`` and :data:`MAX_BODYLENGTH_DIGITS` digits, else
   ABSURD_BODYLENGTH.
3. ``35=`` first in the body (MsgType, tag 35) with a non-empty value ended inside the body, else BAD_MSGTYPE.
4. The body ends with the separator and ``10=`` starts exactly BodyLength bytes after the body's start, else
   BAD_LENGTH.
5. ``10=`` holds exactly three digits then the separator, else BAD_CHECKSUM_FIELD.
6. The three digits equal the sum of every byte before ``10=``, mod 256, each separator counted as SOH (so
   logs printed with ``|`` verify), else CHECKSUM_MISMATCH.
"""

from __future__ import annotations

import functools
import re
from typing import Final, cast

import numpy as np
import numpy.typing as npt

from pyfixmsg_plus.message.framing_frame_py import (
    _INCOMPLETE,
    ABSURD_BODYLENGTH,
    BAD_BEGINSTRING,
    BAD_BODYLENGTH_TAG,
    BAD_BODYLENGTH_VALUE,
    BAD_CHECKSUM_FIELD,
    BAD_LENGTH,
    BAD_MSGTYPE,
    CHECKSUM_MISMATCH,
    DEFAULT_MAX_BODY_LENGTH,
    FRAME_START,
    GARBAGE,
    MAX_BEGINSTRING_LENGTH,
    MAX_BODYLENGTH_DIGITS,
    MAX_SEQNUM_DIGITS,
    MSGTYPE_WIDTH,
    OK,
    REASON_NAMES,
    _as_bytes,
    _check_max_body_length,
    _check_separator,
    _check_trailer,
    _parse_frame,
    _partial_start_length,
    _seqnum,
    _sum_as_soh,
    checksum,
    format_checksum,
)


class FrameIndex:
    """The result of one split: one entry per span of consumed input (valid frame, garbled frame or garbage).

    ``offsets``/``lengths`` are byte positions in ``buffer``; ``buffer[consumed:]`` is the incomplete
    remainder. ``valid`` (``reasons == OK``) is computed when not given. Each index owns its arrays: it stays
    valid after the next split (sessions and applications keep indexes, e.g. in BatchReceived).
    """

    __slots__ = ("buffer", "consumed", "count", "lengths", "msgtypes", "offsets", "reasons", "sep", "seqnums",
                 "valid")

    def __init__(
        self,
        buffer: bytes,
        consumed: int,
        offsets: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int64],
        seqnums: npt.NDArray[np.int64],
        msgtypes: npt.NDArray[np.bytes_],
        reasons: npt.NDArray[np.uint8],
        sep: int = 1,
        valid: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        self.buffer = buffer
        self.consumed = consumed
        self.count = len(offsets)
        self.offsets = offsets
        self.lengths = lengths
        self.seqnums = seqnums
        self.msgtypes = msgtypes
        self.reasons = reasons
        # ``valid`` is ``reasons == OK``; a splitter that already knows it passes it (the ufunc costs 0.5 us)
        self.valid = reasons == OK if valid is None else valid
        self.sep = sep

    def __len__(self) -> int:
        return self.count

    def __repr__(self) -> str:
        return (f"FrameIndex(count={self.count}, valid={int(self.valid.sum())}, consumed={self.consumed}, "
                f"pending={len(self.buffer) - self.consumed})")

    def frame(self, i: int) -> bytes:
        """The bytes of span ``i``: ``buffer[offsets[i]:offsets[i]+lengths[i]]``."""
        start = int(self.offsets[i])
        return self.buffer[start:start + int(self.lengths[i])]

    def frames(self) -> list[bytes]:
        """The valid frames only, in stream order."""
        return [self.frame(int(i)) for i in np.flatnonzero(self.valid)]

    def errors(self) -> list[tuple[int, int, str]]:
        """``(offset, length, reason name)`` of every invalid span, in stream order."""
        return [(int(self.offsets[i]), int(self.lengths[i]), REASON_NAMES[int(self.reasons[i])])
                for i in np.flatnonzero(~self.valid)]

    def msgtype(self, i: int) -> bytes:
        """MsgType(35) of span ``i`` in full (``msgtypes`` keeps only 8 bytes); b"" for an invalid span."""
        short = bytes(self.msgtypes[i])
        if len(short) < MSGTYPE_WIDTH or not self.valid[i]:
            return short
        frame = self.frame(i)
        sep = bytes((self.sep,))
        body = frame.index(sep, frame.index(sep) + 1) + 1  # after BeginString(8) and BodyLength(9)
        return frame[body + 3:frame.index(sep, body)]


class _Spans:
    """Accumulates spans: single spans in Python lists, runs of valid frames as numpy arrays; joined once, at
    the end of a split."""

    def __init__(self) -> None:
        self.runs: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64],
                              npt.NDArray[np.bytes_], npt.NDArray[np.uint8]]] = []
        self.offsets: list[int] = []
        self.lengths: list[int] = []
        self.seqnums: list[int] = []
        self.msgtypes: list[bytes] = []
        self.reasons: list[int] = []

    def add(self, offset: int, length: int, reason: int, msgtype: bytes = b"", seqnum: int = -1) -> None:
        self.offsets.append(offset)
        self.lengths.append(length)
        self.reasons.append(reason)
        self.msgtypes.append(msgtype)
        self.seqnums.append(seqnum)

    def add_valid_run(self, offsets: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64],
                      seqnums: npt.NDArray[np.int64], msgtypes: npt.NDArray[np.bytes_]) -> None:
        """Append a run of valid frames given as arrays (msgtypes already cut to MSGTYPE_WIDTH bytes)."""
        self._flush()
        self.runs.append((offsets, lengths, seqnums, msgtypes, np.full(len(offsets), OK, dtype=np.uint8)))

    def _flush(self) -> None:
        """Move the single spans added so far into ``runs``, keeping stream order."""
        if not self.offsets:
            return
        self.runs.append((
            np.array(self.offsets, dtype=np.int64),
            np.array(self.lengths, dtype=np.int64),
            np.array(self.seqnums, dtype=np.int64),
            np.array(self.msgtypes, dtype=f"S{MSGTYPE_WIDTH}"),  # numpy cuts longer values to the width
            np.array(self.reasons, dtype=np.uint8),
        ))
        for pending in (self.offsets, self.lengths, self.seqnums, self.msgtypes, self.reasons):
            pending.clear()

    def index(self, buf: bytes, consumed: int, sep: int) -> FrameIndex:
        self._flush()
        if len(self.runs) == 1:
            columns = self.runs[0]
        elif self.runs:
            columns = tuple(np.concatenate(parts) for parts in zip(*self.runs, strict=True))  # type: ignore[assignment]
        else:
            columns = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64),
                       np.empty(0, f"S{MSGTYPE_WIDTH}"), np.empty(0, np.uint8))
        offsets, lengths, seqnums, msgtypes, reasons = columns
        return FrameIndex(buf, consumed, offsets, lengths, seqnums, msgtypes, reasons, sep)


def _skip_to_next_start(buf: bytes, after: int, n: int, final: bool) -> int:
    """Where a skipped span ending before the next ``8=FIX`` (searched from ``after``) stops: that ``8=FIX``,
    or, when there is none, the end of the buffer minus any tail that may be the start of the next ``8=FIX``."""
    found = buf.find(FRAME_START, after, n)
    if found >= 0:
        return found
    if final:
        return n
    return n - _partial_start_length(buf, after, n)


@functools.lru_cache(maxsize=16)
def _header_pattern(sep: int) -> re.Pattern[bytes]:
    """``8=FIX..|9=<digits>|35=<MsgType>|`` then, when it comes next, ``34=<digits>|``, for separator ``sep``.

    Groups: 1 BodyLength(9) digits, 2 MsgType(35), 3 MsgSeqNum(34) digits or None (absent, not next, not plain
    digits or too long: _seqnum then decides). The bounds are those of _parse_frame.
    """
    s = re.escape(bytes((sep,)))
    not_s = b"[^" + s + b"]"
    return re.compile(
        b"8=FIX" + not_s + b"{0,%d}" % (MAX_BEGINSTRING_LENGTH - 3) + s
        + b"9=([0-9]{1,%d})" % MAX_BODYLENGTH_DIGITS + s
        + b"35=(" + not_s + b"+)" + s
        + b"(?:34=([0-9]{1,%d})" % MAX_SEQNUM_DIGITS + s + b")?"
    )


#: Frames checked by the first chunk of a valid run; each following chunk is four times larger.
_FIRST_RUN_CHUNK: Final = 16


class _Run:
    """Candidate frames found by _scan_run: parallel lists, one entry per frame."""

    __slots__ = ("msgtypes", "seqnums", "starts", "trailers")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.trailers: list[int] = []  # index of "10=" (BodyLength(9) bytes after the body's start)
        self.msgtypes: list[bytes] = []
        self.seqnums: list[bytes | None] = []


def _scan_run(buf: bytes, pos: int, sep: int, max_body_length: int, limit: int) -> _Run:
    """At most ``limit`` frames chained from ``pos`` whose header matches and whose BodyLength(9) fits the input.

    The trailer and CheckSum(10) are not checked here (_valid_prefix does it for the whole run at once), so a
    candidate may be invalid; the chain stops at the first header _parse_frame might not accept.
    """
    match_header = _header_pattern(sep).match
    last_trailer = len(buf) - 7  # "10=ddd<sep>" and the separator before it must be in the input
    run = _Run()
    starts, trailers, msgtypes, seqnums = run.starts, run.trailers, run.msgtypes, run.seqnums
    start = pos
    while len(starts) < limit and (match := match_header(buf, start)) is not None:
        length = int(match[1])
        trailer = match.end(1) + 1 + length
        # MsgType(35), and MsgSeqNum(34) when matched, must end inside the body.
        if length > max_body_length or trailer > last_trailer or match.end() > trailer:
            break
        starts.append(start)
        trailers.append(trailer)
        msgtypes.append(match[2])
        seqnums.append(match[3])
        start = trailer + 7
    return run


#: Runs of at most this many frames are checked frame by frame in Python: numpy's fixed cost (about 20 us a
#: run) only pays from a few frames on, and a socket read in a request/response exchange holds one or two.
_SMALL_RUN: Final = 4


class _ByteValues:
    """The input as numpy arrays for _valid_prefix, made on first use (a split of small runs never needs
    them): ``raw`` is the bytes, ``values`` the same with each separator counted as SOH (CheckSum(10))."""

    __slots__ = ("_arrays", "buf", "sep")

    def __init__(self, buf: bytes, sep: int) -> None:
        self.buf = buf
        self.sep = sep
        self._arrays: tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]] | None = None

    def arrays(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
        if self._arrays is None:
            raw = np.frombuffer(self.buf, dtype=np.uint8)
            values = raw if self.sep == 1 else np.where(raw == self.sep, np.uint8(1), raw)
            self._arrays = raw, values
        return self._arrays


def _valid_prefix(run: _Run, byte_values: _ByteValues, sep: int) -> int:
    """How many frames of ``run``, from its first, have a well-formed trailer and the right CheckSum(10)."""
    raw, values = byte_values.arrays()
    trailers = np.array(run.trailers, dtype=np.int64)
    # <sep>10=ddd<sep> around each trailer (indexes are inside the input: _scan_run checked trailer + 6 < n).
    tails = raw[trailers[:, None] + np.arange(-1, 7)]
    digits = tails[:, 4:7].astype(np.int64) - 48
    good = (tails[:, [0, 1, 2, 3, 7]] == np.array([sep, 0x31, 0x30, 0x3D, sep], dtype=np.uint8)).all(axis=1)
    good &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    bounds = np.empty(2 * len(trailers), dtype=np.int64)
    bounds[0::2] = run.starts
    bounds[1::2] = trailers
    sums = np.add.reduceat(values, bounds, dtype=np.uint32)[0::2] & 0xFF
    good &= sums == digits @ np.array([100, 10, 1], dtype=np.int64)
    return len(trailers) if good.all() else int(np.argmin(good))


def _valid_prefix_small(buf: bytes, run: _Run, sep: int) -> int:
    """_valid_prefix frame by frame, with the checks of _parse_frame (for runs of a few frames)."""
    n = len(buf)
    for kept, (start, trailer) in enumerate(zip(run.starts, run.trailers, strict=True)):
        if _check_trailer(buf, trailer, n, sep) != OK:
            return kept
        claimed = (buf[trailer + 3] - 48) * 100 + (buf[trailer + 4] - 48) * 10 + buf[trailer + 5] - 48
        if _sum_as_soh(buf, start, trailer, sep) != claimed:
            return kept
    return len(run.starts)


def _take_valid_run(
    buf: bytes, pos: int, spans: _Spans, sep: int, max_body_length: int, byte_values: _ByteValues
) -> int:
    """Add the run of complete valid frames starting at ``pos`` to ``spans``; return where the run stops.

    The fast path of the pure twin: it accepts exactly the frames that _parse_frame accepts, with one regular
    expression call per frame for the header and, past _SMALL_RUN frames, numpy for every trailer and
    CheckSum(10) at once; whatever it does not accept is left to _parse_frame, which gives the precise reason.
    """
    limit = _FIRST_RUN_CHUNK
    while True:
        run = _scan_run(buf, pos, sep, max_body_length, limit)
        small = len(run.starts) <= _SMALL_RUN
        keep = _valid_prefix_small(buf, run, sep) if small else _valid_prefix(run, byte_values, sep)
        if keep:
            pos = _add_run(buf, run, keep, spans, sep)
        if keep < limit:
            return pos
        # Grow the chunk while every frame is valid: a frame failing its CheckSum(10) then costs at most a
        # chunk of wasted scanning, never a rescan of the rest of the buffer.
        limit *= 4


def _run_seqnums(buf: bytes, run: _Run, keep: int, sep: int) -> list[int]:
    """MsgSeqNum(34) of the first ``keep`` frames of ``run`` (-1 where absent or not plain digits)."""
    found = run.seqnums[:keep]
    if None in found:
        # MsgSeqNum(34) not right after MsgType(35): the first "<sep>34=" of the body decides (no separator
        # lies between the frame start and MsgType's end, so searching from the start finds the same one).
        return [_seqnum(buf, sep, start, trailer) if digits is None else int(digits)
                for start, trailer, digits in zip(run.starts, run.trailers, found, strict=False)]  # found is cut
    return list(map(int, cast(list[bytes], found)))


def _add_run(buf: bytes, run: _Run, keep: int, spans: _Spans, sep: int) -> int:
    """Add the first ``keep`` frames of ``run`` (all valid) to ``spans``; return the end of the last one."""
    seqnums = _run_seqnums(buf, run, keep, sep)
    if keep <= _SMALL_RUN:
        # as single spans: joined with their neighbours into one set of arrays at the end of the split
        for start, trailer, msgtype, seqnum in zip(run.starts, run.trailers, run.msgtypes, seqnums, strict=False):
            spans.add(start, trailer + 7 - start, OK, msgtype, seqnum)
        return run.trailers[keep - 1] + 7
    starts = np.array(run.starts[:keep], dtype=np.int64)
    ends = np.array(run.trailers[:keep], dtype=np.int64) + 7
    spans.add_valid_run(starts, ends - starts, np.array(seqnums, dtype=np.int64),
                        np.array(run.msgtypes[:keep], dtype=f"S{MSGTYPE_WIDTH}"))
    return int(ends[-1])


def split_frames(
    data: bytes | bytearray | memoryview,
    sep: int = 1,
    max_body_length: int = DEFAULT_MAX_BODY_LENGTH,
    final: bool = False,
) -> FrameIndex:
    """Split ``data`` into spans: valid frames, garbled frames and garbage (see the module docstring).

    ``sep`` is the field separator byte (1 for SOH; ``ord("|")`` for logs). ``max_body_length`` (bytes) bounds
    BodyLength(9). With ``final=False`` a trailing frame prefix that could still become valid is left
    unconsumed (``buffer[consumed:]``); with ``final=True`` it is reported as garbled or garbage. Never
    raises on data.
    """
    sep = _check_separator(sep)
    max_body_length = _check_max_body_length(max_body_length)
    buf = _as_bytes(data)
    n = len(buf)
    spans = _Spans()
    byte_values = _ByteValues(buf, sep)
    pos = 0
    while pos < n:
        pos = _take_valid_run(buf, pos, spans, sep, max_body_length, byte_values)
        if pos >= n:
            break
        if buf.startswith(FRAME_START, pos):
            verdict, end, msgtype, seqnum = _parse_frame(buf, pos, n, sep, max_body_length, final)
            if verdict == OK:
                spans.add(pos, end - pos, OK, msgtype, seqnum)
                pos = end
                continue
            if verdict == _INCOMPLETE:
                break
            # Resynchronise after the garbled frame's start, not its claimed end: a wrong BodyLength(9)
            # must not swallow the valid frames behind it.
            end = _skip_to_next_start(buf, pos + 1, n, final)
            spans.add(pos, end - pos, verdict)
            pos = end
            continue
        if not final and n - pos < len(FRAME_START) and FRAME_START.startswith(buf[pos:n]):
            break  # a partial "8=FIX" that the next read may complete
        end = _skip_to_next_start(buf, pos + 1, n, final)
        spans.add(pos, end - pos, BAD_BEGINSTRING if buf.startswith(b"8=", pos) else GARBAGE)
        pos = end
    return spans.index(buf, pos, sep)


#: bytes a socket read may fill at most (asyncio's own read size for a stream socket)
DEFAULT_READ_SIZE: Final = 256 * 1024


class ReadBuffer:
    """Where a socket read lands (the ``get_buffer``/``buffer_updated`` pair of ``asyncio.BufferedProtocol``).

    :meth:`get_buffer` gives writable room for one read of at most ``capacity`` bytes; :meth:`received` then gives
    the bytes read as a new immutable ``bytes`` object, which a FrameIndex (and a store keeping its frames) may
    keep: later reads never change it. This twin reads into one reused bytearray and copies each read out; the
    compiled twin reads straight into the ``bytes`` object it then returns (no copy).
    """

    def __init__(self, capacity: int = DEFAULT_READ_SIZE) -> None:
        if type(capacity) is not int or capacity <= 0:
            raise ValueError(f"ReadBuffer capacity must be a positive int (bytes), got {capacity!r}")
        self.capacity = capacity
        self._buffer = bytearray(capacity)
        self._prefix: bytes | None = None  # what goes before the read's bytes (None: no room handed out)

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Writable room for the next read, ``capacity`` bytes (``sizehint`` is ignored, as asyncio allows)."""
        return self._room(b"")

    def received(self, nbytes: int) -> bytes:
        """The ``nbytes`` bytes just read into the room of :meth:`get_buffer`, as a new ``bytes`` object."""
        return self._take_after(b"", nbytes)

    def _room(self, prefix: bytes) -> memoryview:
        self._prefix = prefix
        return memoryview(self._buffer)

    def _take_after(self, prefix: bytes, nbytes: int) -> bytes:
        """``prefix`` followed by the ``nbytes`` bytes read (one copy)."""
        if self._prefix is None:
            raise RuntimeError("ReadBuffer.received called without get_buffer before it")
        if type(nbytes) is not int or not 0 <= nbytes <= self.capacity:
            raise ValueError(f"ReadBuffer.received nbytes={nbytes!r} must be within 0..capacity={self.capacity}")
        self._prefix = None
        with memoryview(self._buffer) as view:
            return b"".join((prefix, view[:nbytes]))


class Framer:
    """Stateful stream splitter: feed it reads from the socket, get a FrameIndex per read.

    Keeps the incomplete remainder between calls, so a frame may arrive one byte at a time. A connection may also
    read straight into the framer (:meth:`get_buffer`, then :meth:`received`): each read then lands after the
    kept remainder, and :meth:`received` gives remainder and read as one ``bytes`` object that :meth:`feed` splits
    without joining them again (the compiled twin makes no copy at all).
    """

    _split = staticmethod(split_frames)

    def __init__(self, sep: int = 1, max_body_length: int = DEFAULT_MAX_BODY_LENGTH) -> None:
        self.sep = _check_separator(sep)
        self.max_body_length = _check_max_body_length(max_body_length)
        self._pending = b""
        self._reads: ReadBuffer | None = None  # created by the first get_buffer

    def feed(self, data: bytes | bytearray | memoryview) -> FrameIndex:
        """Append ``data`` to the kept remainder and split; offsets refer to the returned index's
        ``buffer``."""
        chunk = _as_bytes(data)
        buffer = self._pending + chunk if self._pending else chunk
        index = self._split(buffer, self.sep, self.max_body_length, False)
        self._pending = buffer[index.consumed:]
        return index

    def get_buffer(self, sizehint: int = -1) -> memoryview:
        """Writable room for the next socket read, placed after the kept remainder (see :class:`ReadBuffer`)."""
        reads = self._reads
        if reads is None:
            reads = self._reads = ReadBuffer()
        return reads._room(self._pending)

    def received(self, nbytes: int) -> bytes:
        """The kept remainder followed by the ``nbytes`` bytes just read into :meth:`get_buffer`'s room, as one
        ``bytes`` object; the remainder is handed over with it (``pending`` becomes 0), so :meth:`feed` (or
        :meth:`msgtype_if_one_frame`) takes the result as is."""
        reads = self._reads
        if reads is None:
            raise RuntimeError("Framer.received called without get_buffer before it")
        data = reads._take_after(self._pending, nbytes)
        self._pending = b""
        return data

    def msgtype_if_one_frame(self, data: bytes | bytearray | memoryview) -> bytes | None:
        """MsgType(35) of ``data`` when nothing is pending and ``data`` (bytes) is exactly one valid frame, else
        None. Nothing is consumed either way: on None, :meth:`feed` splits ``data`` as usual.

        A session trading one order at a time reads one frame per read: this answers with the frame's checks
        (BeginString(8), BodyLength(9), MsgType(35), CheckSum(10), as :func:`split_frames`) and no FrameIndex.
        """
        if self._pending or type(data) is not bytes or not data.startswith(FRAME_START):
            return None
        verdict, end, msgtype, _ = _parse_frame(data, 0, len(data), self.sep, self.max_body_length, False)
        return msgtype if verdict == OK and end == len(data) else None

    def flush(self) -> FrameIndex:
        """Split the remainder as final input (end of stream): whatever is left is reported, nothing is
        kept."""
        index = self._split(self._pending, self.sep, self.max_body_length, True)
        self._pending = b""
        return index

    @property
    def pending(self) -> int:
        """Bytes waiting for more input."""
        return len(self._pending)


# the twin's public API (as the compiled module's __all__): the reason codes and limits come from framing_frame_py
__all__ = [
    "ABSURD_BODYLENGTH",
    "BAD_BEGINSTRING",
    "BAD_BODYLENGTH_TAG",
    "BAD_BODYLENGTH_VALUE",
    "BAD_CHECKSUM_FIELD",
    "BAD_LENGTH",
    "BAD_MSGTYPE",
    "CHECKSUM_MISMATCH",
    "DEFAULT_MAX_BODY_LENGTH",
    "DEFAULT_READ_SIZE",
    "FRAME_START",
    "GARBAGE",
    "MAX_BEGINSTRING_LENGTH",
    "MAX_BODYLENGTH_DIGITS",
    "MAX_SEQNUM_DIGITS",
    "MSGTYPE_WIDTH",
    "OK",
    "REASON_NAMES",
    "FrameIndex",
    "Framer",
    "ReadBuffer",
    "checksum",
    "format_checksum",
    "split_frames",
]
