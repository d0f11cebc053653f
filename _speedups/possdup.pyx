# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Compiled twin of ``pyfixmsg_plus/session/possdup_py.py``: a stored frame rewritten into its resent form.

Same class, same results (None outside the fast form); the twin states the rules. Every read stays inside the
stored bytes (each field is found with memchr between the current position and the frame's last byte), and the
output buffer is sized from the lengths of what is copied into it before anything is written.
"""

from libc.stdint cimport int32_t
from libc.string cimport memchr, memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE

from pyfixmsg_plus.session.possdup_py import (
    MAX_HEADER_FIELDS,
    MAX_SEQNUM_DIGITS,
    MAX_TAG_DIGITS,
    SESSION_HEADER_TAGS,
    check_tag_sets,
)

ctypedef const unsigned char* cbuf

cdef enum:
    C_MAX_HEADER = 64
    # the session's own header fields: 34, 43, 49, 52, 56 and 122
    C_FIXED = 6
    C_SOH = 1
    # tags below this are looked up in a table; larger ones in the Python sets
    C_TABLE = 2048
    KIND_BODY = 0
    KIND_HEADER = 1
    KIND_DROP = 2
    KIND_SEQNUM = 3
    KIND_SENDING_TIME = 4

assert MAX_HEADER_FIELDS == C_MAX_HEADER and MAX_TAG_DIGITS == 9 and MAX_SEQNUM_DIGITS == 18


cdef inline bint starts(cbuf buf, Py_ssize_t at, Py_ssize_t end, const char* text, Py_ssize_t size) noexcept:
    cdef Py_ssize_t k
    if end - at < size:
        return False
    for k in range(size):
        if buf[at + k] != <unsigned char>text[k]:
            return False
    return True


cdef inline Py_ssize_t next_soh(cbuf buf, Py_ssize_t at, Py_ssize_t end) noexcept:
    """Position of the first SOH in buf[at:end], or -1."""
    cdef const void* found
    if at >= end:
        return -1
    found = memchr(buf + at, C_SOH, <size_t>(end - at))
    return -1 if found == NULL else <Py_ssize_t>(<cbuf>found - buf)


cdef struct Segment:
    int32_t tag
    const char* pre   # written first ("34=" or a whole copied "tag=value")
    Py_ssize_t pre_n
    const char* val   # then this (may be NULL when val_n is 0), then SOH
    Py_ssize_t val_n


cdef inline void set_segment(Segment* seg, int32_t tag, const char* pre, Py_ssize_t pre_n, const char* val,
                             Py_ssize_t val_n) noexcept:
    seg.tag = tag
    seg.pre = pre
    seg.pre_n = pre_n
    seg.val = val
    seg.val_n = val_n


cdef inline void sort_segments(Segment* segments, Py_ssize_t count) noexcept:
    """Stable insertion sort by tag (a few fields): equal tags keep their order, as the builder's sort does."""
    cdef Py_ssize_t k, j
    cdef Segment moving
    for k in range(1, count):
        moving = segments[k]
        j = k - 1
        while j >= 0 and segments[j].tag > moving.tag:
            segments[j + 1] = segments[j]
            j -= 1
        segments[j + 1] = moving


cdef inline Py_ssize_t tag_digits(cbuf buf, Py_ssize_t at, Py_ssize_t end, int32_t* tag) noexcept:
    """Digits of the tag of the field at ``at`` (ending before ``end``): 1-9 ASCII digits without a leading
    zero followed by '='; 0 when the field is not of that form."""
    cdef Py_ssize_t digits = 0
    cdef int32_t value = 0
    while at + digits < end and digits < 10 and 0x30 <= buf[at + digits] <= 0x39:
        if digits < 9:
            value = value * 10 + (buf[at + digits] - 0x30)
        digits += 1
    if digits == 0 or digits > 9 or buf[at] == 0x30 or at + digits >= end or buf[at + digits] != 0x3D:
        return 0
    tag[0] = value
    return digits


cdef inline Py_ssize_t write_decimal(char* out, Py_ssize_t value) noexcept:
    """``value`` (>= 0) in decimal at ``out`` (room for 20 digits); returns the number of digits."""
    cdef char reversed_digits[24]
    cdef Py_ssize_t n = 0, k
    while True:
        reversed_digits[n] = <char>(0x30 + value % 10)
        value //= 10
        n += 1
        if value == 0:
            break
    for k in range(n):
        out[k] = reversed_digits[n - 1 - k]
    return n


cdef class PossDupRewriter:
    """Rewrites stored frames of one session into their PossDupFlag(43)=Y form (see the pure twin)."""

    cdef bytes _begin, _sender, _target
    cdef unsigned char _kinds[C_TABLE]
    cdef object _header_set, _trailer_set
    cdef public object begin_string, sender_comp_id, target_comp_id, header_tags, trailer_tags

    def __init__(self, begin_string, sender_comp_id, target_comp_id, header_tags, trailer_tags):
        cdef Py_ssize_t tag
        self.begin_string = self._begin = bytes(begin_string)
        self.sender_comp_id = self._sender = bytes(sender_comp_id)
        self.target_comp_id = self._target = bytes(target_comp_id)
        self.header_tags = self._header_set = frozenset(int(t) for t in header_tags)
        self.trailer_tags = self._trailer_set = frozenset(int(t) for t in trailer_tags)
        check_tag_sets(self._header_set, self._trailer_set)
        for tag in range(C_TABLE):
            self._kinds[tag] = self._kind_of(tag)

    cdef unsigned char _kind_of(self, Py_ssize_t tag) except 255:
        if tag == 34:
            return KIND_SEQNUM
        if tag == 52:
            return KIND_SENDING_TIME
        if tag in SESSION_HEADER_TAGS:
            return KIND_DROP
        if tag in self._header_set:
            return KIND_HEADER
        return KIND_DROP if tag in self._trailer_set else KIND_BODY

    cdef inline unsigned char _kind(self, Py_ssize_t tag) except 255:
        return self._kinds[tag] if tag < C_TABLE else self._kind_of(tag)

    def rewrite(self, stored, sending_time):
        """``stored`` resent with SendingTime(52) ``sending_time``, or None outside the fast form."""
        cdef bytes data = stored if type(stored) is bytes else bytes(stored)
        cdef bytes when = sending_time if type(sending_time) is bytes else bytes(sending_time)
        cdef cbuf buf = <cbuf>PyBytes_AS_STRING(data)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
        cdef Py_ssize_t end, at, stop, type_start, type_end, digits, k, j
        cdef Py_ssize_t seq_start = -1, seq_size = 0, orig_start = -1, orig_size = 0
        cdef Py_ssize_t body_bytes = 0, header_count = 0
        cdef int32_t tag = 0
        cdef unsigned char kind
        cdef Segment segments[C_FIXED + C_MAX_HEADER]
        if n < 2 or buf[n - 1] != C_SOH:
            return None
        end = n - 1  # the final SOH: every field lies before it
        # 8=, 9=, 35= (ASCII) open the frame
        if not starts(buf, 0, end, b"8=", 2):
            return None
        at = next_soh(buf, 0, end)
        if at < 0 or not starts(buf, at + 1, end, b"9=", 2):
            return None
        at = next_soh(buf, at + 1, end)
        if at < 0 or not starts(buf, at + 1, end, b"35=", 3):
            return None
        type_start = at + 1
        type_end = next_soh(buf, type_start, end)
        if type_end < 0:
            return None
        for k in range(type_start, type_end):
            if buf[k] >= 0x80:
                return None
        # the last field, after the last inner SOH, is 10=
        stop = end
        while stop > type_end and buf[stop - 1] != C_SOH:
            stop -= 1
        if stop <= type_end or not starts(buf, stop, end, b"10=", 3):
            return None
        # the fields between MsgType and CheckSum: stop - 1 is the SOH closing the last of them
        at = type_end + 1
        while at < stop:
            k = next_soh(buf, at, stop)  # never -1: buf[stop - 1] is SOH
            if k < 0:
                return None
            digits = tag_digits(buf, at, k, &tag)
            if digits == 0:
                return None
            kind = self._kind(tag)
            if kind == KIND_SEQNUM:
                if seq_start < 0:
                    seq_start, seq_size = at + digits + 1, k - (at + digits + 1)
            elif kind == KIND_SENDING_TIME:
                if orig_start < 0:
                    orig_start, orig_size = at + digits + 1, k - (at + digits + 1)
            elif kind == KIND_HEADER:
                if header_count == C_MAX_HEADER:
                    return None
                set_segment(&segments[C_FIXED + header_count], tag, <const char*>(buf + at), k - at, NULL, 0)
                header_count += 1
            elif kind == KIND_BODY:
                body_bytes += k - at + 1
            at = k + 1
        if seq_start < 0 or not 0 < seq_size <= 18:
            return None
        for k in range(seq_start, seq_start + seq_size):
            if not 0x30 <= buf[k] <= 0x39:
                return None
        # MsgSeqNum(34) without its leading zeros (as int() then %d write it); "0" stays "0"
        while seq_size > 1 and buf[seq_start] == 0x30:
            seq_start += 1
            seq_size -= 1
        # the session's fields, in ascending tag order, ahead of the copied ones
        cdef Py_ssize_t count = 5
        set_segment(&segments[0], 34, b"34=", 3, <const char*>(buf + seq_start), seq_size)
        set_segment(&segments[1], 43, b"43=Y", 4, NULL, 0)
        set_segment(&segments[2], 49, b"49=", 3, PyBytes_AS_STRING(self._sender), PyBytes_GET_SIZE(self._sender))
        set_segment(&segments[3], 52, b"52=", 3, PyBytes_AS_STRING(when), PyBytes_GET_SIZE(when))
        set_segment(&segments[4], 56, b"56=", 3, PyBytes_AS_STRING(self._target), PyBytes_GET_SIZE(self._target))
        if orig_start >= 0:
            set_segment(&segments[5], 122, b"122=", 4, <const char*>(buf + orig_start), orig_size)
            count = 6
        for k in range(header_count):
            segments[count + k] = segments[C_FIXED + k]
        count += header_count
        sort_segments(segments, count)
        return self._assemble(buf, type_start, type_end, stop, segments, count, body_bytes)

    cdef bytes _assemble(self, cbuf buf, Py_ssize_t type_start, Py_ssize_t type_end, Py_ssize_t stop,
                         Segment* segments, Py_ssize_t count, Py_ssize_t body_bytes):
        """8=, 9=, then the body (35, the header segments, the body fields in frame order), then 10=."""
        cdef Py_ssize_t k, at, field_end, digits, pos = 0, i
        cdef int32_t tag = 0
        cdef Py_ssize_t body_length = (type_end - type_start + 1) + body_bytes
        for k in range(count):
            body_length += segments[k].pre_n + segments[k].val_n + 1
        cdef char length_text[24]
        cdef Py_ssize_t length_digits = write_decimal(length_text, body_length)
        cdef Py_ssize_t begin_size = PyBytes_GET_SIZE(self._begin)
        cdef Py_ssize_t total = 2 + begin_size + 1 + 2 + length_digits + 1 + body_length + 7
        cdef bytes out = PyBytes_FromStringAndSize(NULL, total)
        cdef unsigned char* w = <unsigned char*>PyBytes_AS_STRING(out)
        cdef unsigned int checksum = 0
        pos = put(w, pos, b"8=", 2)
        pos = put(w, pos, PyBytes_AS_STRING(self._begin), begin_size)
        pos = put(w, pos, b"\x019=", 3)
        pos = put(w, pos, length_text, length_digits)
        pos = put(w, pos, b"\x01", 1)
        pos = put(w, pos, <const char*>(buf + type_start), type_end - type_start + 1)
        for k in range(count):
            pos = put(w, pos, segments[k].pre, segments[k].pre_n)
            if segments[k].val_n:
                pos = put(w, pos, segments[k].val, segments[k].val_n)
            pos = put(w, pos, b"\x01", 1)
        # second pass over the fields (validated by the first): the body ones are copied in frame order
        at = type_end + 1
        while at < stop:
            field_end = next_soh(buf, at, stop)
            digits = tag_digits(buf, at, field_end, &tag)
            if self._kind(tag) == KIND_BODY:
                pos = put(w, pos, <const char*>(buf + at), field_end - at + 1)
            at = field_end + 1
        if pos + 7 != total:
            raise AssertionError(f"possdup: wrote {pos + 7} of {total} bytes")
        for i in range(pos):
            checksum += w[i]
        checksum &= 0xFF
        pos = put(w, pos, b"10=", 3)
        w[pos] = <unsigned char>(0x30 + checksum // 100)
        w[pos + 1] = <unsigned char>(0x30 + checksum // 10 % 10)
        w[pos + 2] = <unsigned char>(0x30 + checksum % 10)
        w[pos + 3] = C_SOH
        return out


cdef inline Py_ssize_t put(unsigned char* w, Py_ssize_t pos, const char* text, Py_ssize_t size) noexcept:
    memcpy(w + pos, text, <size_t>size)
    return pos + size
