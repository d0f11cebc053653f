# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Splitting FIX frames into fields and building messages from them: the compiled twin of
``pyfixmsg_plus.message.parser_py`` (the readable specification; same functions, same results).

Every index below stays inside ``[0, size)`` of the frame: fields are found with memchr between ``pos`` and ``end``
and a field's value is ``[eq + 1, sep)`` with ``eq < sep <= end``; the field table holds at most one entry per
separator byte counted beforehand. So bounds checks are off without risk on any input.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem, PyDict_SetItem
from cpython.list cimport PyList_Append
from cpython.object cimport PyObject, PyTypeObject
from cpython.set cimport PySet_Contains
from cpython.long cimport PyLong_FromLongLong
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_DecodeUTF8, PyUnicode_New
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcpy

cdef extern from *:
    """
    #if defined(_WIN32)
    static long long pfp_time_ns(void) { return -1; }
    #else
    #include <time.h>
    /* CLOCK_REALTIME in ns since the epoch: what time.time_ns() reads, without a Python call */
    static long long pfp_time_ns(void) {
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
        return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    }
    #endif
    """
    long long pfp_time_ns() noexcept

from time import time_ns

cdef enum:
    TAG_CACHE = 10000  # int objects of tags below this are shared, not allocated per field
    STACK_FIELDS = 128
    MAX_FAST_TAG_DIGITS = 9
    MAX_C_TAG_DIGITS = 18
    MSG_TYPE = 35
    MESSAGE_ENCODING = 347  # FIX MessageEncoding: Encoded* fields need the codec's decoding, not UTF-8

cdef list _tag_objects = list(range(TAG_CACHE))  # keeps the cached int objects alive
cdef PyObject* _tag_cache[TAG_CACHE]
cdef Py_ssize_t _k
for _k in range(TAG_CACHE):
    _tag_cache[_k] = <PyObject*>_tag_objects[_k]


cdef list _one_char = [chr(_k) for _k in range(128)]  # ASCII 1-char values are shared, as CPython does
cdef PyObject* _char_cache[128]
for _k in range(128):
    _char_cache[_k] = <PyObject*>_one_char[_k]
cdef tuple _NO_ARGS = ()


cdef inline object _utf8_value(const char* p, Py_ssize_t n):
    """The str of n bytes at p: copied straight in when ASCII (the common case), else decoded as UTF-8."""
    cdef Py_ssize_t i
    cdef unsigned char c
    if n == 1 and <unsigned char>p[0] < 128:
        return <object>_char_cache[<unsigned char>p[0]]
    for i in range(n):
        c = <unsigned char>p[i]
        if c >= 128:
            return PyUnicode_DecodeUTF8(p, n, NULL)
    text = PyUnicode_New(n, 127)
    memcpy(PyUnicode_1BYTE_DATA(text), p, n)
    return text


cdef inline object _new_instance(type cls):
    """cls.__new__(cls) without the Python-level attribute look-up and call (no __init__, as the pure twin)."""
    return (<PyTypeObject*>cls).tp_new(cls, <PyObject*>_NO_ARGS, NULL)


cdef inline object _time_ns_object():
    cdef long long ns = pfp_time_ns()
    if ns < 0:
        return time_ns()
    return PyLong_FromLongLong(ns)


cdef struct Field:
    long tag
    Py_ssize_t start  # first byte of the value
    Py_ssize_t end    # one past the last byte of the value (the separator's index)


cdef inline object _tag_object(long tag):
    if 0 <= tag < TAG_CACHE:
        return <object>_tag_cache[tag]
    return tag


cdef inline bint _all_digits(const char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i
    if n <= 0:
        return False
    for i in range(n):
        if p[i] < 48 or p[i] > 57:
            return False
    return True


cdef inline long _digits_value(const char* p, Py_ssize_t n) noexcept:
    cdef long value = 0
    cdef Py_ssize_t i
    for i in range(n):
        value = value * 10 + (p[i] - 48)
    return value


def parse_pairs(frame, int sep=1):
    """Split one frame into ``(tag, value)`` pairs in wire order, duplicates kept; never raises on data.

    A field whose tag is not all ASCII digits gets tag 0; a piece without ``=`` gets tag 0 and its whole text as
    value; a trailing piece without a final separator is included. ``sep`` is the separator byte (SOH = 1).
    """
    cdef bytes data = frame if type(frame) is bytes else bytes(frame)
    cdef const char* buf = PyBytes_AS_STRING(data)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
    cdef Py_ssize_t pos = 0, stop, eq
    cdef const char* found
    cdef list pairs = []
    cdef object tag
    while pos < size:
        found = <const char*>memchr(buf + pos, sep, size - pos)
        stop = (found - buf) if found != NULL else size
        found = <const char*>memchr(buf + pos, 61, stop - pos)  # '='
        if found == NULL:
            pairs.append((0, PyBytes_FromStringAndSize(buf + pos, stop - pos)))
        else:
            eq = found - buf
            if not _all_digits(buf + pos, eq - pos):
                tag = 0
            elif eq - pos <= MAX_C_TAG_DIGITS:
                tag = _tag_object(_digits_value(buf + pos, eq - pos))
            else:
                tag = int(PyBytes_FromStringAndSize(buf + pos, eq - pos))
            pairs.append((tag, PyBytes_FromStringAndSize(buf + eq + 1, stop - eq - 1)))
        pos = stop + 1
    return pairs


# --- generic assembly over (tag, value) pairs: the lenient path ---------------------------------------------------

cdef bint _is_count(value):
    return bool(value) and value.isascii() and value.isdigit()


cdef bint _is_zero(value):
    return value.strip("0" if isinstance(value, str) else b"0") == value[:0]


cdef tuple _read_group_pairs(list pairs, Py_ssize_t i, count_tag, tuple group_spec, fragment_class, group_class):
    first_tag, members, nested = group_spec
    group = group_class.__new__(group_class)
    group.number_tag = count_tag
    group.first_tag = first_tag
    cdef Py_ssize_t n = len(pairs)
    if _is_zero(pairs[i - 1][1]) or i >= n or pairs[i][0] not in members:
        return group, i
    delimiter = pairs[i][0]
    while i < n and pairs[i][0] == delimiter:
        entry = fragment_class()
        i = _fill_pairs(pairs, i, entry, nested, members, delimiter, fragment_class, group_class)
        group.append(entry)
    return group, i


cdef Py_ssize_t _fill_pairs(list pairs, Py_ssize_t i, target, layout, members, delimiter,
                            fragment_class, group_class) except -1:
    cdef Py_ssize_t n = len(pairs)
    cdef Py_ssize_t start = i
    while i < n:
        tag, value = pairs[i]
        if members is not None and (tag not in members or (tag == delimiter and i != start)):
            break
        group_spec = layout.get(tag) if layout else None
        if group_spec is not None and _is_count(value):
            target[tag], i = _read_group_pairs(pairs, i + 1, tag, group_spec, fragment_class, group_class)
        else:
            target[tag] = value
            i += 1
    return i


def assemble(list pairs, target, layout, fragment_class, group_class):
    """Fill ``target`` (a dict) from ``pairs``, building ``group_class`` groups of ``fragment_class`` entries.

    ``layout`` None or empty parses flat. Duplicate tags at one level overwrite: the last value wins (pyfixmsg).
    """
    _fill_pairs(pairs, 0, target, layout, None, None, fragment_class, group_class)
    return target


# --- the wire fast path ---------------------------------------------------------------------------------------

# --- compiled group layouts: bitsets instead of dict/set look-ups per field -----------------------------------

cdef enum:
    BITSET_BYTES = (TAG_CACHE + 7) // 8


cdef inline bint _bit(const unsigned char* bits, long tag) noexcept:
    return bits[tag >> 3] & (1 << (tag & 7))


cdef class _Group:
    """One group of a compiled layout: delimiter, members (bitset below TAG_CACHE, frozenset above), nested level."""
    cdef object first_tag
    cdef object members
    cdef unsigned char member_bits[BITSET_BYTES]
    cdef _Level nested

    cdef inline bint has_member(self, long tag, object tag_obj):
        if 0 <= tag < TAG_CACHE:
            return _bit(self.member_bits, tag)
        return tag_obj in self.members


cdef class _Level:
    """One level of a compiled layout: count tags (bitset + dict count tag -> _Group)."""
    cdef unsigned char count_bits[BITSET_BYTES]
    cdef dict groups
    cdef bint empty

    cdef inline _Group group(self, long tag, object tag_obj):
        if self.empty or (0 <= tag < TAG_CACHE and not _bit(self.count_bits, tag)):
            return None
        return <_Group>self.groups.get(tag_obj)


cdef _Level _compile_level(layout):
    cdef _Level level = _Level.__new__(_Level)
    cdef _Group group
    cdef long tag
    level.groups = {}
    level.empty = not layout
    if level.empty:
        return level
    for count_tag, (first_tag, members, nested) in layout.items():
        tag = count_tag
        group = _Group.__new__(_Group)
        group.first_tag = first_tag
        group.members = frozenset(members)
        for member in group.members:
            if 0 <= member < TAG_CACHE:
                group.member_bits[<long>member >> 3] |= 1 << (<long>member & 7)
        group.nested = _compile_level(nested)
        level.groups[count_tag] = group
        if 0 <= tag < TAG_CACHE:
            level.count_bits[tag >> 3] |= 1 << (tag & 7)
    return level


def compile_layouts(layouts):
    """``layouts`` (MsgType -> layout) in the form :func:`parse_message` reads fastest; the pure twin returns it
    unchanged. Both forms are accepted by ``parse_message``."""
    if layouts is None:
        return None
    return {msg_type: _compile_level(layout) for msg_type, layout in layouts.items()}


cdef _Level _EMPTY_LEVEL = _compile_level(None)


cdef class _Frame:
    """One frame's bytes and field table while a message is built from it."""
    cdef const char* buf
    cdef Field* fields
    cdef Py_ssize_t n
    cdef object fragment_class
    cdef object group_class
    cdef bint plain_fragments
    cdef bint fragments_without_init

    cdef inline object new_fragment(self):
        if self.plain_fragments:
            return {}
        if self.fragments_without_init:
            return _new_instance(self.fragment_class)
        return self.fragment_class()

    cdef inline object value(self, Py_ssize_t i):
        return _utf8_value(self.buf + self.fields[i].start, self.fields[i].end - self.fields[i].start)

    cdef inline bint count_is_digits(self, Py_ssize_t i) noexcept:
        return _all_digits(self.buf + self.fields[i].start, self.fields[i].end - self.fields[i].start)

    cdef bint count_is_zero(self, Py_ssize_t i) noexcept:
        cdef Py_ssize_t j
        for j in range(self.fields[i].start, self.fields[i].end):
            if self.buf[j] != 48:
                return False
        return True

    cdef Py_ssize_t fill(self, Py_ssize_t i, object target, _Level level, _Group within,
                         long delimiter) except -1:
        """Put fields[i:] into target until a tag outside ``within``'s members or a repeated delimiter."""
        cdef Py_ssize_t start = i
        cdef long tag
        cdef object tag_obj
        cdef _Group group
        while i < self.n:
            tag = self.fields[i].tag
            tag_obj = _tag_object(tag)
            if within is not None and ((tag == delimiter and i != start) or not within.has_member(tag, tag_obj)):
                break
            group = level.group(tag, tag_obj)
            if group is not None and self.count_is_digits(i):
                i = self.read_group(i + 1, tag_obj, group, target)
            else:
                PyDict_SetItem(target, tag_obj, self.value(i))
                i += 1
        return i

    cdef Py_ssize_t read_group(self, Py_ssize_t i, object count_tag, _Group spec, object target) except -1:
        """Read the entries of the group counted by field i - 1 into target[count_tag]; the next index."""
        group = _new_instance(self.group_class)
        group.number_tag = count_tag
        group.first_tag = spec.first_tag
        PyDict_SetItem(target, count_tag, group)
        if self.count_is_zero(i - 1) or i >= self.n:
            return i
        cdef long delimiter = self.fields[i].tag
        if not spec.has_member(delimiter, _tag_object(delimiter)):
            return i
        while i < self.n and self.fields[i].tag == delimiter:
            entry = self.new_fragment()
            i = self.fill(i, entry, spec.nested, spec, delimiter)
            PyList_Append(group, entry)
        return i


cdef Py_ssize_t _tokenize(const char* buf, Py_ssize_t size, int sep, Field* fields, Py_ssize_t capacity,
                          Py_ssize_t* msg_type_index) noexcept:
    """Fill fields from a strict frame; the number of fields, or -1 when the lenient path must parse it."""
    cdef Py_ssize_t pos = 0, stop, eq, n = 0
    cdef const char* found
    if size == 0 or buf[size - 1] != sep:
        return -1
    msg_type_index[0] = -1
    while pos < size:
        found = <const char*>memchr(buf + pos, sep, size - pos)
        stop = found - buf  # never NULL: the frame ends with sep
        found = <const char*>memchr(buf + pos, 61, stop - pos)
        if found == NULL or n >= capacity:
            return -1
        eq = found - buf
        if eq - pos > MAX_FAST_TAG_DIGITS or not _all_digits(buf + pos, eq - pos):
            return -1
        fields[n].tag = _digits_value(buf + pos, eq - pos)
        if fields[n].tag == MESSAGE_ENCODING:
            return -1
        if fields[n].tag == MSG_TYPE and msg_type_index[0] < 0:
            msg_type_index[0] = n
        fields[n].start = eq + 1
        fields[n].end = stop
        n += 1
        pos = stop + 1
    return n


cdef Py_ssize_t _count_byte(const char* buf, Py_ssize_t size, int byte) noexcept:
    cdef Py_ssize_t count = 0, pos = 0
    cdef const char* found
    while pos < size:
        found = <const char*>memchr(buf + pos, byte, size - pos)
        if found == NULL:
            break
        count += 1
        pos = (found - buf) + 1
    return count


def parse_message(frame, int sep, layouts, message_class, fragment_class, group_class, codec):
    """One well-formed frame as a new ``message_class`` instance (int tags, str values, groups), or None.

    The instance is made without calling ``__init__``; when ``codec`` is not None its creation time
    (``_time_ns``, ns since the epoch) and ``_codec`` are set. The layout is ``layouts[first MsgType(35)]``; no
    layout parses flat. None means the frame needs the lenient tokenizer (see the pure twin for the rules).
    """
    cdef bytes data = frame if type(frame) is bytes else bytes(frame)
    cdef const char* buf = PyBytes_AS_STRING(data)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
    cdef Field stack_fields[STACK_FIELDS]
    cdef Field* fields = stack_fields
    cdef Py_ssize_t capacity = STACK_FIELDS, n, msg_type_index
    cdef _Frame state
    if not isinstance(message_class, type) or not isinstance(group_class, type):
        raise TypeError(f"parse_message: message_class={message_class!r} and group_class={group_class!r} "
                        "must be classes")
    if size > STACK_FIELDS:
        capacity = _count_byte(buf, size, sep)
        if capacity > STACK_FIELDS:
            fields = <Field*>malloc(capacity * sizeof(Field))
            if fields == NULL:
                raise MemoryError(f"parse_message: no memory for {capacity} fields")
        else:
            capacity = STACK_FIELDS
    try:
        n = _tokenize(buf, size, sep, fields, capacity, &msg_type_index)
        if n < 0:
            return None
        state = _Frame.__new__(_Frame)
        state.buf = buf
        state.fields = fields
        state.n = n
        state.fragment_class = fragment_class
        state.group_class = group_class
        state.plain_fragments = fragment_class is dict
        # A dict subclass that keeps dict.__init__ gains nothing from __init__ without arguments: skip the call.
        state.fragments_without_init = (
            isinstance(fragment_class, type) and issubclass(fragment_class, dict)
            and fragment_class.__init__ is dict.__init__
        )
        level = _EMPTY_LEVEL
        try:
            if layouts and msg_type_index >= 0:
                layout = layouts.get(state.value(msg_type_index))
                if layout is not None:
                    level = layout if type(layout) is _Level else _compile_level(layout)
            message = _new_instance(message_class)
            if codec is not None:
                message._time_ns = _time_ns_object()
                message._codec = codec
            state.fill(0, message, level, None, -1)
        except UnicodeDecodeError:
            return None
        return message
    finally:
        if fields != stack_fields:
            free(fields)
