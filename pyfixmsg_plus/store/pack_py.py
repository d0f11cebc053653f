"""Pure-Python twin of ``pyfixmsg_plus._speedups.storepack``: packing a batch of frames into SQLite rows.

The SQL stores key each message row by ``message_key(stream, seq_num) = stream << 32 | seq_num`` (one integer
primary key serves lookups and ranges by MsgSeqNum(34) with no secondary index), and summarise each stored
batch
in one row of a block-range index: (first seq, last seq, earliest and latest SendingTime, the MsgTypes
present).
Packing is on the hot path of every batch, so it has a compiled twin; both give identical results.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

SEQ_BITS = 32
MAX_SEQ = (1 << SEQ_BITS) - 1
MAX_STREAM = (1 << 30) - 1

#: (key, msg_type, sending_time, data)
Row = tuple[int, str, float, bytes]
#: (first_seq, last_seq, min_time, max_time, msg_types) where msg_types is ",A,D," (sorted, comma-fenced)
Summary = tuple[int, int, float, float, str]
#: a run as SQLite splits it itself (see :func:`pack_run_blob`): first key, frame count, frames laid end to end,
#: the run index and its stride (bytes per frame)
RunBlob = tuple[int, int, bytes, bytes, int]

#: decimal digits of each fixed-width field of a run index entry: offset, length, MsgType(35) length
INDEX_OFFSET_DIGITS = 10
INDEX_LENGTH_DIGITS = 10
INDEX_TYPE_LENGTH_DIGITS = 4
#: bytes of a run index entry before its MsgType(35)
INDEX_FIXED_WIDTH = INDEX_OFFSET_DIGITS + INDEX_LENGTH_DIGITS + INDEX_TYPE_LENGTH_DIGITS


def message_key(stream: int, seq_num: int) -> int:
    """The row key of MsgSeqNum ``seq_num`` in ``stream`` (session id * 2 + direction)."""
    _check_stream(stream)
    if not 0 <= seq_num <= MAX_SEQ:
        raise ValueError(f"MsgSeqNum(34) {seq_num} is outside 0..{MAX_SEQ}")
    return (stream << SEQ_BITS) | seq_num


def pack_records(stream: int, records: Sequence[Any]) -> tuple[list[Row], Summary]:
    """Rows for ``executemany`` and the batch summary, from records of (seq_num, msg_type, sending_time,
    data).

    ``sending_time`` is in epoch seconds. Raises ValueError naming the record index and field at fault for an
    empty batch, a sequence number outside 1..2**32-1, a MsgType that is empty or contains a comma, or data
    that is not bytes.
    """
    _check_stream(stream)
    if len(records) == 0:
        raise ValueError("pack_records: empty batch (records has no entries)")
    base = stream << SEQ_BITS
    rows: list[Row] = []
    types: set[str] = set()
    first_seq = MAX_SEQ + 1
    last_seq = 0
    min_time = float("inf")
    max_time = float("-inf")
    for index, record in enumerate(records):
        seq_num, msg_type, sending_time, data = record
        seq_num = _check_seq(seq_num, index)
        _check_msg_type(msg_type, index)
        if not isinstance(data, bytes):
            raise ValueError(f"record {index}: data must be bytes, got {type(data).__name__}")
        sending_time = float(sending_time)
        rows.append((base | seq_num, msg_type, sending_time, data))
        types.add(msg_type)
        first_seq = min(first_seq, seq_num)
        last_seq = max(last_seq, seq_num)
        min_time = min(min_time, sending_time)
        max_time = max(max_time, sending_time)
    return rows, (first_seq, last_seq, min_time, max_time, msg_types_field(types))


def records_from_buffer(
    buffer: bytes,
    offsets: Sequence[int],
    lengths: Sequence[int],
    seq_nums: Sequence[int],
    msg_types: Sequence[str],
    sending_times: Sequence[float],
) -> list[tuple[int, str, float, bytes]]:
    """Records (seq_num, msg_type, sending_time, data) of the frames at ``offsets``/``lengths`` in ``buffer``.

    This takes a framer's batch index as it is, so the stored bytes are exactly the received ones. Raises
    ValueError when the arrays differ in length or a frame lies outside the buffer (naming the frame index).
    """
    count = len(offsets)
    for name, column in (
        ("lengths", lengths),
        ("seq_nums", seq_nums),
        ("msg_types", msg_types),
        ("sending_times", sending_times),
    ):
        if len(column) != count:
            raise ValueError(f"records_from_buffer: {name} has {len(column)} entries, offsets has {count}")
    size = len(buffer)
    records = []
    for index in range(count):
        offset = int(offsets[index])
        length = int(lengths[index])
        if offset < 0 or length < 0 or offset + length > size:
            raise ValueError(
                f"frame {index}: offset {offset} + length {length} lies outside the buffer of {size} bytes"
            )
        records.append(
            (
                int(seq_nums[index]),
                msg_types[index],
                float(sending_times[index]),
                bytes(buffer[offset : offset + length]),
            )
        )
    return records


def statement_params(rows: Sequence[Sequence[Any]], per_statement: int) -> tuple[list[list[Any]], list[Any]]:
    """``rows`` regrouped for multi-row INSERT statements: the parameters of each full group of
    ``per_statement`` rows laid end to end (one list per statement), and the rows left over (fewer than
    ``per_statement``, in order, as given).

    One statement of many rows costs SQLite one step and the sqlite3 module one GIL release instead of one per
    row, which is what lets the store's thread keep up while the event loop holds the GIL. Raises ValueError
    when ``per_statement`` is below 1.
    """
    if per_statement < 1:
        raise ValueError(f"statement_params: per_statement = {per_statement} must be at least 1")
    full = len(rows) - len(rows) % per_statement
    groups = [
        [value for row in rows[start : start + per_statement] for value in row]
        for start in range(0, full, per_statement)
    ]
    return groups, list(rows[full:])


def msg_types_field(msg_types: Iterable[str]) -> str:
    """The summary's MsgTypes as stored: ``",A,D,"`` (distinct, sorted, comma-fenced)."""
    return "," + ",".join(sorted(set(msg_types))) + ","


def _check_stream(stream: int) -> None:
    if not 0 <= stream <= MAX_STREAM:
        raise ValueError(f"stream {stream} is outside 0..{MAX_STREAM}")


def _check_seq(seq_num: Any, index: int) -> int:
    try:
        number = operator.index(seq_num)
    except TypeError:
        raise ValueError(f"record {index}: MsgSeqNum(34) {seq_num!r} is not an integer") from None
    if not 1 <= number <= MAX_SEQ:
        raise ValueError(f"record {index}: MsgSeqNum(34) {number!r} is outside 1..{MAX_SEQ}")
    return number


def _check_msg_type(msg_type: str, index: int) -> None:
    if not isinstance(msg_type, str) or not msg_type or "," in msg_type:
        raise ValueError(f"record {index}: MsgType(35) {msg_type!r} must be a non-empty string without ','")


def pack_run(
    stream: int,
    buffer: bytes,
    offsets: Sequence[int],
    lengths: Sequence[int],
    first_seq: int,
    msg_types: Sequence[str],
    sending_time: float,
) -> tuple[list[Row], Summary]:
    """Rows and summary (as :func:`pack_records`) of consecutive frames numbered from ``first_seq``, read
    straight from ``buffer`` at ``offsets``/``lengths``, all stamped ``sending_time``. Raises ValueError for
    columns of different lengths, an empty run, a frame outside the buffer, or numbers outside 1..2**32-1."""
    first, last = _check_run(stream, buffer, offsets, lengths, first_seq, msg_types, sending_time)
    base, when = stream << SEQ_BITS, float(sending_time)
    rows: list[Row] = []
    for index in range(len(offsets)):
        offset, length = int(offsets[index]), int(lengths[index])
        rows.append((base | (first + index), msg_types[index], when, bytes(buffer[offset : offset + length])))
    return rows, (first, last, when, when, msg_types_field(msg_types))


def pack_run_blob(
    stream: int,
    buffer: bytes,
    offsets: Sequence[int],
    lengths: Sequence[int],
    first_seq: int,
    msg_types: Sequence[str],
    sending_time: float,
) -> tuple[RunBlob, Summary]:
    """The same run as :func:`pack_run` (same checks, same errors, same summary), packed for SQLite to split:
    ``(first_key, count, frames, index, stride)``.

    ``frames`` is the run's frames laid end to end; ``index`` holds ``stride`` bytes per frame, in order: the
    frame's 1-based offset in ``frames`` (10 ASCII digits), its length in bytes (10 digits), the length in bytes
    of its UTF-8 MsgType(35) (4 digits), then that MsgType padded with spaces to the run's longest. Binding two
    blobs instead of four values per frame lets the writer thread hold the GIL once per run, not once per value
    (see ``schema.INSERT_RUNS``).
    """
    first, _ = _check_run(stream, buffer, offsets, lengths, first_seq, msg_types, sending_time)
    count = len(offsets)
    total = sum(int(length) for length in lengths)
    encoded = [msg_type.encode() for msg_type in msg_types]
    width = max(len(name) for name in encoded)
    limit = 10**INDEX_TYPE_LENGTH_DIGITS
    if width >= limit:
        at = next(i for i, name in enumerate(encoded) if len(name) == width)
        raise ValueError(f"record {at}: MsgType(35) of {width} bytes is longer than {limit - 1}")
    if total >= 10**INDEX_OFFSET_DIGITS:
        raise ValueError(f"pack_run_blob: the run's frames total {total} bytes, more than the index can address")
    frames: list[bytes] = []
    entries: list[bytes] = []
    position = 1
    for index in range(count):
        offset, length = int(offsets[index]), int(lengths[index])
        frames.append(buffer[offset : offset + length])
        name = encoded[index]
        entries.append(b"%010d%010d%04d" % (position, length, len(name)) + name.ljust(width))
        position += length
    run = ((stream << SEQ_BITS) | first, count, b"".join(frames), b"".join(entries), INDEX_FIXED_WIDTH + width)
    return run, (first, first + count - 1, float(sending_time), float(sending_time), msg_types_field(msg_types))


def _check_run(
    stream: int,
    buffer: bytes,
    offsets: Sequence[int],
    lengths: Sequence[int],
    first_seq: int,
    msg_types: Sequence[str],
    sending_time: float,
) -> tuple[int, int]:
    """The checks of :func:`pack_run` and :func:`pack_run_blob` (in this order); returns (first seq, last seq)."""
    _check_stream(stream)
    count = len(offsets)
    if len(lengths) != count or len(msg_types) != count:
        raise ValueError(f"pack_run: {count} offsets, {len(lengths)} lengths and {len(msg_types)} msg_types must match")
    if count == 0:
        raise ValueError("pack_run: empty run (offsets has no entries)")
    first = _check_seq(first_seq, 0)
    _check_seq(first + count - 1, count - 1)
    float(sending_time)
    size = len(buffer)
    for index in range(count):
        offset, length = int(offsets[index]), int(lengths[index])
        if offset < 0 or length < 0 or offset + length > size:
            raise ValueError(
                f"frame {index}: offset {offset} + length {length} lies outside the buffer of {size} bytes"
            )
        _check_msg_type(msg_types[index], index)
    return first, first + count - 1
