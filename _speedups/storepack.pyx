# cython: language_level=3
"""Compiled twin of ``pyfixmsg_plus.store.pack_py``: packing a batch of frames into SQLite rows.

Same functions, same results and the same errors as the pure module, which is the readable reference. Every
index is checked against its container before use, so no input makes this read out of bounds.
"""

import numpy as np

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_Check, PyBytes_FromStringAndSize
from libc.string cimport memcpy, memset
from cpython.number cimport PyNumber_Index
from cpython.list cimport PyList_New, PyList_SET_ITEM
from cpython.tuple cimport PyTuple_New, PyTuple_SET_ITEM
from cpython.ref cimport Py_INCREF

SEQ_BITS = 32
MAX_SEQ = (1 << 32) - 1
MAX_STREAM = (1 << 30) - 1

cdef long long C_MAX_SEQ = (1 << 32) - 1
cdef long long C_MAX_STREAM = (1 << 30) - 1


cdef inline long long _check_stream(object stream) except -1:
    if not (0 <= stream <= MAX_STREAM):
        raise ValueError(f"stream {stream} is outside 0..{MAX_STREAM}")
    return <long long>stream


cdef inline long long _check_seq(object seq_num, Py_ssize_t index) except -1:
    cdef object number
    try:
        number = PyNumber_Index(seq_num)
    except TypeError:
        raise ValueError(f"record {index}: MsgSeqNum(34) {seq_num!r} is not an integer") from None
    if not (1 <= number <= MAX_SEQ):
        raise ValueError(f"record {index}: MsgSeqNum(34) {number!r} is outside 1..{MAX_SEQ}")
    return <long long>number


cdef inline int _check_msg_type(object msg_type, Py_ssize_t index) except -1:
    if not isinstance(msg_type, str) or not msg_type or "," in msg_type:
        raise ValueError(f"record {index}: MsgType(35) {msg_type!r} must be a non-empty string without ','")
    return 0


def message_key(stream, seq_num):
    """The row key of MsgSeqNum ``seq_num`` in ``stream`` (session id * 2 + direction)."""
    _check_stream(stream)
    if not (0 <= seq_num <= MAX_SEQ):
        raise ValueError(f"MsgSeqNum(34) {seq_num} is outside 0..{MAX_SEQ}")
    return (stream << SEQ_BITS) | seq_num


cdef inline tuple _row(long long key, object msg_type, double sending_time, object data):
    cdef tuple row = PyTuple_New(4)
    cdef object key_obj = key
    cdef object time_obj = sending_time
    Py_INCREF(key_obj)
    PyTuple_SET_ITEM(row, 0, key_obj)
    Py_INCREF(msg_type)
    PyTuple_SET_ITEM(row, 1, msg_type)
    Py_INCREF(time_obj)
    PyTuple_SET_ITEM(row, 2, time_obj)
    Py_INCREF(data)
    PyTuple_SET_ITEM(row, 3, data)
    return row


def pack_records(stream, records):
    """Rows for ``executemany`` and the batch summary, from records of (seq_num, msg_type, sending_time, data).

    ``sending_time`` is in epoch seconds. Raises ValueError naming the record index and field at fault.
    """
    cdef long long base = _check_stream(stream) << 32
    cdef Py_ssize_t count = len(records)
    cdef Py_ssize_t index
    cdef long long seq, first_seq = C_MAX_SEQ + 1, last_seq = 0
    cdef double sending_time, min_time = float("inf"), max_time = float("-inf")
    cdef list rows = []
    cdef set types = set()
    cdef object record, msg_type, data
    if count == 0:
        raise ValueError("pack_records: empty batch (records has no entries)")
    for index in range(count):
        record = records[index]
        seq_obj, msg_type, time_obj, data = record
        seq = _check_seq(seq_obj, index)
        _check_msg_type(msg_type, index)
        if not PyBytes_Check(data):
            raise ValueError(f"record {index}: data must be bytes, got {type(data).__name__}")
        sending_time = float(time_obj)
        rows.append(_row(base | seq, msg_type, sending_time, data))
        types.add(msg_type)
        if seq < first_seq:
            first_seq = seq
        if seq > last_seq:
            last_seq = seq
        if sending_time < min_time:
            min_time = sending_time
        if sending_time > max_time:
            max_time = sending_time
    return rows, (first_seq, last_seq, min_time, max_time, "," + ",".join(sorted(types)) + ",")


def records_from_buffer(buffer, offsets, lengths, seq_nums, msg_types, sending_times):
    """Records (seq_num, msg_type, sending_time, data) of the frames at ``offsets``/``lengths`` in ``buffer``.

    Raises ValueError when the arrays differ in length or a frame lies outside the buffer (naming the frame).
    """
    cdef Py_ssize_t count = len(offsets)
    cdef Py_ssize_t index, size = len(buffer)
    cdef object offset, length
    for name, column in (("lengths", lengths), ("seq_nums", seq_nums), ("msg_types", msg_types),
                         ("sending_times", sending_times)):
        if len(column) != count:
            raise ValueError(f"records_from_buffer: {name} has {len(column)} entries, offsets has {count}")
    cdef list records = []
    for index in range(count):
        offset = int(offsets[index])
        length = int(lengths[index])
        if offset < 0 or length < 0 or offset + length > size:
            raise ValueError(
                f"frame {index}: offset {offset} + length {length} lies outside the buffer of {size} bytes"
            )
        records.append(
            (int(seq_nums[index]), msg_types[index], float(sending_times[index]),
             bytes(buffer[offset : offset + length]))
        )
    return records


cdef long long _check_run_numbers(offsets, lengths, msg_types, first_seq) except? -1:
    """The column and MsgSeqNum checks of a run (pack_run, pack_run_blob): its first MsgSeqNum."""
    cdef Py_ssize_t count = len(offsets)
    if len(lengths) != count or len(msg_types) != count:
        raise ValueError(
            f"pack_run: {count} offsets, {len(lengths)} lengths and {len(msg_types)} msg_types must match"
        )
    if count == 0:
        raise ValueError("pack_run: empty run (offsets has no entries)")
    cdef long long first = _check_seq(first_seq, 0)
    _check_seq(first + count - 1, count - 1)
    return first


def pack_run(stream, buffer, offsets, lengths, first_seq, msg_types, sending_time):
    """Rows and summary of consecutive frames read straight from ``buffer`` (see the pure twin)."""
    cdef long long base = _check_stream(stream) << 32
    cdef Py_ssize_t count = len(offsets)
    cdef long long first = _check_run_numbers(offsets, lengths, msg_types, first_seq)
    cdef const long long[::1] offs = np.ascontiguousarray(offsets, dtype=np.int64)
    cdef const long long[::1] lens = np.ascontiguousarray(lengths, dtype=np.int64)
    cdef const unsigned char[::1] buf = buffer
    cdef Py_ssize_t size = buf.shape[0], index
    cdef long long offset, length
    cdef double when = float(sending_time)
    cdef list rows = []
    cdef object msg_type, data
    for index in range(count):
        offset, length = offs[index], lens[index]
        if offset < 0 or length < 0 or offset + length > size:
            raise ValueError(
                f"frame {index}: offset {offset} + length {length} lies outside the buffer of {size} bytes"
            )
        msg_type = msg_types[index]
        _check_msg_type(msg_type, index)
        data = PyBytes_FromStringAndSize(<const char*>&buf[offset] if length else NULL, <Py_ssize_t>length)
        rows.append(_row(base | (first + index), msg_type, when, data))
    types = "," + ",".join(sorted(set(msg_types))) + ","
    return rows, (first, first + count - 1, when, when, types)


def statement_params(rows, per_statement):
    """Parameters of each full group of ``per_statement`` rows laid end to end, and the rows left over (see the
    pure twin)."""
    cdef Py_ssize_t per = per_statement
    if per < 1:
        raise ValueError(f"statement_params: per_statement = {per_statement} must be at least 1")
    cdef Py_ssize_t count = len(rows)
    cdef Py_ssize_t full = count - count % per
    cdef Py_ssize_t start, index, width, column, slot
    cdef list groups = []
    cdef list params
    cdef tuple row
    cdef object value
    cdef list group_rows = [None] * (per if full else 0)
    for start in range(0, full, per):
        # rows are taken once each (as tuples, any width: 4 for the messages table), then sized and copied
        width = 0
        for index in range(per):
            row = tuple(rows[start + index])
            group_rows[index] = row
            width += len(row)
        params = PyList_New(width)
        slot = 0
        for index in range(per):
            row = <tuple>group_rows[index]
            for column in range(len(row)):
                value = row[column]
                Py_INCREF(value)
                PyList_SET_ITEM(params, slot, value)
                slot += 1
        groups.append(params)
    return groups, list(rows[full:])


cdef inline void _digits(unsigned char* out, long long value, int width) noexcept:
    """``value`` (0 <= value < 10**width) as ``width`` ASCII digits, zero-padded, at ``out``."""
    cdef int place
    for place in range(width - 1, -1, -1):
        out[place] = 48 + <unsigned char>(value % 10)
        value //= 10


def pack_run_blob(stream, buffer, offsets, lengths, first_seq, msg_types, sending_time):
    """The run of ``pack_run`` packed for SQLite to split: ((first_key, count, frames, index, stride), summary)
    (see the pure twin for the index layout)."""
    cdef long long base = _check_stream(stream) << 32
    cdef Py_ssize_t count = len(offsets)
    cdef long long first = _check_run_numbers(offsets, lengths, msg_types, first_seq)
    cdef double when = float(sending_time)
    cdef const long long[::1] offs = np.ascontiguousarray(offsets, dtype=np.int64)
    cdef const long long[::1] lens = np.ascontiguousarray(lengths, dtype=np.int64)
    cdef const unsigned char[::1] buf = buffer
    cdef Py_ssize_t size = buf.shape[0], index, width = 0, total = 0
    cdef long long offset, length
    cdef list encoded = [None] * count
    cdef bytes name
    for index in range(count):
        offset, length = offs[index], lens[index]
        if offset < 0 or length < 0 or offset + length > size:
            raise ValueError(
                f"frame {index}: offset {offset} + length {length} lies outside the buffer of {size} bytes"
            )
        _check_msg_type(msg_types[index], index)
        total += length
    for index in range(count):  # after every check, as the pure twin does
        name = (<str>msg_types[index]).encode()
        encoded[index] = name
        if len(name) > width:
            width = len(name)
    if width >= 10000:
        at = next(i for i, item in enumerate(encoded) if len(item) == width)
        raise ValueError(f"record {at}: MsgType(35) of {width} bytes is longer than 9999")
    if total >= 10_000_000_000:
        raise ValueError(f"pack_run_blob: the run's frames total {total} bytes, more than the index can address")
    cdef Py_ssize_t stride = 24 + width
    cdef bytes frames = PyBytes_FromStringAndSize(NULL, total)
    cdef bytes index_bytes = PyBytes_FromStringAndSize(NULL, stride * count)
    cdef unsigned char* out_frames = <unsigned char*>PyBytes_AS_STRING(frames)
    cdef unsigned char* entry = <unsigned char*>PyBytes_AS_STRING(index_bytes)
    cdef const unsigned char* type_bytes
    cdef Py_ssize_t position = 0, type_length
    for index in range(count):
        length = lens[index]
        if length:
            memcpy(out_frames + position, &buf[offs[index]], <size_t>length)
        name = <bytes>encoded[index]
        type_length = len(name)
        type_bytes = <const unsigned char*>PyBytes_AS_STRING(name)
        _digits(entry, position + 1, 10)
        _digits(entry + 10, length, 10)
        _digits(entry + 20, type_length, 4)
        memcpy(entry + 24, type_bytes, <size_t>type_length)
        memset(entry + 24 + type_length, 32, <size_t>(width - type_length))
        entry += stride
        position += length
    types = "," + ",".join(sorted(set(msg_types))) + ","
    return (base | first, count, frames, index_bytes, stride), (first, first + count - 1, when, when, types)
