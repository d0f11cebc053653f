# cython: language_level=3
"""Compiled framing: split a received byte stream into FIX frames (the fast twin).

Same functions, classes and results as :mod:`pyfixmsg_plus.message.framing_py`, which is the readable
specification (read its module docstring for the checks and their order). The split loop creates no Python object
per frame: it scans with memchr over the bytes object's storage and writes the results through raw pointers, first
into room for 16 spans inside the splitter (a socket read in a request/response exchange holds one or two frames:
the FrameIndex then costs one exact-size numpy array per column, about 1.2 us in all), past that into numpy arrays
that grow geometrically. Every read is guarded by an explicit index < n test; in an AddressSanitizer
build (PYFIXMSG_PLUS_BOUNDS_CHECK=1) the input is first copied into an exactly-sized heap block so that ASan would
report any read past its end.
"""

from cpython.buffer cimport PyBUF_FORMAT, PyBUF_ND, PyBUF_STRIDES, PyBUF_WRITABLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE, _PyBytes_Resize
from cpython.ref cimport Py_DECREF, Py_INCREF, PyObject
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcmp, memcpy, memset

import numpy as np

from pyfixmsg_plus.message import framing_py as _py
from pyfixmsg_plus.message.framing_py import (
    ABSURD_BODYLENGTH,
    BAD_BEGINSTRING,
    BAD_BODYLENGTH_TAG,
    BAD_BODYLENGTH_VALUE,
    BAD_CHECKSUM_FIELD,
    BAD_LENGTH,
    BAD_MSGTYPE,
    CHECKSUM_MISMATCH,
    DEFAULT_MAX_BODY_LENGTH,
    DEFAULT_READ_SIZE,
    FRAME_START,
    GARBAGE,
    MAX_BEGINSTRING_LENGTH,
    MAX_BODYLENGTH_DIGITS,
    MAX_SEQNUM_DIGITS,
    MSGTYPE_WIDTH,
    OK,
    REASON_NAMES,
    FrameIndex,
    format_checksum,
)

cdef extern from *:
    """
    #if defined(__SANITIZE_ADDRESS__)
    #define PFM_ASAN_BUILD 1
    #else
    #define PFM_ASAN_BUILD 0
    #endif

    /* Plain loops the C compiler vectorises: the byte sum (FIX CheckSum(10)) and a byte count. */
    static inline unsigned int pfm_byte_sum(const unsigned char *p, size_t n) {
        unsigned int total = 0;
        for (size_t i = 0; i < n; i++) total += p[i];
        return total;
    }
    static inline size_t pfm_byte_count(const unsigned char *p, size_t n, unsigned char c) {
        size_t found = 0;
        for (size_t i = 0; i < n; i++) found += (p[i] == c);
        return found;
    }
    """
    int PFM_ASAN_BUILD
    unsigned int pfm_byte_sum(const unsigned char *p, size_t n) nogil
    size_t pfm_byte_count(const unsigned char *p, size_t n, unsigned char c) nogil

ctypedef const unsigned char* cbuf

cdef enum:
    C_OK = 0
    C_GARBAGE = 1
    C_BAD_BEGINSTRING = 2
    C_BAD_BODYLENGTH_TAG = 3
    C_BAD_BODYLENGTH_VALUE = 4
    C_ABSURD_BODYLENGTH = 5
    C_BAD_MSGTYPE = 6
    C_BAD_LENGTH = 7
    C_BAD_CHECKSUM_FIELD = 8
    C_CHECKSUM_MISMATCH = 9
    C_INCOMPLETE = -1
    C_MSGTYPE_WIDTH = 8
    C_START_LENGTH = 5
    C_MAX_BODYLENGTH_DIGITS = 16

# Values above this cannot matter: BodyLength(9) has at most MAX_BODYLENGTH_DIGITS (16) digits.
cdef int64_t BODY_LENGTH_CEILING = 10 ** 16
assert C_MSGTYPE_WIDTH == MSGTYPE_WIDTH and MAX_BODYLENGTH_DIGITS == 16
assert (C_OK, C_GARBAGE, C_BAD_BEGINSTRING, C_CHECKSUM_MISMATCH) == (OK, GARBAGE, BAD_BEGINSTRING, CHECKSUM_MISMATCH)

cdef int C_MAX_BEGINSTRING = MAX_BEGINSTRING_LENGTH
cdef int C_MAX_SEQNUM_DIGITS = MAX_SEQNUM_DIGITS


cdef struct Parsed:
    Py_ssize_t end           # index just past the frame
    Py_ssize_t type_start    # MsgType(35) value start
    Py_ssize_t type_length
    int64_t seqnum           # MsgSeqNum(34) or -1


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return c >= 48 and c <= 57


cdef inline Py_ssize_t find_byte(cbuf buf, Py_ssize_t lo, Py_ssize_t hi, unsigned char c) noexcept nogil:
    """Index of the first ``c`` in buf[lo:hi], or -1."""
    if lo >= hi:
        return -1
    cdef const void* at = memchr(buf + lo, c, <size_t>(hi - lo))
    return -1 if at == NULL else <Py_ssize_t>(<cbuf>at - buf)


cdef inline Py_ssize_t find_byte_near(cbuf buf, Py_ssize_t lo, Py_ssize_t hi, unsigned char c) noexcept nogil:
    """find_byte for a byte expected within a few bytes of ``lo`` (a field's separator): a plain loop, which beats
    a memchr call on such short distances."""
    while lo < hi:
        if buf[lo] == c:
            return lo
        lo += 1
    return -1


cdef Py_ssize_t find_frame_start(cbuf buf, Py_ssize_t lo, Py_ssize_t n) noexcept nogil:
    """Index of the first complete ``8=FIX`` in buf[lo:n], or -1."""
    cdef Py_ssize_t at
    while True:
        at = find_byte(buf, lo, n - C_START_LENGTH + 1, b'8')
        if at < 0:
            return -1
        if memcmp(buf + at, b"8=FIX", C_START_LENGTH) == 0:
            return at
        lo = at + 1


cdef Py_ssize_t partial_start_length(cbuf buf, Py_ssize_t lo, Py_ssize_t n) noexcept nogil:
    """Length of the longest tail of buf[lo:n] that is a proper prefix of ``8=FIX`` (0..4)."""
    cdef Py_ssize_t k = C_START_LENGTH - 1
    if k > n - lo:
        k = n - lo
    while k > 0:
        if memcmp(buf + n - k, b"8=FIX", <size_t>k) == 0:
            return k
        k -= 1
    return 0


cdef Py_ssize_t skip_to_next_start(cbuf buf, Py_ssize_t after, Py_ssize_t n, bint final) noexcept nogil:
    cdef Py_ssize_t found = find_frame_start(buf, after, n)
    if found >= 0:
        return found
    if final:
        return n
    return n - partial_start_length(buf, after, n)


cdef inline int literal(cbuf buf, Py_ssize_t i, Py_ssize_t n, const char* text, Py_ssize_t size) noexcept nogil:
    """OK when buf[i:] starts with text, C_INCOMPLETE when the input ends inside a matching prefix, else -2."""
    cdef Py_ssize_t have = n - i
    if have > size:
        have = size
    if have > 0 and memcmp(buf + i, text, <size_t>have) != 0:
        return -2
    return C_OK if have == size else C_INCOMPLETE


cdef int64_t seqnum_in(cbuf buf, Py_ssize_t lo, Py_ssize_t hi, unsigned char sep) noexcept nogil:
    """MsgSeqNum(34) of the first ``<sep>34=`` in buf[lo:hi] (buf[hi-1] is a separator), or -1."""
    cdef Py_ssize_t at = lo, i, end
    cdef int64_t value = 0
    while True:
        at = find_byte_near(buf, at, hi - 3, sep)  # 34 is near the start of the body: short scans
        if at < 0:
            return -1
        if buf[at + 1] == b'3' and buf[at + 2] == b'4' and buf[at + 3] == b'=':
            break
        at += 1
    i = at + 4
    end = find_byte_near(buf, i, hi, sep)
    if end <= i or end - i > C_MAX_SEQNUM_DIGITS:
        return -1
    while i < end:
        if not is_digit(buf[i]):
            return -1
        value = value * 10 + (buf[i] - 48)
        i += 1
    return value


cdef int check_trailer(cbuf buf, Py_ssize_t trailer, Py_ssize_t n, unsigned char sep) noexcept nogil:
    """Check ``<sep>10=ddd<sep>`` at ``trailer``: OK, a reason code, or minus the reason if the input ends first."""
    cdef unsigned char expected[4]
    cdef Py_ssize_t k, at
    expected[0] = sep
    expected[1] = b'1'
    expected[2] = b'0'
    expected[3] = b'='
    for k in range(4):
        at = trailer - 1 + k
        if at >= n:
            return -C_BAD_LENGTH
        if buf[at] != expected[k]:
            return C_BAD_LENGTH
    for at in range(trailer + 3, trailer + 6):
        if at >= n:
            return -C_BAD_CHECKSUM_FIELD
        if not is_digit(buf[at]):
            return C_BAD_CHECKSUM_FIELD
    if trailer + 6 >= n:
        return -C_BAD_CHECKSUM_FIELD
    return C_OK if buf[trailer + 6] == sep else C_BAD_CHECKSUM_FIELD


cdef inline unsigned int sum_as_soh(cbuf buf, Py_ssize_t start, Py_ssize_t end, unsigned char sep) noexcept nogil:
    """Sum of buf[start:end] mod 256, each ``sep`` byte counted as SOH (0x01)."""
    cdef unsigned int total = pfm_byte_sum(buf + start, <size_t>(end - start))
    if sep != 1:
        total += <unsigned int>pfm_byte_count(buf + start, <size_t>(end - start), sep) * <unsigned int>(1 - sep)
    return total & 0xFF


cdef inline int cut(int reason, bint final) noexcept nogil:
    return reason if final else C_INCOMPLETE


cdef int parse_frame(cbuf buf, Py_ssize_t p, Py_ssize_t n, unsigned char sep, int64_t max_body, bint final,
                     Parsed* out) noexcept nogil:
    """Check the frame whose ``8=FIX`` is at ``p`` (see framing_py._parse_frame): OK, a reason or C_INCOMPLETE."""
    cdef Py_ssize_t i, start, body, trailer, type_end, window
    cdef int64_t length = 0
    cdef int found
    cdef unsigned int claimed
    # BeginString(8): its separator within MAX_BEGINSTRING_LENGTH bytes of the value's start.
    window = p + 3 + C_MAX_BEGINSTRING
    i = find_byte_near(buf, p + C_START_LENGTH, n if n < window else window, sep)
    if i < 0:
        return C_BAD_BEGINSTRING if window <= n else cut(C_BAD_BEGINSTRING, final)
    # BodyLength(9) must be the second field: digits only, bounded.
    found = literal(buf, i + 1, n, b"9=", 2)
    if found != C_OK:
        return cut(C_BAD_BODYLENGTH_TAG, final) if found == C_INCOMPLETE else C_BAD_BODYLENGTH_TAG
    i += 3
    start = i
    while True:
        if i >= n:
            return cut(C_BAD_BODYLENGTH_VALUE, final)
        if not is_digit(buf[i]):
            break
        length = length * 10 + (buf[i] - 48)
        i += 1
        if length > max_body or i - start > C_MAX_BODYLENGTH_DIGITS:
            return C_ABSURD_BODYLENGTH
    if i == start or buf[i] != sep:
        return C_BAD_BODYLENGTH_VALUE
    body = i + 1
    trailer = body + <Py_ssize_t>length
    # MsgType(35) must open the body and end inside it.
    found = literal(buf, body, n, b"35=", 3)
    if found != C_OK:
        return cut(C_BAD_MSGTYPE, final) if found == C_INCOMPLETE else C_BAD_MSGTYPE
    type_end = find_byte_near(buf, body + 3, n if n < trailer else trailer, sep)
    if type_end < 0:
        return C_BAD_MSGTYPE if n >= trailer else cut(C_BAD_MSGTYPE, final)
    if type_end == body + 3:
        return C_BAD_MSGTYPE
    found = check_trailer(buf, trailer, n, sep)
    if found < 0:
        return cut(-found, final)
    if found != C_OK:
        return found
    claimed = (buf[trailer + 3] - 48) * 100 + (buf[trailer + 4] - 48) * 10 + (buf[trailer + 5] - 48)
    if sum_as_soh(buf, p, trailer, sep) != claimed:
        return C_CHECKSUM_MISMATCH
    out.end = trailer + 7
    out.type_start = body + 3
    out.type_length = type_end - body - 3
    out.seqnum = seqnum_in(buf, type_end, trailer, sep)
    return C_OK


cdef enum:
    # Spans kept inside _SpanArrays itself: a socket read usually holds a few frames, and a small split then
    # costs one exact-size numpy array per column instead of growable arrays, slices and views.
    SMALL_SPANS = 16

_empty = np.empty
cdef object DTYPE_INT64 = np.dtype(np.int64)
cdef object DTYPE_UINT8 = np.dtype(np.uint8)
cdef object DTYPE_BOOL = np.dtype(np.bool_)
cdef object DTYPE_MSGTYPE = np.dtype(f"S{C_MSGTYPE_WIDTH}")


cdef object exact_array(const void* source, Py_ssize_t count, object dtype, Py_ssize_t itemsize):
    """A new numpy array of ``count`` items of ``dtype`` holding ``count * itemsize`` bytes from ``source``."""
    array = _empty(count, dtype)
    cdef Py_buffer view
    if count:
        PyObject_GetBuffer(array, &view, PyBUF_WRITABLE)
        memcpy(view.buf, source, <size_t>(count * itemsize))
        PyBuffer_Release(&view)
    return array


cdef object valid_array(const uint8_t* reasons, Py_ssize_t count):
    """FrameIndex.valid: a new bool array, True where ``reasons`` is OK."""
    array = _empty(count, DTYPE_BOOL)
    cdef Py_buffer view
    cdef uint8_t* out
    cdef Py_ssize_t i
    if count:
        PyObject_GetBuffer(array, &view, PyBUF_WRITABLE)
        out = <uint8_t*>view.buf
        for i in range(count):
            out[i] = reasons[i] == C_OK
        PyBuffer_Release(&view)
    return array


cdef class _SpanArrays:
    """The spans of one split, written through raw pointers: first into small arrays inside this object, then,
    past SMALL_SPANS spans, into numpy arrays that grow geometrically."""

    cdef object offsets, lengths, seqnums, msgtypes, reasons  # numpy arrays once grown, else None
    cdef int64_t* p_offsets
    cdef int64_t* p_lengths
    cdef int64_t* p_seqnums
    cdef uint8_t* p_msgtypes
    cdef uint8_t* p_reasons
    cdef Py_ssize_t count, capacity, expected
    cdef int64_t small_offsets[SMALL_SPANS]
    cdef int64_t small_lengths[SMALL_SPANS]
    cdef int64_t small_seqnums[SMALL_SPANS]
    cdef uint8_t small_msgtypes[SMALL_SPANS * C_MSGTYPE_WIDTH]
    cdef uint8_t small_reasons[SMALL_SPANS]

    def __cinit__(self, Py_ssize_t expected):
        self.count = 0
        self.capacity = SMALL_SPANS
        self.expected = expected  # the first numpy allocation's size, when the small arrays overflow
        self.p_offsets = self.small_offsets
        self.p_lengths = self.small_lengths
        self.p_seqnums = self.small_seqnums
        self.p_msgtypes = self.small_msgtypes
        self.p_reasons = self.small_reasons
        memset(self.small_msgtypes, 0, sizeof(self.small_msgtypes))  # MsgType(35) values are zero-padded

    cdef int _allocate(self, Py_ssize_t capacity) except -1:
        """Move the spans so far into numpy arrays of ``capacity`` spans."""
        offsets = np.empty(capacity, dtype=np.int64)
        lengths = np.empty(capacity, dtype=np.int64)
        seqnums = np.empty(capacity, dtype=np.int64)
        msgtypes = np.zeros(capacity * C_MSGTYPE_WIDTH, dtype=np.uint8)
        reasons = np.empty(capacity, dtype=np.uint8)
        cdef int64_t[::1] v_offsets = offsets
        cdef int64_t[::1] v_lengths = lengths
        cdef int64_t[::1] v_seqnums = seqnums
        cdef uint8_t[::1] v_msgtypes = msgtypes
        cdef uint8_t[::1] v_reasons = reasons
        cdef size_t k = <size_t>self.count
        memcpy(&v_offsets[0], self.p_offsets, k * sizeof(int64_t))
        memcpy(&v_lengths[0], self.p_lengths, k * sizeof(int64_t))
        memcpy(&v_seqnums[0], self.p_seqnums, k * sizeof(int64_t))
        memcpy(&v_msgtypes[0], self.p_msgtypes, k * C_MSGTYPE_WIDTH)
        memcpy(&v_reasons[0], self.p_reasons, k)
        # the old arrays (if any) are released only after the copies above
        self.offsets, self.lengths, self.seqnums, self.msgtypes, self.reasons = (
            offsets, lengths, seqnums, msgtypes, reasons)
        self.p_offsets = &v_offsets[0]
        self.p_lengths = &v_lengths[0]
        self.p_seqnums = &v_seqnums[0]
        self.p_msgtypes = &v_msgtypes[0]
        self.p_reasons = &v_reasons[0]
        self.capacity = capacity
        return 0

    cdef inline int add(self, Py_ssize_t offset, Py_ssize_t length, int reason, cbuf msgtype,
                        Py_ssize_t msgtype_length, int64_t seqnum) except -1:
        # ``except -1`` rather than ``except *``: the caller tests the return value, not PyErr_Occurred()
        cdef Py_ssize_t i = self.count
        if i == self.capacity:
            self._allocate(max(self.capacity * 2, self.expected))
        self.p_offsets[i] = offset
        self.p_lengths[i] = length
        self.p_seqnums[i] = seqnum
        self.p_reasons[i] = <uint8_t>reason
        if msgtype_length > C_MSGTYPE_WIDTH:
            msgtype_length = C_MSGTYPE_WIDTH
        if msgtype_length > 0:
            memcpy(self.p_msgtypes + i * C_MSGTYPE_WIDTH, msgtype, <size_t>msgtype_length)
        self.count = i + 1
        return 0

    cdef object index(self, bytes buffer, Py_ssize_t consumed, int sep):
        cdef Py_ssize_t k = self.count
        valid = valid_array(self.p_reasons, k)
        if self.offsets is None:
            # still in the small arrays: copy them out, each FrameIndex owns its arrays
            return FrameIndex(
                buffer, consumed,
                exact_array(self.p_offsets, k, DTYPE_INT64, sizeof(int64_t)),
                exact_array(self.p_lengths, k, DTYPE_INT64, sizeof(int64_t)),
                exact_array(self.p_seqnums, k, DTYPE_INT64, sizeof(int64_t)),
                exact_array(self.p_msgtypes, k, DTYPE_MSGTYPE, C_MSGTYPE_WIDTH),
                exact_array(self.p_reasons, k, DTYPE_UINT8, 1),
                sep, valid,
            )
        return FrameIndex(
            buffer, consumed, self.offsets[:k], self.lengths[:k], self.seqnums[:k],
            self.msgtypes[:k * C_MSGTYPE_WIDTH].view(DTYPE_MSGTYPE), self.reasons[:k], sep, valid,
        )


cdef Py_ssize_t split_into(cbuf buf, Py_ssize_t n, unsigned char sep, int64_t max_body, bint final,
                           _SpanArrays spans) except -1:
    """The split loop (framing_py.split_frames): returns the number of bytes consumed."""
    cdef Py_ssize_t pos = 0, end
    cdef int verdict
    cdef Parsed parsed
    while pos < n:
        if n - pos >= C_START_LENGTH and memcmp(buf + pos, b"8=FIX", C_START_LENGTH) == 0:
            verdict = parse_frame(buf, pos, n, sep, max_body, final, &parsed)
            if verdict == C_OK:
                spans.add(pos, parsed.end - pos, C_OK, buf + parsed.type_start, parsed.type_length, parsed.seqnum)
                pos = parsed.end
                continue
            if verdict == C_INCOMPLETE:
                break
            # Resynchronise after the garbled frame's start, not its claimed end (see framing_py).
            end = skip_to_next_start(buf, pos + 1, n, final)
            spans.add(pos, end - pos, verdict, NULL, 0, -1)
            pos = end
            continue
        if not final and n - pos < C_START_LENGTH and memcmp(buf + pos, b"8=FIX", <size_t>(n - pos)) == 0:
            break  # a partial "8=FIX" that the next read may complete
        end = skip_to_next_start(buf, pos + 1, n, final)
        verdict = C_BAD_BEGINSTRING if n - pos >= 2 and buf[pos] == b'8' and buf[pos + 1] == b'=' else C_GARBAGE
        spans.add(pos, end - pos, verdict, NULL, 0, -1)
        pos = end
    return pos


cdef frozenset SEPARATORS = frozenset(v for v in range(256) if v not in b"0123456789=")


cdef inline unsigned char checked_separator(object sep) except? 0:
    """``sep`` as a byte, refused (the pure twin's ValueError) unless an int allowed as separator."""
    if type(sep) is not int or sep not in SEPARATORS:
        sep = _py._check_separator(sep)  # raises, or accepts an int subclass as the twin does
    return <unsigned char>sep


cdef inline int64_t checked_max_body(object max_body_length) except? -1:
    """``max_body_length`` (bytes) capped at BODY_LENGTH_CEILING, refused as the pure twin does when invalid."""
    if type(max_body_length) is not int or max_body_length < 0:
        max_body_length = _py._check_max_body_length(max_body_length)
    return min(max_body_length, BODY_LENGTH_CEILING)


cdef inline bytes as_bytes(object data):
    return <bytes>data if type(data) is bytes else _py._as_bytes(data)


cdef unsigned char* _asan_copy(cbuf buf, Py_ssize_t n) except NULL:
    """An exactly-sized heap copy of n > 0 bytes (the caller frees it): in the bounds-checked build,
    AddressSanitizer then flags any read past the input's last byte."""
    cdef unsigned char* copy = <unsigned char*>malloc(<size_t>n)
    if copy == NULL:
        raise MemoryError(f"cannot copy {n} bytes for the bounds-checked build")
    memcpy(copy, buf, <size_t>n)
    return copy


cdef object split_buffer(bytes buffer, unsigned char sep, int64_t max_body, bint final):
    """split_frames on checked arguments: the FrameIndex of ``buffer``."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(buffer)
    cdef cbuf buf = <cbuf>PyBytes_AS_STRING(buffer)
    cdef unsigned char* copy = NULL
    cdef _SpanArrays spans = _SpanArrays(n // 128 + 16)
    cdef Py_ssize_t consumed
    if PFM_ASAN_BUILD and n > 0:
        copy = _asan_copy(buf, n)
        buf = copy
    try:
        consumed = split_into(buf, n, sep, max_body, final, spans)
    finally:
        free(copy)
    return spans.index(buffer, consumed, sep)


def split_frames(data, sep=1, max_body_length=DEFAULT_MAX_BODY_LENGTH, bint final=False):
    """Split ``data`` into spans: valid frames, garbled frames and garbage (see framing_py.split_frames)."""
    cdef unsigned char sep_byte = checked_separator(sep)
    cdef int64_t max_body = checked_max_body(max_body_length)
    return split_buffer(as_bytes(data), sep_byte, max_body, final)


def checksum(data, start=0, end=-1):
    """FIX CheckSum(10): the sum of the bytes of ``data[start:end]`` mod 256 (``end=-1`` means ``len(data)``)."""
    cdef bytes view = _py._as_bytes(data)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(view)
    stop = size if end == -1 else end
    if not 0 <= start <= size:
        raise ValueError(f"start must be within 0..{size}, got {start!r}")
    if not start <= stop <= size:
        raise ValueError(f"end must be within {start}..{size} or -1, got {end!r}")
    cdef Py_ssize_t lo = start, hi = stop
    return pfm_byte_sum(<cbuf>PyBytes_AS_STRING(view) + lo, <size_t>(hi - lo)) & 0xFF


cdef extern from "Python.h":
    bint PyMemoryView_Check(object obj)
    int _Py_MEMORYVIEW_RELEASED  # a PyMemoryViewObject.flags bit: release() was called
    ctypedef struct _PyManagedBufferObject:
        Py_ssize_t exports  # memoryviews sharing this one buffer of the exporter (a view and its slices)
    ctypedef struct PyMemoryViewObject:
        _PyManagedBufferObject* mbuf
        int flags
        Py_ssize_t exports  # buffers exported from this very view (release() refuses while > 0)


cdef class _Room:
    """The writable room of one socket read: the tail of a new ``bytes`` object that nobody else sees until
    ReadBuffer.take_after hands it out. Exports count the views open on it (a memoryview and its slices), so that
    the bytes are handed out only when no view can write into them any more."""

    cdef object data            # the bytes being filled (None once handed out)
    cdef Py_ssize_t start       # where the read's bytes begin (after the prefix)
    cdef Py_ssize_t size        # room for the read, bytes
    cdef Py_ssize_t exports     # open buffer views
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]

    def __getbuffer__(self, Py_buffer* view, int flags):
        if self.data is None:
            raise BufferError("this read's room was already handed out")
        self.shape[0] = self.size
        self.strides[0] = 1
        view.buf = <char*>PyBytes_AS_STRING(self.data) + self.start
        view.obj = self
        view.len = self.size
        view.readonly = 0
        view.itemsize = 1
        view.format = <char*>"B" if flags & PyBUF_FORMAT else NULL
        view.ndim = 1
        view.shape = self.shape if flags & PyBUF_ND else NULL
        view.strides = self.strides if flags & PyBUF_STRIDES == PyBUF_STRIDES else NULL
        view.suboffsets = NULL
        view.internal = NULL
        self.exports += 1

    def __releasebuffer__(self, Py_buffer* view):
        self.exports -= 1


cdef inline void release_unexported(object view):
    """Release ``view`` (a memoryview, or None) unless buffers are still exported from it: uvloop holds its own
    until buffer_updated returns, and release() would only raise BufferError then (an exception a read); the
    room's export closes when that one does."""
    if PyMemoryView_Check(view) and (<PyMemoryViewObject*>view).exports == 0:
        view.release()


cdef inline bint sole_view(object view, _Room room):
    """True when ``view`` is an unreleased memoryview over ``room`` that nothing but the caller's one reference
    reaches: no other reference to it, no buffer exported from it, no slice or other view sharing its buffer of
    the room, no other export of the room. Then nobody else can read or write the room's bytes."""
    if not PyMemoryView_Check(view):
        return False
    cdef PyMemoryViewObject* mv = <PyMemoryViewObject*>view
    return (
        (<PyObject*>view).ob_refcnt == 1 and mv.exports == 0 and not (mv.flags & _Py_MEMORYVIEW_RELEASED)
        and mv.mbuf.exports == 1 and room.exports == 1 and room.data is not None
    )


cdef bytes shrunk_sole_bytes(_Room room, Py_ssize_t size):
    """The room's bytes cut to ``size`` bytes, in place (_PyBytes_Resize, which needs the only reference), taken
    from the room; a copy of their first ``size`` bytes when anything else still refers to them."""
    cdef object data = room.data
    cdef PyObject* raw = <PyObject*>data
    if PyBytes_GET_SIZE(data) == size:
        room.data = None
        return <bytes>data
    room.data = None
    if raw.ob_refcnt != 1:  # held elsewhere too: leave it alone
        return PyBytes_FromStringAndSize(PyBytes_AS_STRING(data), size)
    Py_INCREF(data)  # the reference _PyBytes_Resize takes over (it replaces or frees it)
    data = None      # ... now the only one
    _PyBytes_Resize(&raw, size)  # on failure raw is freed and MemoryError raised
    result = <bytes>raw            # a new reference for ``result`` ...
    Py_DECREF(result)             # ... over the one _PyBytes_Resize gave: ``result`` owns the sole one
    return result


cdef class ReadBuffer:
    """Where a socket read lands (the get_buffer/buffer_updated pair of asyncio.BufferedProtocol): see
    framing_py.ReadBuffer. Each read goes straight into a new ``bytes`` object, cut to the bytes read and handed
    out by ``received`` (no copy); a view of the room still open then (a transport that kept it) makes it a copy,
    so that bytes handed out never change. A short read is copied out, and its room and memoryview serve the next
    read while nothing but this buffer reaches that view (uvloop's usual read: no new memoryview a read)."""

    cdef readonly Py_ssize_t capacity
    cdef _Room _room_now        # the room handed out by the last get_buffer, or None
    cdef object _view           # the memoryview over it
    cdef bytes _prefix          # what the room's bytes start with
    cdef _Room _spare           # a room whose bytes were copied out, not handed out: reused when no view is open
    cdef object _spare_view     # the memoryview last handed out over _spare: handed out again while only we hold it

    def __init__(self, capacity=DEFAULT_READ_SIZE):
        if type(capacity) is not int or capacity <= 0:
            raise ValueError(f"ReadBuffer capacity must be a positive int (bytes), got {capacity!r}")
        self.capacity = capacity

    def get_buffer(self, sizehint=-1):
        """Writable room for the next read, ``capacity`` bytes (``sizehint`` is ignored, as asyncio allows)."""
        return self.room(b"")

    def received(self, nbytes):
        """The ``nbytes`` bytes just read into the room of get_buffer, as a new ``bytes`` object."""
        return self.take_after(b"", nbytes)

    cdef object room(self, bytes prefix):
        """Room for a read after ``prefix`` (the same room again when asked twice for the same prefix)."""
        if self._room_now is not None:
            if self._prefix is prefix:
                return self._view
            self.drop_room()
        cdef Py_ssize_t k = PyBytes_GET_SIZE(prefix)
        cdef _Room room = self._spare
        self._spare = None
        view = self._spare_view  # this local and the attribute were its references: now the local alone is ours
        self._spare_view = None
        if room is not None and room.start == k and sole_view(view, room):
            # the room of the last (copied-out) read, reachable through this view only: handed out again as is,
            # no new memoryview a read (the view's pointer is the room's bytes at ``start``, unchanged)
            memcpy(PyBytes_AS_STRING(room.data), PyBytes_AS_STRING(prefix), <size_t>k)
            self._view = view
            self._room_now = room
            self._prefix = prefix
            return view
        release_unexported(view)  # a holder of the old view can no longer write into the room ...
        view = None               # ... and with ours gone too, its export of the room closes
        if room is None or room.exports or PyBytes_GET_SIZE(room.data) < k + self.capacity:
            room = _Room.__new__(_Room)
            room.data = PyBytes_FromStringAndSize(NULL, k + self.capacity)
        memcpy(PyBytes_AS_STRING(room.data), PyBytes_AS_STRING(prefix), <size_t>k)
        room.start = k
        room.size = self.capacity
        self._view = memoryview(room)
        self._room_now = room
        self._prefix = prefix
        return self._view

    cdef void drop_room(self):
        """Forget the room handed out (views still open keep its bytes alive, and nobody else gets them)."""
        view = self._view
        self._view = None
        self._room_now = None
        self._prefix = None
        release_unexported(view)

    cdef bytes take_after(self, bytes prefix, object nbytes):
        """``prefix`` followed by the ``nbytes`` bytes read into the room: the room's own bytes when they start
        with that very prefix and no view of the room is open any more, else a copy."""
        cdef _Room room = self._room_now
        if room is None:
            raise RuntimeError("ReadBuffer.received called without get_buffer before it")
        if type(nbytes) is not int or not 0 <= nbytes <= self.capacity:
            raise ValueError(f"ReadBuffer.received nbytes={nbytes!r} must be within 0..capacity={self.capacity}")
        cdef Py_ssize_t n = nbytes
        cdef bint same_prefix = self._prefix is prefix
        view = self._view
        self._view = None
        self._room_now = None
        self._prefix = None
        if not same_prefix:  # the remainder changed since get_buffer (bytes fed meanwhile): the current one first
            self._spare, self._spare_view = room, view
            return prefix + PyBytes_FromStringAndSize(PyBytes_AS_STRING(room.data) + room.start, n)
        if 2 * n >= self.capacity:
            release_unexported(view)
            if room.exports == 0:
                return shrunk_sole_bytes(room, room.start + n)
        # A short read is copied and its room (with its view, see room()) serves the next read: a new room per read
        # would cost an allocation of ``capacity`` bytes (mmap, page faults, munmap) to save a copy of a few hundred
        # bytes. And while a view of the room is open (uvloop releases its own only after buffer_updated returns)
        # it could still write into the bytes, so they are not handed out either.
        self._spare, self._spare_view = room, view
        return PyBytes_FromStringAndSize(PyBytes_AS_STRING(room.data), room.start + n)


cdef class Framer:
    """Stateful stream splitter (see framing_py.Framer): feed it reads from the socket, get a FrameIndex per
    read. The same API as the pure twin, with the arguments checked once, at construction."""

    cdef readonly int sep
    cdef readonly object max_body_length
    cdef int64_t _max_body
    cdef bytes _pending
    cdef ReadBuffer _reads  # created by the first get_buffer

    def __init__(self, sep=1, max_body_length=DEFAULT_MAX_BODY_LENGTH):
        self.sep = checked_separator(sep)
        self.max_body_length = _py._check_max_body_length(max_body_length)
        self._max_body = checked_max_body(max_body_length)
        self._pending = b""

    def feed(self, data):
        """Append ``data`` to the kept remainder and split; offsets refer to the returned index's ``buffer``."""
        cdef bytes chunk = as_bytes(data)
        cdef bytes buffer = self._pending + chunk if PyBytes_GET_SIZE(self._pending) else chunk
        index = split_buffer(buffer, <unsigned char>self.sep, self._max_body, False)
        cdef Py_ssize_t consumed = index.consumed
        self._pending = b"" if consumed == PyBytes_GET_SIZE(buffer) else buffer[consumed:]
        return index

    def get_buffer(self, sizehint=-1):
        """Writable room for the next socket read, placed after the kept remainder (see ReadBuffer)."""
        if self._reads is None:
            self._reads = ReadBuffer()
        return self._reads.room(self._pending)

    def received(self, nbytes):
        """The kept remainder followed by the ``nbytes`` bytes just read into get_buffer's room, as one ``bytes``
        object (no copy); the remainder goes with it, so feed takes the result as is."""
        if self._reads is None:
            raise RuntimeError("Framer.received called without get_buffer before it")
        data = self._reads.take_after(self._pending, nbytes)
        self._pending = b""
        return data

    def msgtype_if_one_frame(self, data):
        """MsgType(35) of ``data`` when nothing is pending and ``data`` (bytes) is exactly one valid frame, else
        None; nothing is consumed either way (see framing_py.Framer.msgtype_if_one_frame)."""
        if PyBytes_GET_SIZE(self._pending) or type(data) is not bytes:
            return None
        cdef bytes chunk = <bytes>data
        cdef Py_ssize_t n = PyBytes_GET_SIZE(chunk)
        if n < C_START_LENGTH:
            return None
        cdef cbuf buf = <cbuf>PyBytes_AS_STRING(chunk)
        cdef unsigned char* copy = NULL
        cdef Parsed parsed
        cdef int verdict
        if PFM_ASAN_BUILD:
            copy = _asan_copy(buf, n)
            buf = copy
        try:
            if memcmp(buf, b"8=FIX", C_START_LENGTH) != 0:
                return None
            verdict = parse_frame(buf, 0, n, <unsigned char>self.sep, self._max_body, False, &parsed)
            if verdict != C_OK or parsed.end != n:
                return None
            return PyBytes_FromStringAndSize(<const char*>buf + parsed.type_start, parsed.type_length)
        finally:
            free(copy)

    def flush(self):
        """Split the remainder as final input (end of stream): whatever is left is reported, nothing is kept."""
        index = split_buffer(self._pending, <unsigned char>self.sep, self._max_body, True)
        self._pending = b""
        return index

    @property
    def pending(self):
        """Bytes waiting for more input."""
        return PyBytes_GET_SIZE(self._pending)


__all__ = [
    "ABSURD_BODYLENGTH", "BAD_BEGINSTRING", "BAD_BODYLENGTH_TAG", "BAD_BODYLENGTH_VALUE", "BAD_CHECKSUM_FIELD",
    "BAD_LENGTH", "BAD_MSGTYPE", "CHECKSUM_MISMATCH", "DEFAULT_MAX_BODY_LENGTH", "GARBAGE", "OK", "REASON_NAMES",
    "DEFAULT_READ_SIZE", "FrameIndex", "Framer", "ReadBuffer", "checksum", "format_checksum", "split_frames", "FRAME_START",
]
