# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The inbound fast path over a FrameIndex (compiled twin of ``pyfixmsg_plus/session/fastpath_py.py``).

Same class, same results; see the twin for the rules. Every read of the buffer stays inside the span the
framer verified (offset + length checked against the buffer before use), and every field table write is
bounded by MAX_FIELDS.
"""

import numpy as np

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcmp, memcpy, memset
from cpython.bytes cimport PyBytes_FromStringAndSize

from pyfixmsg_plus.session.fastpath_py import (
    CHECK_BOOLEAN,
    CHECK_CALL,
    CHECK_CHAR,
    CHECK_DIGITS,
    CHECK_ENUM,
    CHECK_EQUAL,
    CHECK_FLOAT,
    CHECK_INT,
    CHECK_NONE,
    CHECK_UTCTIMESTAMP,
    FORMAT_KINDS,
    MAX_FIELDS,
    MAX_MSGTYPE,
    MAX_TAG,
    MAX_TYPES,
    SHAPE_SLOTS,
    shape_slot,
    timestamp_seconds,
)

ctypedef const unsigned char* cbuf

cdef enum:
    K_NONE = 0
    K_EQUAL = 1
    K_DIGITS = 2
    K_INT = 3
    K_FLOAT = 4
    K_CHAR = 5
    K_BOOLEAN = 6
    K_UTCTIMESTAMP = 7
    K_ENUM = 8
    K_CALL = 9
    K_ENUM_SET = 10  # compiled only: an enum whose values do not pack, looked up in its frozenset
    C_MAX_FIELDS = 512
    C_SLOTS = 1024
    C_MAX_TYPES = 32
    C_PACKED_ENUM_MAX = 64

assert (CHECK_NONE, CHECK_EQUAL, CHECK_DIGITS, CHECK_INT, CHECK_FLOAT, CHECK_CHAR, CHECK_BOOLEAN,
        CHECK_UTCTIMESTAMP, CHECK_ENUM, CHECK_CALL) == tuple(range(10))
assert MAX_FIELDS == C_MAX_FIELDS and SHAPE_SLOTS == C_SLOTS and MAX_TYPES == C_MAX_TYPES

cdef uint64_t FNV_OFFSET = 0xCBF29CE484222325ULL
cdef uint64_t FNV_PRIME = 0x100000001B3ULL


include "fastpath_checks.pxi"
include "fastpath_split.pxi"


ctypedef struct Position:
    # ENUM: bit c of singles set when the one-byte value c is allowed; longer values (2..7 bytes) packed
    # in the shape's table from ``first`` on, ``size`` of them
    uint64_t singles[4]
    Py_ssize_t first
    # EQUAL: the expected bytes (kept alive by the shape's args) and their length
    const char* equal
    Py_ssize_t size
    uint8_t kind


cdef bint packs(values) noexcept:
    """True when an enum's values are few and short enough for the packed check (else the frozenset's)."""
    return len(values) <= C_PACKED_ENUM_MAX and all(isinstance(x, bytes) and 0 < len(x) <= 7 for x in values)


cdef class _Shape:
    """A learnt tag sequence, one value check per position, and where its header fields are.

    The positions of the header fields are a property of the tag sequence, so a frame whose tags equal the
    shape's has its SenderCompID(49), TargetCompID(56), MsgSeqNum(34) and SendingTime(52) (first occurrence
    each) at the shape's positions, and carries PossDupFlag(43) / PossResend(97) exactly when the shape does.
    """
    cdef int32_t* tags
    cdef TagText* texts
    cdef bint texts_usable  # every tag has its ``<tag>=`` word: frames can be split as this shape
    cdef Position* positions
    cdef uint64_t* packed
    cdef Py_ssize_t n
    cdef list args
    cdef Py_ssize_t sender, target, number, sent
    cdef bint header_usable  # 8 first, 49/56/34 present, no 43/97

    def __dealloc__(self):
        free(self.tags)
        free(self.texts)
        free(self.positions)
        free(self.packed)

    cdef void find_header(self) noexcept:
        """The first position of each header field the scanner reads (-1 when absent)."""
        cdef Py_ssize_t k
        cdef int32_t tag
        cdef bint clean = True
        self.sender = self.target = self.number = self.sent = -1
        for k in range(self.n):
            tag = self.tags[k]
            if tag == 43 or tag == 97:  # PossDupFlag / PossResend: the slow path's rules apply
                clean = False
            elif tag == 49 and self.sender < 0:
                self.sender = k
            elif tag == 56 and self.target < 0:
                self.target = k
            elif tag == 34 and self.number < 0:
                self.number = k
            elif tag == 52 and self.sent < 0:
                self.sent = k
        self.header_usable = (clean and self.tags[0] == 8 and self.sender >= 0 and self.target >= 0
                              and self.number >= 0)


cdef Py_ssize_t packed_count(list arguments, list kinds) except -1:
    """How many 2..7-byte enum values the packed table of a shape holds."""
    cdef Py_ssize_t total = 0
    for kind, argument in zip(kinds, arguments):
        if kind == K_ENUM and packs(argument):
            total += sum(len(x) > 1 for x in argument)
    return total


cdef void set_enum(Position* position, uint64_t* packed, Py_ssize_t* used, values) except *:
    cdef bytes item
    cdef unsigned char c
    position.first = used[0]
    position.size = 0
    for item in values:
        if len(item) == 1:
            c = (<cbuf><const char*>item)[0]
            position.singles[c >> 6] |= (<uint64_t>1) << (c & 63)
        else:
            packed[used[0]] = pack_short(<cbuf><const char*>item, len(item))
            used[0] += 1
            position.size += 1


cdef _Shape make_shape(tags, checks):
    cdef _Shape shape = _Shape.__new__(_Shape)
    cdef Py_ssize_t i, n = len(tags), used = 0
    cdef Position* position
    # each argument read once (an enum's values may come as any iterable): frozensets and bytes from here on
    cdef list kinds = [kind for kind, _ in checks]
    cdef list arguments = [argument for _, argument in checks]
    for i in range(n):
        if not K_NONE <= kinds[i] <= K_CALL:
            raise ValueError(f"unknown value check kind {kinds[i]!r}")
        if kinds[i] == K_ENUM:
            arguments[i] = frozenset(arguments[i])
        elif kinds[i] == K_EQUAL:
            arguments[i] = bytes(arguments[i])
    shape.tags = <int32_t*>malloc(n * sizeof(int32_t))
    shape.texts = <TagText*>malloc(n * sizeof(TagText))
    shape.positions = <Position*>malloc(n * sizeof(Position))
    shape.packed = <uint64_t*>malloc((packed_count(arguments, kinds) + 1) * sizeof(uint64_t))
    if shape.tags == NULL or shape.texts == NULL or shape.positions == NULL or shape.packed == NULL:
        raise MemoryError("no memory for a fast-path shape")
    memset(shape.positions, 0, n * sizeof(Position))
    shape.n = n
    shape.args = arguments
    for i in range(n):
        shape.tags[i] = <int32_t>tags[i]
        position = &shape.positions[i]
        position.kind = <uint8_t>kinds[i]
        if kinds[i] == K_ENUM:
            if packs(arguments[i]):
                set_enum(position, shape.packed, &used, arguments[i])
            else:
                position.kind = K_ENUM_SET
        elif kinds[i] == K_EQUAL:
            position.equal = <const char*>(<bytes>arguments[i])
            position.size = len(<bytes>arguments[i])
    shape.find_header()
    shape.texts_usable = set_tag_texts(shape.texts, shape.tags, n)
    return shape


cdef class RunScanner:
    """Finds runs of frames that need nothing but acceptance (see the pure twin)."""
    cdef bytes _begin, _theirs, _ours
    cdef uint64_t _types[C_MAX_TYPES]
    cdef int _type_count
    cdef bint _check_comp_ids, _check_latency, _validate
    cdef double _max_latency
    cdef list _slots
    # per field count, the slots of the two shapes last found for frames with that many fields (-1: none), most
    # recent first: the guesses that let the next such frame be split as one of them (two, because a feed often
    # alternates shapes of equal length, e.g. the same group entries in another order)
    cdef int16_t _guess[C_MAX_FIELDS + 1][2]
    cdef DayCache _day
    cdef public object msg_types
    cdef public object begin_string, their_comp_id, our_comp_id, check_comp_ids, max_latency, validate

    def __init__(self, begin_string, their_comp_id, our_comp_id, msg_types, *, check_comp_ids=True,
                 max_latency=None, validate=True):
        self.begin_string = self._begin = bytes(begin_string)
        self.their_comp_id = self._theirs = bytes(their_comp_id)
        self.our_comp_id = self._ours = bytes(our_comp_id)
        self.msg_types = frozenset()
        self._type_count = 0
        for t in msg_types:
            self.allow(t)
        self.check_comp_ids = self._check_comp_ids = bool(check_comp_ids)
        self.max_latency = max_latency
        self._check_latency = max_latency is not None
        self._max_latency = float(max_latency) if max_latency is not None else 0.0
        self.validate = self._validate = bool(validate)
        self.clear()

    def allow(self, msg_type):
        """Let frames of ``msg_type`` pass too (see the pure twin)."""
        cdef bytes code
        msg_type = bytes(msg_type)
        if msg_type in self.msg_types:
            return True
        if not 0 < len(msg_type) <= MAX_MSGTYPE or self._type_count >= C_MAX_TYPES:
            return False
        code = msg_type + b"\x00" * (8 - len(msg_type))
        memcpy(&self._types[self._type_count], <const char*>code, 8)
        self._type_count += 1
        self.msg_types = self.msg_types | {msg_type}
        return True

    @property
    def shapes(self):
        """How many shapes are held now."""
        return sum(slot is not None for slot in self._slots)

    def learn(self, tags, checks):
        """Keep the tag sequence of a message the validator walked clean, with one check per position."""
        if len(tags) != len(checks):
            raise ValueError(f"{len(tags)} tags but {len(checks)} checks")
        if not 0 < len(tags) <= C_MAX_FIELDS:
            return
        self._slots[shape_slot(tags)] = make_shape(tags, checks)

    def knows(self, pairs):
        """True when the shape of ``pairs`` is held with the same steering values (see the pure twin)."""
        cdef Py_ssize_t n = len(pairs), k
        cdef uint64_t h = FNV_OFFSET
        if not 0 < n <= C_MAX_FIELDS:
            return False
        cdef list tags = [int(tag) for tag, _ in pairs]
        if not all(0 < tag <= MAX_TAG for tag in tags):
            return False
        for k in range(n):
            h = (h ^ <uint64_t><uint32_t>(<int64_t>tags[k])) * FNV_PRIME
        slot = self._slots[<Py_ssize_t>(h % C_SLOTS)]
        if slot is None:
            return False
        cdef _Shape shape = <_Shape>slot
        if shape.n != n:
            return False
        for k in range(n):
            if shape.tags[k] != <int32_t><int64_t>tags[k]:
                return False
        for k in range(n):
            if shape.positions[k].kind == K_EQUAL and bytes(pairs[k][1]) != <bytes>shape.args[k]:
                return False
        return True

    def clear(self):
        """Forget every shape."""
        self._slots = [None] * C_SLOTS
        memset(self._guess, 0xFF, sizeof(self._guess))

    def scan(self, index, Py_ssize_t start, int64_t expected, int64_t not_before, double now):
        """How many frames from span ``start`` on pass (see the pure twin)."""
        cdef Py_ssize_t total = len(index)
        if index.sep != 1 or start < 0 or start >= total:
            return 0
        cdef const int64_t[::1] offsets = np.ascontiguousarray(index.offsets, dtype=np.int64)
        cdef const int64_t[::1] lengths = np.ascontiguousarray(index.lengths, dtype=np.int64)
        cdef const uint8_t[::1] reasons = np.ascontiguousarray(index.reasons, dtype=np.uint8)
        cdef const uint8_t[::1] types = np.ascontiguousarray(index.msgtypes, dtype="S8").view(np.uint8)
        cdef const unsigned char[::1] buf = index.buffer
        if offsets.shape[0] < total or lengths.shape[0] < total or reasons.shape[0] < total \
                or types.shape[0] < total * 8:
            raise ValueError("FrameIndex arrays shorter than its count")
        cdef Py_ssize_t count = 0, i
        cdef int64_t offset, length
        while start + count < total:
            i = start + count
            offset, length = offsets[i], lengths[i]
            if reasons[i] != 0 or offset < not_before or offset < 0 or length <= 0 \
                    or offset + length > buf.shape[0] or not self._type_passes(&types[i * 8]):
                break
            if not self._frame_passes(&buf[offset], length, expected + count, now):
                break
            count += 1
        return count

    def passes_frame(self, frame, msg_type, int64_t seqnum, double now):
        """One verified frame passes as ``scan`` would pass it numbered ``seqnum`` (see the pure twin)."""
        return self._passes(frame, msg_type, seqnum, now)

    cdef bint _passes(self, frame, msg_type, int64_t seqnum, double now) except -1:
        """:meth:`passes_frame` without a Python call (for the SessionLane, once per received order)."""
        cdef bytes data = frame if type(frame) is bytes else bytes(frame)
        cdef bytes code_bytes = msg_type if type(msg_type) is bytes else bytes(msg_type)
        cdef Py_ssize_t type_length = len(code_bytes)
        cdef Py_ssize_t length = len(data)
        cdef uint8_t code[8]
        if not 0 < type_length <= MAX_MSGTYPE or length <= 0:
            return False
        memset(code, 0, 8)
        memcpy(code, <const char*>code_bytes, type_length)
        if not self._type_passes(code):
            return False
        return self._frame_passes(<cbuf><const char*>data, length, seqnum, now)

    cdef inline bint _type_passes(self, const uint8_t* code) noexcept:
        cdef uint64_t value
        cdef int j
        memcpy(&value, code, 8)
        for j in range(self._type_count):
            if self._types[j] == value:
                return True
        return False

    cdef bint _frame_passes(self, cbuf frame, Py_ssize_t length, int64_t seqnum, double now) except -1:
        cdef int32_t tags[C_MAX_FIELDS]
        cdef Py_ssize_t starts[C_MAX_FIELDS]
        cdef Py_ssize_t sizes[C_MAX_FIELDS]
        cdef uint64_t h = FNV_OFFSET
        cdef Py_ssize_t count, slot_index
        if self._validate:
            guessed = self._split_as_guessed(frame, length, starts, sizes)
            if guessed is not None:
                return self._shape_passes(<_Shape>guessed, frame, starts, sizes, seqnum, now)
        count = tokenize(frame, length, tags, starts, sizes, &h)
        if count <= 0:
            return False
        if not self._validate:
            return self._header_passes(frame, tags, starts, sizes, count, seqnum, now)
        slot_index = <Py_ssize_t>(h % C_SLOTS)
        slot = self._slots[slot_index]
        # a frame without its shape fails (the header's outcome cannot change that); with it, the shape
        # knows where the header fields are
        if slot is None:
            return False
        cdef _Shape shape = <_Shape>slot
        if shape.n != count or memcmp(shape.tags, tags, count * sizeof(int32_t)) != 0:
            return False
        self._remember_guess(count, <int16_t>slot_index)
        return self._shape_passes(shape, frame, starts, sizes, seqnum, now)

    cdef inline void _remember_guess(self, Py_ssize_t count, int16_t slot_index) noexcept:
        cdef int16_t* guesses = self._guess[count]
        if guesses[0] != slot_index:
            guesses[1] = guesses[0]
            guesses[0] = slot_index

    cdef object _split_as_guessed(self, cbuf frame, Py_ssize_t length, Py_ssize_t* starts, Py_ssize_t* sizes):
        """One of the two shapes last found for frames with as many fields, when the frame splits as it (starts
        and sizes filled as tokenize would); None otherwise. A guess is the shape now in the slot its tags hash
        to, so a frame that splits as it has exactly the outcome of the tokenize path."""
        cdef Py_ssize_t ends[C_MAX_FIELDS + 16]  # soh_offsets may write past its count, up to 16 more
        cdef Py_ssize_t count
        cdef int k
        cdef int16_t slot_index
        cdef _Shape shape
        if length <= 0 or frame[length - 1] != 1:
            return None
        count = soh_offsets(frame, length, ends, C_MAX_FIELDS)
        if count <= 0:
            return None
        for k in range(2):
            slot_index = self._guess[count][k]
            if slot_index < 0:
                return None
            slot = self._slots[slot_index]
            if slot is None:
                continue
            shape = <_Shape>slot
            if shape.n == count and shape.texts_usable \
                    and split_as_shape(shape.texts, count, frame, length, ends, starts, sizes):
                return shape
        return None

    cdef bint _shape_passes(self, _Shape shape, cbuf frame, const Py_ssize_t* starts, const Py_ssize_t* sizes,
                            int64_t seqnum, double now) except -1:
        """The header and value checks of a frame whose tags are the shape's."""
        if not shape.header_usable or not self._fields_pass(
                frame, starts, sizes, shape.sender, shape.target, shape.number, shape.sent, seqnum, now):
            return False
        return self._values_pass(shape, frame, starts, sizes)

    cdef bint _header_passes(self, cbuf frame, const int32_t* tags, const Py_ssize_t* starts,
                             const Py_ssize_t* sizes, Py_ssize_t count, int64_t seqnum, double now) noexcept:
        """The header rules on a frame without a shape: find the fields, then check them."""
        cdef Py_ssize_t k, sender = -1, target = -1, number = -1, sent = -1
        cdef int32_t tag
        if tags[0] != 8:
            return False
        for k in range(count):
            tag = tags[k]
            if tag == 43 or tag == 97:  # PossDupFlag / PossResend: the slow path's rules apply
                return False
            if tag == 49 and sender < 0:
                sender = k
            elif tag == 56 and target < 0:
                target = k
            elif tag == 34 and number < 0:
                number = k
            elif tag == 52 and sent < 0:
                sent = k
        if sender < 0 or target < 0 or number < 0:
            return False
        return self._fields_pass(frame, starts, sizes, sender, target, number, sent, seqnum, now)

    cdef bint _fields_pass(self, cbuf frame, const Py_ssize_t* starts, const Py_ssize_t* sizes,
                           Py_ssize_t sender, Py_ssize_t target, Py_ssize_t number, Py_ssize_t sent,
                           int64_t seqnum, double now) noexcept:
        """BeginString(8) first, MsgSeqNum(34) the expected one, the CompIDs, SendingTime(52) (positions of
        the first occurrence of each; ``sent`` -1 when absent)."""
        if not same(frame + starts[0], sizes[0], self._begin):
            return False
        if not number_is(frame + starts[number], sizes[number], seqnum):
            return False
        if self._check_comp_ids and not (same(frame + starts[sender], sizes[sender], self._theirs)
                                         and same(frame + starts[target], sizes[target], self._ours)):
            return False
        if not self._check_latency:
            return True
        return sent >= 0 and timestamp_inside(frame + starts[sent], sizes[sent], now - self._max_latency,
                                              now + self._max_latency, &self._day)

    cdef bint _values_pass(self, _Shape shape, cbuf frame, const Py_ssize_t* starts,
                           const Py_ssize_t* sizes) except -1:
        cdef Py_ssize_t k
        cdef const Position* position
        # SendingTime(52) passed timestamp_inside already when latency is checked: its format check is done
        cdef Py_ssize_t proven = shape.sent if self._check_latency else -1
        for k in range(shape.n):
            position = &shape.positions[k]
            if position.kind == K_NONE or k == proven and position.kind == K_UTCTIMESTAMP:
                continue
            if not value_passes(shape, position, k, frame + starts[k], sizes[k]):
                return False
        return True


cdef inline bint enum_has(_Shape shape, const Position* position, cbuf v, Py_ssize_t n) noexcept:
    cdef uint64_t key
    cdef Py_ssize_t j
    if n == 1:
        return (position.singles[v[0] >> 6] >> (v[0] & 63)) & 1
    if n > 7:
        return False
    key = pack_short(v, n)
    for j in range(position.first, position.first + position.size):
        if shape.packed[j] == key:
            return True
    return False


cdef inline bint value_passes(_Shape shape, const Position* position, Py_ssize_t k, cbuf v,
                              Py_ssize_t n) except -1:
    cdef uint8_t kind = position.kind
    if kind == K_ENUM:
        return enum_has(shape, position, v, n)
    if kind == K_FLOAT:
        return is_float(v, n)
    if kind == K_DIGITS:
        return all_digits(v, n)
    if kind == K_EQUAL:
        return n == position.size and memcmp(v, position.equal, n) == 0
    if kind == K_INT:
        return is_int(v, n)
    if kind == K_CHAR:
        return n == 1
    if kind == K_BOOLEAN:
        return n == 1 and (v[0] == 89 or v[0] == 78)
    if kind == K_UTCTIMESTAMP:
        return is_timestamp(v, n)
    if kind == K_ENUM_SET:
        return PyBytes_FromStringAndSize(<const char*>v, n) in <frozenset>shape.args[k]
    return bool(shape.args[k](PyBytes_FromStringAndSize(<const char*>v, n)))


cdef inline bint same(cbuf v, Py_ssize_t n, bytes expected) noexcept:
    return n == len(expected) and memcmp(v, <const char*>expected, n) == 0


cdef bint number_is(cbuf v, Py_ssize_t n, int64_t expected) noexcept nogil:
    """``\\d+`` whose value is ``expected`` (leading zeros allowed, as int() reads them)."""
    cdef int64_t value = 0
    cdef Py_ssize_t i
    if n == 0:
        return False
    for i in range(n):
        if not is_digit(v[i]):
            return False
        if value > 99999999999999999LL:  # 18 digits already: cannot be a MsgSeqNum we expect
            return False
        value = value * 10 + (v[i] - 48)
    return value == expected


# the one-order lane: its own concern, in its own file
include "fastpath_lane.pxi"
