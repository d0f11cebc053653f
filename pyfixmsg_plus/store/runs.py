"""Received frames handed to a store as runs of a read buffer, without one Python object per frame.

The session's fast path accepts whole runs of consecutive frames of one socket read (see
``pyfixmsg_plus.session.fastpath_py``). :class:`FrameRun` is such a run as a read-only sequence of
:class:`~pyfixmsg_plus.store.contract.FrameRecord`: a record is built only when a store asks for it, so a store
that keeps runs whole (the memory store) pays nothing per frame, and every other store sees plain records.
:class:`RecordChunks` chains the groups a batching writer flushes in one transaction.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from typing import Any, overload

from pyfixmsg_plus.store.contract import FrameRecord
from pyfixmsg_plus.store.pack_py import msg_types_field

#: bytes of MsgType(35) a FrameIndex keeps per frame
_MSGTYPE_WIDTH = 8

#: a run as kept whole by a store (:meth:`FrameRun.columns`): first MsgSeqNum(34), receive time (epoch seconds),
#: the read buffer, the FrameIndex's offsets, lengths and 8-byte MsgType(35) arrays, first span, frame count
RunColumns = tuple[int, float, bytes, Any, Any, Any, int, int]


class _Records(Sequence[FrameRecord]):
    """A read-only sequence of records: subclasses give ``__len__`` and ``_record(i)`` for 0 <= i < len."""

    __slots__ = ()

    def _record(self, i: int) -> FrameRecord:
        raise NotImplementedError

    @overload
    def __getitem__(self, i: int) -> FrameRecord: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[FrameRecord]: ...
    def __getitem__(self, i: int | slice) -> FrameRecord | Sequence[FrameRecord]:
        count = len(self)
        if isinstance(i, slice):
            return [self._record(k) for k in range(*i.indices(count))]
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError(f"record {i} outside {count} records")
        return self._record(i)


class FrameRun(_Records):
    """``size`` frames of ``source`` (a FrameIndex) from span ``start`` on, numbered ``first_seqnum`` on,
    received at ``received_time`` (epoch seconds; it stands for SendingTime(52), which is not parsed here)."""

    __slots__ = ("first_seqnum", "received_time", "size", "source", "start")

    def __init__(self, source: Any, start: int, size: int, first_seqnum: int, received_time: float) -> None:
        if start < 0 or size < 0 or start + size > len(source):
            raise ValueError(f"frame run {start}..{start + size} outside an index of {len(source)} spans")
        self.source = source
        self.start = start
        self.size = size
        self.first_seqnum = first_seqnum
        self.received_time = received_time

    def __len__(self) -> int:
        return self.size

    def _record(self, i: int) -> FrameRecord:
        span = self.start + i
        msg_type = self.source.msgtype(span).decode("latin-1")
        return FrameRecord(self.first_seqnum + i, msg_type, self.received_time, self.source.frame(span))

    def __iter__(self) -> Iterator[FrameRecord]:
        return iter(self.records())

    def msg_types(self) -> list[str]:
        """MsgType(35) of each frame of the run (each distinct value decoded once)."""
        return _msg_types(self._buffer(), self.source.offsets, self.source.lengths, self.source.msgtypes,
                          self.start, self.start + self.size)  # fmt: skip

    def pack(self, pack_module: Any, stream: int) -> tuple[list[Any], tuple[Any, ...]]:
        """SQLite rows and batch summary of the run, straight from the read buffer (``storepack.pack_run``)."""
        source, lo, hi = self.source, self.start, self.start + self.size
        packed: tuple[list[Any], tuple[Any, ...]] = pack_module.pack_run(
            stream, self._buffer(), source.offsets[lo:hi], source.lengths[lo:hi], self.first_seqnum,
            self.msg_types(), self.received_time,
        )  # fmt: skip
        return packed

    def pack_blobs(self, pack_module: Any, stream: int, max_frames: int) -> list[tuple[Any, tuple[Any, ...]]]:
        """The run as (run blob, summary) pairs of at most ``max_frames`` frames each, for SQLite to split
        (``storepack.pack_run_blob``), straight from the read buffer."""
        source, buffer, types = self.source, self._buffer(), self.msg_types()
        packed: list[tuple[Any, tuple[Any, ...]]] = []
        for first in range(0, self.size, max_frames):
            lo, hi = self.start + first, self.start + min(first + max_frames, self.size)
            blob = pack_module.pack_run_blob(
                stream, buffer, source.offsets[lo:hi], source.lengths[lo:hi], self.first_seqnum + first,
                types[first : first + hi - lo], self.received_time,
            )  # fmt: skip
            packed.append(blob)
        return packed

    def _buffer(self) -> bytes:
        buffer = self.source.buffer
        return buffer if isinstance(buffer, bytes) else bytes(buffer)

    def records(self) -> list[FrameRecord]:
        """Every record of the run, built in one pass (arrays read once, each MsgType decoded once)."""
        return column_records(self.columns())

    def columns(self) -> RunColumns:
        """The run as an exact tuple of atomic objects and NumPy arrays, none of which the garbage collector
        tracks (CPython untracks such a tuple at its first collection): what a store keeps of a run it holds
        whole, instead of this object and its FrameIndex (both tracked, so walked by every full collection)."""
        source = self.source
        return (self.first_seqnum, self.received_time, self._buffer(), source.offsets, source.lengths,
                source.msgtypes, self.start, self.size)  # fmt: skip

    def __repr__(self) -> str:
        last = self.first_seqnum + self.size - 1
        return f"FrameRun(MsgSeqNum {self.first_seqnum}..{last}, {self.size} frames)"


class RecordChunks(_Records):
    """Several record sequences read as one (``parts`` kept as given, so a store may take runs whole)."""

    __slots__ = ("_ends", "parts")

    def __init__(self, parts: Sequence[Sequence[FrameRecord]], sizes: Sequence[int] | None = None) -> None:
        """``sizes``: ``len`` of each part when the caller knows them already (empty parts are dropped)."""
        if sizes is None:
            parts = list(parts)  # read twice below
            sizes = list(map(len, parts))
        # compress, filter and accumulate run in C: no Python call per part (one part per received frame)
        self.parts = list(itertools.compress(parts, sizes))
        self._ends = list(itertools.accumulate(filter(None, sizes)))

    def __len__(self) -> int:
        return self._ends[-1] if self._ends else 0

    def _record(self, i: int) -> FrameRecord:
        part = bisect.bisect_right(self._ends, i)
        before = self._ends[part - 1] if part else 0
        return self.parts[part][i - before]

    def __iter__(self) -> Iterator[FrameRecord]:
        return itertools.chain.from_iterable(self.parts)


def column_records(columns: RunColumns, record_type: type[tuple[Any, ...]] = FrameRecord) -> list[Any]:
    """The records of a run kept as :data:`RunColumns`, built in one pass (arrays read once, each MsgType(35)
    decoded once): FrameRecords, or exact tuples of the same fields when ``record_type`` is ``tuple``."""
    first, received, buffer, offsets, lengths, msgtypes, lo, size = columns
    hi = lo + size
    types = _msg_types(buffer, offsets, lengths, msgtypes, lo, hi)
    spans = zip(offsets[lo:hi].tolist(), lengths[lo:hi].tolist(), strict=True)
    make = tuple.__new__  # FrameRecord's own __new__ is a Python function: twice the cost per record
    return [
        make(record_type, (first + k, types[k], received, buffer[offset : offset + length]))
        for k, (offset, length) in enumerate(spans)
    ]


def _msg_types(buffer: bytes, offsets: Any, lengths: Any, msgtypes: Any, lo: int, hi: int) -> list[str]:
    """MsgType(35) of frames ``lo`` to ``hi`` (exclusive) of a FrameIndex's columns, each distinct value decoded
    once."""
    names: dict[bytes, str] = {}
    types: list[str] = []
    for k, short in enumerate(msgtypes[lo:hi].tolist()):
        name = names.get(short)
        if name is None:
            if len(short) < _MSGTYPE_WIDTH:
                name = names[short] = short.decode("latin-1")
            else:
                # the index keeps 8 bytes: a type that fills them may be longer, so read it from the frame
                start = int(offsets[lo + k])
                name = _full_msg_type(buffer[start : start + int(lengths[lo + k])])
        types.append(name)
    return types


def _full_msg_type(frame: bytes) -> str:
    """MsgType(35) of a valid frame read in full: the third field, after BeginString(8) and BodyLength(9). The
    field separator is the frame's last byte (it ends CheckSum(10))."""
    sep = frame[-1:]
    body = frame.index(sep, frame.index(sep) + 1) + 1
    return frame[body + 3 : frame.index(sep, body)].decode("latin-1")


def as_list(records: Sequence[FrameRecord]) -> list[FrameRecord]:
    """``records`` as a list (runs built into records now), for code that indexes them many times."""
    return records if isinstance(records, list) else list(records)


def merge_summaries(summaries: Sequence[tuple[Any, ...]]) -> tuple[Any, ...]:
    """One batch summary (first seq, last seq, min time, max time, MsgTypes) covering ``summaries``."""
    if len(summaries) == 1:
        return summaries[0]
    return (
        min(s[0] for s in summaries),
        max(s[1] for s in summaries),
        min(s[2] for s in summaries),
        max(s[3] for s in summaries),
        msg_types_field(t for s in summaries for t in s[4].strip(",").split(",")),
    )


def pack_chunks(pack_module: Any, stream: int, records: Sequence[FrameRecord]) -> tuple[list[Any], tuple[Any, ...]]:
    """SQLite rows and one batch summary of ``records``: runs packed straight from their buffers, other records
    through ``pack_records``. ``records`` must not be empty."""
    parts = records.parts if isinstance(records, RecordChunks) else [records]
    rows: list[Any] = []
    summaries: list[tuple[Any, ...]] = []
    for part in parts:
        if isinstance(part, FrameRun):
            part_rows, summary = part.pack(pack_module, stream)
        else:
            part_rows, summary = pack_module.pack_records(stream, as_list(part))
        rows.extend(part_rows)
        summaries.append(summary)
    return rows, merge_summaries(summaries)
