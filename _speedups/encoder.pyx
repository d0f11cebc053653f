# cython: language_level=3
"""Compiled encoding of FIX frames (the fast twin of :mod:`pyfixmsg_plus.message.encoder_py`).

Same functions and results as the pure module. The common field types (exact str, bytes, int, bool and finite
float values without an exponent, with int tags) are written straight into one C buffer; every other type goes through the pure ``encode_value``, so the two
can only differ in speed. BodyLength(9) and CheckSum(10) are computed over the C buffer.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from libc.stdlib cimport free, malloc, realloc
from libc.math cimport floor, isfinite, nearbyint
from libc.stdint cimport int64_t
from libc.string cimport memchr, memcpy, memset

from pyfixmsg_plus.message import encoder_py as _py
from pyfixmsg_plus.message.encoder_py import FRAMING_TAGS, PRECISION_DIGITS, format_utc_timestamp

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size) except NULL
    long long PyLong_AsLongLongAndOverflow(object value, int* overflow) except? -1

cdef enum:
    STACK_SIZE = 1024
    # Room kept in front of the body for "8=<BeginString><sep>9=<BodyLength><sep>" (BeginString added on top).
    HEADER_ROOM = 32


cdef struct Output:
    char* data       # stack or heap storage
    Py_ssize_t size  # bytes written
    Py_ssize_t capacity
    bint on_heap


cdef inline void start_output(Output* out, char* storage, Py_ssize_t capacity) noexcept:
    out.data = storage
    out.size = 0
    out.capacity = capacity
    out.on_heap = False


cdef inline int reserve(Output* out, Py_ssize_t extra) except -1:
    """Make room for ``extra`` more bytes (inline: it runs before every write; growing is the rare case)."""
    if out.size + extra <= out.capacity:
        return 0
    return grow(out, extra)


cdef int grow(Output* out, Py_ssize_t extra) except -1:
    """Room for ``extra`` more bytes, moving to (or growing) heap storage geometrically."""
    cdef Py_ssize_t wanted = out.size + extra
    cdef Py_ssize_t capacity = out.capacity
    cdef char* grown
    while capacity < wanted:
        capacity *= 2
    if out.on_heap:
        grown = <char*>realloc(out.data, <size_t>capacity)
    else:
        grown = <char*>malloc(<size_t>capacity)
        if grown != NULL:
            memcpy(grown, out.data, <size_t>out.size)
    if grown == NULL:
        raise MemoryError(f"cannot grow the encode buffer to {capacity} bytes")
    out.data = grown
    out.capacity = capacity
    out.on_heap = True
    return 0


cdef inline int write(Output* out, const char* data, Py_ssize_t size) except -1:
    reserve(out, size)
    memcpy(out.data + out.size, data, <size_t>size)
    out.size += size
    return 0


cdef int write_int(Output* out, long long value) except -1:
    """Decimal digits of ``value`` (with '-' when negative)."""
    cdef char digits[24]
    cdef int i = 24
    cdef unsigned long long magnitude = <unsigned long long>(-(value + 1)) + 1 if value < 0 else <unsigned long long>value
    while True:
        i -= 1
        digits[i] = <char>(48 + magnitude % 10)
        magnitude //= 10
        if magnitude == 0:
            break
    if value < 0:
        i -= 1
        digits[i] = b'-'
    return write(out, digits + i, 24 - i)


cdef inline int write_byte(Output* out, char byte) except -1:
    reserve(out, 1)
    out.data[out.size] = byte
    out.size += 1
    return 0


cdef int write_value(Output* out, object tag, object value) except -1:
    """The wire bytes of ``value``: exact str/bytes/int/bool and finite floats written directly, anything else
    through the pure encode_value (the same bytes: the pure twin is the specification)."""
    cdef Py_ssize_t size
    cdef const char* text
    cdef int overflow = 0
    cdef long long number
    cdef bytes encoded
    if type(value) is str:
        try:
            text = PyUnicode_AsUTF8AndSize(value, &size)
        except UnicodeEncodeError:
            _py.encode_field_value(tag, value)  # raises the same error as the pure twin
            raise
        return write(out, text, size)
    if type(value) is bytes:
        return write(out, PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))
    if type(value) is int:
        number = PyLong_AsLongLongAndOverflow(value, &overflow)
        if not overflow:
            return write_int(out, number)
    elif type(value) is bool:
        return write_byte(out, b'Y' if value is True else b'N')  # FIX Boolean
    elif type(value) is float and isfinite(<double>value):
        # repr is the shortest text that round-trips; with an exponent the pure twin rewrites it positionally
        shortest = repr(value)
        text = PyUnicode_AsUTF8AndSize(shortest, &size)
        if memchr(text, b'e', <size_t>size) == NULL and memchr(text, b'E', <size_t>size) == NULL:
            return write(out, text, size)
    encoded = _py.encode_field_value(tag, value)
    return write(out, PyBytes_AS_STRING(encoded), PyBytes_GET_SIZE(encoded))


cdef int write_fields(Output* out, object fields, char sep) except -1:
    """``tag=value<sep>`` for each (tag, value); tags 8, 9, 10 and non-positive tags refused as the pure twin."""
    cdef long long tag_number
    cdef int overflow = 0
    for tag, value in fields:
        if type(tag) is int:
            tag_number = PyLong_AsLongLongAndOverflow(tag, &overflow)
            if overflow or tag_number <= 0 or tag_number == 8 or tag_number == 9 or tag_number == 10:
                _py._check_tag(tag)  # raises the pure twin's error
        else:
            tag_number = _py._check_tag(tag)
        write_int(out, tag_number)
        write_byte(out, b'=')
        write_value(out, tag, value)
        write_byte(out, sep)
    return 0


cdef unsigned int soh_sum(const unsigned char* data, Py_ssize_t size, unsigned char sep) noexcept nogil:
    """Sum of ``data`` with every ``sep`` byte counted as SOH (0x01), mod 2**32.

    Written as a plain byte sum plus a correction, two loops the C compiler vectorises."""
    cdef unsigned int total = 0
    cdef size_t separators = 0
    cdef Py_ssize_t i
    for i in range(size):
        total += data[i]
    if sep != 1:
        for i in range(size):
            separators += data[i] == sep
        total += <unsigned int>separators * (1 - <unsigned int>sep)
    return total


cdef frozenset BYTE_VALUES = frozenset(range(256))


cdef inline unsigned char checked_sep(object sep) except? 0:
    """``sep`` as a byte; anything but an int 0..255 is refused with the pure twin's error."""
    if type(sep) is not int or sep not in BYTE_VALUES:
        sep = _py._check_sep(sep)  # raises, or accepts an int subclass as the twin does
    return <unsigned char>sep


def encode_value(value):
    """The FIX wire bytes of one field value (see encoder_py.encode_value)."""
    if type(value) is bytes:
        return value
    if type(value) is str:
        return (<str>value).encode("utf-8")
    return _py.encode_value(value)


def encode_body(fields, sep=1):
    """``tag=value<sep>`` for each ``(tag, value)`` in order; tags 8, 9 and 10 are refused (ValueError)."""
    cdef char stack[STACK_SIZE]
    cdef Output out
    cdef unsigned char sep_byte = checked_sep(sep)
    start_output(&out, &stack[0], STACK_SIZE)
    try:
        write_fields(&out, fields, <char>sep_byte)
        return PyBytes_FromStringAndSize(out.data, out.size)
    finally:
        if out.on_heap:
            free(out.data)


def encode_message(begin_string, fields, sep=1):
    """A complete frame with BodyLength(9) and CheckSum(10) (see encoder_py.encode_message)."""
    cdef bytes begin
    if isinstance(begin_string, str):
        begin = begin_string.encode("ascii")
    elif isinstance(begin_string, (bytes, bytearray)):
        begin = bytes(begin_string)
    else:
        raise TypeError(f"begin_string must be str or bytes, got {type(begin_string).__name__}")
    cdef unsigned char sep_byte = checked_sep(sep)
    cdef Py_ssize_t room = HEADER_ROOM + PyBytes_GET_SIZE(begin)
    cdef char stack[STACK_SIZE]
    cdef Output out
    start_output(&out, &stack[0], STACK_SIZE)
    try:
        reserve(&out, room)  # a BeginString longer than the stack moves to the heap at once
        out.size = room
        write_fields(&out, fields, <char>sep_byte)
        return framed(&out, room, begin, sep_byte)
    finally:
        if out.on_heap:
            free(out.data)


cdef bytes framed(Output* out, Py_ssize_t room, bytes begin, unsigned char sep_byte):
    """The frame of the body written in ``out`` after ``room`` bytes kept free (HEADER_ROOM plus the
    BeginString's size): BeginString(8) and BodyLength(9) put in front of it, CheckSum(10) after it."""
    cdef Py_ssize_t start, body_length = out.size - room
    cdef unsigned int total
    cdef Output head
    cdef char head_stack[HEADER_ROOM]
    # The header is written into its own small buffer, then copied right before the body.
    start_output(&head, &head_stack[0], HEADER_ROOM)
    try:
        write(&head, b"8=", 2)
        write(&head, PyBytes_AS_STRING(begin), PyBytes_GET_SIZE(begin))
        write_byte(&head, <char>sep_byte)
        write(&head, b"9=", 2)
        write_int(&head, body_length)
        write_byte(&head, <char>sep_byte)
        start = room - head.size
        memcpy(out.data + start, head.data, <size_t>head.size)
    finally:
        if head.on_heap:
            free(head.data)
    total = soh_sum(<const unsigned char*>out.data + start, out.size - start, sep_byte) & 0xFF
    reserve(out, 8)
    write(out, b"10=", 3)
    write_byte(out, <char>(48 + total // 100))
    write_byte(out, <char>(48 + total // 10 % 10))
    write_byte(out, <char>(48 + total % 10))
    write_byte(out, <char>sep_byte)
    return PyBytes_FromStringAndSize(out.data + start, out.size - start)


cdef int64_t US_PER_SECOND = 1000000
# |now| in seconds below which now * 1e6 and its rounding fit an int64 exactly as Python's round() gives them
cdef double MAX_SECONDS = 9.0e12
cdef enum:
    PREFIX_ROOM = 48  # bytes of YYYYMMDD-HH:MM:SS (17) written in place; longer goes the pure way


cdef class SendingTimeFormat:
    """SendingTime(52) values for a clock that moves forward (see encoder_py.SendingTimeFormat): the date and
    time of day formatted once per second, the fraction written here per call. Any ``now`` that is not a float
    of a plausible size goes to the pure twin's arithmetic, so the two give the same bytes."""

    cdef int64_t _second
    cdef bytes _prefix

    def __init__(self):
        self._second = -1
        self._prefix = b""

    def __call__(self, now, precision):
        """``now`` (seconds since the epoch) as a UTCTimestamp with ``precision`` ("s", "ms", "us", "ns")."""
        return self.formatted(now, precision)

    cdef bytes formatted(self, now, precision):
        """:meth:`__call__` without a Python call (for AppFrameEncoder)."""
        cdef double seconds, scaled
        cdef int64_t total, second, micros, fraction
        cdef int digits, k
        cdef char text[PREFIX_ROOM + 16]
        if type(now) is not float:
            return self._slow(now, precision)
        seconds = now
        if not (-MAX_SECONDS < seconds < MAX_SECONDS):
            return self._slow(now, precision)
        # Python's round(): to nearest, ties to even (nearbyint in the default rounding mode); divmod floors
        scaled = nearbyint(seconds * 1e6)
        total = <int64_t>scaled
        second = <int64_t>floor(<double>total / US_PER_SECOND)
        micros = total - second * US_PER_SECOND
        if micros < 0:
            second -= 1
            micros += US_PER_SECOND
        elif micros >= US_PER_SECOND:
            second += 1
            micros -= US_PER_SECOND
        if precision == "ms":
            digits, fraction = 3, micros // 1000
        elif precision == "us":
            digits, fraction = 6, micros
        elif precision == "ns":
            digits, fraction = 9, micros * 1000
        elif precision == "s":
            digits, fraction = 0, 0
        else:
            return self._slow(now, precision)  # the pure twin's error names the precision
        if second != self._second:
            # Python ints: nanoseconds of years past 2262 do not fit an int64
            self._prefix = format_utc_timestamp(<object>second * 1000000000, "s")
            self._second = second
        if digits == 0:
            return self._prefix
        cdef bytes prefix = self._prefix
        cdef Py_ssize_t size = PyBytes_GET_SIZE(prefix)
        if size > PREFIX_ROOM:
            return self._slow(now, precision)
        memcpy(text, PyBytes_AS_STRING(prefix), <size_t>size)
        text[size] = b"."
        for k in range(size + digits, size, -1):
            text[k] = <char>(48 + fraction % 10)
            fraction //= 10
        return PyBytes_FromStringAndSize(text, size + digits + 1)

    cdef object _slow(self, now, precision):
        """The pure twin's answer (a fresh one: this formatter's cached second stays as it was)."""
        return _py.SendingTimeFormat()(now, precision)


cdef enum:
    REFUSED_BITS = 1024  # tags below this are looked up in a bitmap; others in the frozenset


cdef class AppFrameEncoder:
    """Frames of one session's application sends (see encoder_py.AppFrameEncoder: same results). The header's
    fixed parts (``8=<begin>``, ``49=<SenderCompID>|52=``, ``56=<TargetCompID>|``) are bytes made once; a
    message writes MsgType(35), MsgSeqNum(34), SendingTime(52) and its fields into one C buffer, with no field
    list built, and header or trailer tags among the fields are found in a bitmap."""

    cdef bytes _begin
    cdef bytes _sender_part   # SOH "49=" SenderCompID(49) SOH "52="
    cdef bytes _target_part   # SOH "56=" TargetCompID(56) SOH
    cdef object _precision
    cdef frozenset _refused
    cdef unsigned char _refused_bits[REFUSED_BITS]
    cdef SendingTimeFormat _sending_time

    def __init__(self, begin_string, sender_comp_id, target_comp_id, precision, refused_tags=()):
        cdef Py_ssize_t tag
        if isinstance(begin_string, str):
            self._begin = begin_string.encode("ascii")
        elif isinstance(begin_string, (bytes, bytearray)):
            self._begin = bytes(begin_string)
        else:
            raise TypeError(f"begin_string must be str or bytes, got {type(begin_string).__name__}")
        # the pure twin's bytes for these values (it encodes them per message, with the same result)
        self._sender_part = b"\x0149=" + _py.encode_field_value(49, sender_comp_id) + b"\x0152="
        self._target_part = b"\x0156=" + _py.encode_field_value(56, target_comp_id) + b"\x01"
        self._precision = precision
        self._refused = frozenset(refused_tags)
        memset(self._refused_bits, 0, REFUSED_BITS)
        for item in self._refused:
            if type(item) is int and 0 <= item < REFUSED_BITS:
                tag = item
                self._refused_bits[tag] = 1
        self._sending_time = SendingTimeFormat()

    cdef bint _refuses_any(self, fields) except -1:
        """True when a field's tag is one of the refused tags (``isdisjoint`` of the pure twin)."""
        cdef long long tag
        cdef int overflow = 0
        for field in fields:
            item = field[0]
            if type(item) is int:
                tag = PyLong_AsLongLongAndOverflow(item, &overflow)
                if not overflow and 0 <= tag < REFUSED_BITS:
                    if self._refused_bits[tag]:
                        return True
                    continue
            if item in self._refused:
                return True
        return False

    def encode(self, msg_type, seqnum, now, fields):
        """The frame of one application message, or None when a tag of ``fields`` is refused (see the pure
        twin). A value that does not encode raises as encode_message does."""
        if self._refuses_any(fields):
            return None
        cdef bytes sending_time = self._sending_time.formatted(now, self._precision)
        cdef Py_ssize_t room = HEADER_ROOM + PyBytes_GET_SIZE(self._begin)
        cdef char stack[STACK_SIZE]
        cdef Output out
        start_output(&out, &stack[0], STACK_SIZE)
        try:
            reserve(&out, room)
            out.size = room
            write(&out, b"35=", 3)
            write_value(&out, 35, msg_type)
            write(&out, b"\x0134=", 4)
            write_value(&out, 34, seqnum)
            write(&out, PyBytes_AS_STRING(self._sender_part), PyBytes_GET_SIZE(self._sender_part))
            write(&out, PyBytes_AS_STRING(sending_time), PyBytes_GET_SIZE(sending_time))
            write(&out, PyBytes_AS_STRING(self._target_part), PyBytes_GET_SIZE(self._target_part))
            write_fields(&out, fields, 1)
            return framed(&out, room, self._begin, 1)
        finally:
            if out.on_heap:
                free(out.data)


__all__ = ["FRAMING_TAGS", "PRECISION_DIGITS", "AppFrameEncoder", "SendingTimeFormat", "encode_body", "encode_message",
           "encode_value", "format_utc_timestamp"]
