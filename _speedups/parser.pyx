# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Splitting FIX frames into fields and building messages from them: the compiled twin of
``pyfixmsg_plus.message.parser_py`` (the readable specification; same functions, same results).

Every index below stays inside ``[0, size)`` of the frame: the fast tokenizer first checks that the last byte is
the separator, so a tag read digit by digit stops there at the latest; a value runs from after ``=`` to the
separator found (8 bytes per step while 8 remain, then byte by byte) before ``size``; and the field table holds at
most ``size // 3`` entries (the shortest field, ``1=`` and a separator, is 3 bytes) in a buffer sized from that
bound. So bounds checks are off without risk on any input (a differential fuzz under ASan checks it).

Where the time goes (FIX 4.4 benchmark corpus, 25 fields a message, ~11.6k instructions a message under
callgrind, from ~12.9k before entry 40 of docs/performance.md): this module's own filling (~3.0k, the str values'
layout and the table writes included) and tokenizing (~2.0k); CPython's allocator (~1.6k), deallocating the
message, its tables and values (~1.5k), object creation (~0.5k). The fast path sizes each dict once (see
``pfp_presize_empty_dict``), writes each str value and its table entry in one C step on a table read once per
dict (``pfp_filler``), writes the groups' and the message's attributes straight into their slots, remembers the
layout level of recent MsgTypes by their bytes (``_LevelCache``), and checks the whole frame for non-ASCII bytes
once while searching the separators. Measured and left out: sharing values (a 4096/256-slot table by content,
and a last-value-per-tag table: ~2 hits a message, +570 instructions net); reading tags 8 bytes at a time (more
instructions and slower than the digit loop, tags being 2-3 digits).
"""

cimport cython
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_Check, PyDict_GetItem, PyDict_GetItemWithError, PyDict_SetItem
from cpython.list cimport PyList_Append
from cpython.object cimport PyObject, PyTypeObject, Py_TYPE
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.long cimport PyLong_FromLongLong
from cpython.unicode cimport PyUnicode_1BYTE_DATA, PyUnicode_DecodeUTF8, PyUnicode_New
from libc.stdint cimport uint64_t
from libc.stdlib cimport free, malloc
from libc.string cimport memchr, memcpy, memset

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
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
    /* True when instances of t set attributes with object.__setattr__ (no __setattr__ override) */
    static int pfp_generic_setattr(PyTypeObject* t) { return t->tp_setattro == PyObject_GenericSetAttr; }

    /* The first byte equal to sep in [p, end), or NULL. Values are short (a few bytes): 8 bytes per step with the
       zero-byte test on (word ^ sep repeated) beats a memchr call; the lowest flagged byte is the first match.
       Every byte read (at least [p, match]) is ORed into *seen, so that one test of its high bits tells whether
       all the values of a frame are ASCII (bytes read past the match belong to the frame too: at worst a false
       "not ASCII", which only sends values to the checked path). */
    static const char* pfp_find_byte(const char* p, const char* end, unsigned char sep, uint64_t* seen) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL, pattern = ones * sep;
        uint64_t word, x;
        while (end - p >= 8) {
            memcpy(&word, p, 8);
            *seen |= word;
            x = word ^ pattern;
            x = (x - ones) & ~x & highs;
            if (x) return p + (__builtin_ctzll(x) >> 3);
            p += 8;
        }
    #endif
        for (; p < end; p++) {
            *seen |= (unsigned char)*p;
            if ((unsigned char)*p == sep) return p;
        }
        return NULL;
    }

    /* CPython 3.11 only: the helpers below read and write the dict and str layouts of 3.11 (checked against its
       Objects/dictobject.c and Objects/unicodeobject.c); other versions take the public API. */
    #if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000 && !defined(Py_GIL_DISABLED)
    #define PFP_DICT_FAST 1
    #else
    #define PFP_DICT_FAST 0
    #endif

    #if PFP_DICT_FAST
    /* CPython 3.11's combined dict table (Include/internal/pycore_dict.h, not includable outside the core): the
       keys object, then dk_indices (1, 2, 4 or 8 bytes an index), then the entries. */
    typedef struct {
        Py_ssize_t dk_refcnt;
        uint8_t dk_log2_size;
        uint8_t dk_log2_index_bytes;
        uint8_t dk_kind;  /* 0: general keys (what int keys need) */
        uint32_t dk_version;
        Py_ssize_t dk_usable;
        Py_ssize_t dk_nentries;
        char dk_indices[];
    } pfp_keys;
    typedef struct { Py_hash_t me_hash; PyObject* me_key; PyObject* me_value; } pfp_entry;

    /* A new empty general-keys table of 2**log2_size slots, as new_keys_object(log2_size, unicode=0) makes it
       (PyObject_Malloc, which free_keys_object pairs with PyObject_Free for general tables). */
    static pfp_keys* pfp_new_keys(uint8_t log2_size) {
        size_t usable = (((size_t)1 << log2_size) << 1) / 3;  /* USABLE_FRACTION */
        uint8_t log2_bytes = log2_size < 8 ? log2_size : log2_size < 16 ? log2_size + 1 : log2_size + 2;
        pfp_keys* k = (pfp_keys*)PyObject_Malloc(sizeof(pfp_keys) + ((size_t)1 << log2_bytes)
                                                 + sizeof(pfp_entry) * usable);
        if (k == NULL) { PyErr_NoMemory(); return NULL; }
        k->dk_refcnt = 1;
        k->dk_log2_size = log2_size;
        k->dk_log2_index_bytes = log2_bytes;
        k->dk_kind = 0;
        k->dk_version = 0;
        k->dk_usable = (Py_ssize_t)usable;
        k->dk_nentries = 0;
        memset(k->dk_indices, 0xff, (size_t)1 << log2_bytes);
        /* The entries are left unwritten (new_keys_object zeroes them): 3.11 reads entries only below dk_nentries
           (look-ups through the indices, iteration, traversal, resize, dealloc); a copy of the whole table
           (clone_combined_dict_keys) copies the bytes above without reading them as objects. */
        return k;
    }
    #endif

    /* CPython grows a filling dict 8 -> 16 -> 32 -> 64 slots, rebuilding the table each time, and a dict subclass
       (FixMessage) cannot be created presized: the empty dict d gets a table sized for n entries instead (the
       slot count _PyDict_NewPresized picks). d held a counted reference to the shared empty table (dict_new
       takes one, dict_dealloc drops it): dropped here, as dictkeys_decref does (that table is never freed). */
    static int pfp_presize_empty_dict(PyObject* d, Py_ssize_t n) {
    #if PFP_DICT_FAST
        PyDictObject* target = (PyDictObject*)d;
        pfp_keys* old;
        pfp_keys* sized;
        uint8_t log2_size = 3;
        if (n <= 5 || !PyDict_Check(d) || target->ma_used != 0 || target->ma_values != NULL) return 0;
        old = (pfp_keys*)target->ma_keys;
        if (old->dk_nentries != 0 || old->dk_refcnt < 2) return 0;  /* not the shared empty table */
        if (n > 87381) n = 87381;  /* USABLE_FRACTION(2**17): _PyDict_NewPresized's cap */
        while ((((size_t)1 << log2_size) << 1) / 3 < (size_t)n) log2_size++;
        sized = pfp_new_keys(log2_size);
        if (sized == NULL) return -1;
        old->dk_refcnt--;
        target->ma_keys = (PyDictKeysObject*)sized;
    #endif
        return 0;
    }

    #if PFP_DICT_FAST
    static inline Py_ssize_t pfp_index_at(const pfp_keys* k, size_t i) {
        uint8_t log2 = k->dk_log2_size;
        if (log2 < 8) return ((const int8_t*)k->dk_indices)[i];
        if (log2 < 16) return ((const int16_t*)k->dk_indices)[i];
        if (log2 < 32) return ((const int32_t*)k->dk_indices)[i];
        return ((const int64_t*)k->dk_indices)[i];
    }
    static inline void pfp_index_set(pfp_keys* k, size_t i, Py_ssize_t ix) {
        uint8_t log2 = k->dk_log2_size;
        if (log2 < 8) ((int8_t*)k->dk_indices)[i] = (int8_t)ix;
        else if (log2 < 16) ((int16_t*)k->dk_indices)[i] = (int16_t)ix;
        else if (log2 < 32) ((int32_t*)k->dk_indices)[i] = (int32_t)ix;
        else ((int64_t*)k->dk_indices)[i] = ix;
    }
    #endif

    /* memcpy(dst, src, n) for n >= 1: values are mostly under 16 bytes, where two overlapping fixed-size copies
       (both inside [src, src + n) and [dst, dst + n)) are cheaper than a call to memcpy. */
    static inline void pfp_copy_short(char* dst, const char* src, Py_ssize_t n) {
        uint64_t w8a, w8b;
        uint32_t w4a, w4b;
        uint16_t w2a, w2b;
        if (n >= 8 && n <= 16) {
            memcpy(&w8a, src, 8); memcpy(&w8b, src + n - 8, 8);
            memcpy(dst, &w8a, 8); memcpy(dst + n - 8, &w8b, 8);
        } else if (n >= 4 && n < 8) {
            memcpy(&w4a, src, 4); memcpy(&w4b, src + n - 4, 4);
            memcpy(dst, &w4a, 4); memcpy(dst + n - 4, &w4b, 4);
        } else if (n >= 2 && n < 4) {
            memcpy(&w2a, src, 2); memcpy(&w2b, src + n - 2, 2);
            memcpy(dst, &w2a, 2); memcpy(dst + n - 2, &w2b, 2);
        } else {
            memcpy(dst, src, (size_t)n);
        }
    }

    /* A new str of the n ASCII bytes at p (n >= 1), laid out as PyUnicode_New(n, 127) makes it on 3.11 (compact
       ASCII: the PyASCIIObject header, then the bytes and a NUL), without its generic size and kind dispatch. */
    static inline PyObject* pfp_ascii_str(const char* p, Py_ssize_t n) {
    #if PFP_DICT_FAST
        PyASCIIObject* o;
        char* data;
        if (n < 1 || n > PY_SSIZE_T_MAX / 2) return PyUnicode_FromStringAndSize(p, n);
        o = (PyASCIIObject*)PyObject_Malloc(sizeof(PyASCIIObject) + (size_t)n + 1);
        if (o == NULL) return PyErr_NoMemory();
    #if defined(Py_REF_DEBUG) || defined(Py_TRACE_REFS)
        PyObject_Init((PyObject*)o, &PyUnicode_Type);
    #else
        /* What PyObject_Init does for a static type, without its two calls: str is not a heap type (no type
           reference), and _Py_NewReference's tracemalloc hook only re-attributes the block to the current
           traceback, which PyObject_Malloc just recorded from this same frame. */
        Py_SET_TYPE((PyObject*)o, &PyUnicode_Type);
        Py_SET_REFCNT((PyObject*)o, 1);
    #endif
        o->length = n;
        o->hash = -1;
        memset(&o->state, 0, sizeof(o->state));
        o->state.kind = PyUnicode_1BYTE_KIND;
        o->state.compact = 1;
        o->state.ascii = 1;
        o->state.ready = 1;
        o->wstr = NULL;
        data = (char*)(o + 1);
        pfp_copy_short(data, p, n);
        data[n] = 0;
        return (PyObject*)o;
    #else
        PyObject* text = PyUnicode_New(n, 127);
        if (text != NULL) memcpy(PyUnicode_1BYTE_DATA(text), p, (size_t)n);
        return text;
    #endif
    }

    /* The table of one dict the parser is filling (the message or a group entry), read once instead of per field.
       Re-read whenever the dict's table is not the one read (CPython's own insert resized it, or anything else
       replaced it): the table pointer and its size are compared before every write. */
    typedef struct {
        PyObject* d;
    #if PFP_DICT_FAST
        int is_dict;
        pfp_keys* k;  /* NULL: nothing read yet */
        pfp_entry* entries;
        size_t mask;
        uint8_t log2_size;
    #endif
    } pfp_filler;

    static inline void pfp_filler_init(pfp_filler* f, PyObject* d) {
        f->d = d;
    #if PFP_DICT_FAST
        f->is_dict = PyDict_Check(d);
        f->k = NULL;
        f->entries = NULL;
        f->mask = 0;
        f->log2_size = 0;
    #endif
    }

    #if PFP_DICT_FAST
    /* 1 when f's cached table is d's current one and writable here (combined, general keys), else 0. The cache is
       dropped (pfp_filler_forget) after anything that may replace the table or run Python code, so that a table
       freed and another allocated at the same address cannot pass for the cached one. */
    static inline int pfp_filler_ready(pfp_filler* f) {
        PyDictObject* mp = (PyDictObject*)f->d;
        pfp_keys* k;
        if (!f->is_dict) return 0;
        k = (pfp_keys*)mp->ma_keys;
        if (k == f->k) return 1;
        if (mp->ma_values != NULL || k->dk_kind != 0) return 0;
        f->k = k;
        f->log2_size = k->dk_log2_size;
        f->entries = (pfp_entry*)(k->dk_indices + ((size_t)1 << k->dk_log2_index_bytes));
        f->mask = ((size_t)1 << k->dk_log2_size) - 1;
        return 1;
    }
    #endif

    static inline void pfp_filler_forget(pfp_filler* f) {
    #if PFP_DICT_FAST
        f->k = NULL;
    #endif
    }

    /* d[key] = value, as insertdict does for a general-keys combined table, where that is plain: key is the
       parser's shared int object for hash == tag (so identity is equality), the table has a free entry, no deleted
       slot lies on the probe path; value (a reference the call takes over, NULL after an error: returns -1) is a
       str or anything else that needs no GC tracking change of d. One-byte indices (tables up to 128 slots) are
       read without the width dispatch. Anything unusual takes CPython's insert. The keys version is reset, as
       insertdict does; the dict's own version tag is not bumped: nothing has seen this dict yet (it is being
       built). 0, or -1 on error. */
    static inline int pfp_fill_owned(pfp_filler* f, PyObject* key, Py_hash_t hash, PyObject* value) {
        int status;
        if (value == NULL) return -1;
    #if PFP_DICT_FAST
        if (pfp_filler_ready(f)) {
            pfp_keys* k = f->k;
            pfp_entry* entries = f->entries;
            size_t mask = f->mask, i = (size_t)hash & mask, perturb = (size_t)hash;
            Py_ssize_t ix;
            int small = f->log2_size < 8;
            for (;;) {
                ix = small ? ((const int8_t*)k->dk_indices)[i] : pfp_index_at(k, i);
                if (ix == -1) break;  /* empty slot: the key is not there */
                if (ix < 0) goto generic;  /* a deleted slot */
                if (entries[ix].me_key == key) {  /* repeated tag: the last value wins, as in insertdict */
                    PyObject* old = entries[ix].me_value;
                    entries[ix].me_value = value;
                    Py_DECREF(old);
                    return 0;
                }
                if (entries[ix].me_hash == hash) goto generic;  /* an equal key in another object */
                perturb >>= 5;
                i = (i * 5 + perturb + 1) & mask;
            }
            if (k->dk_usable > 0) {
                Py_ssize_t at = k->dk_nentries;
                Py_INCREF(key);
                entries[at].me_hash = hash;
                entries[at].me_key = key;
                entries[at].me_value = value;
                if (small) ((int8_t*)k->dk_indices)[i] = (int8_t)at;
                else pfp_index_set(k, i, at);
                k->dk_version = 0;
                k->dk_usable--;
                k->dk_nentries = at + 1;
                ((PyDictObject*)f->d)->ma_used++;
                return 0;
            }
        }
    generic:
        pfp_filler_forget(f);  /* CPython's insert may resize the table */
        status = f->is_dict ? _PyDict_SetItem_KnownHash(f->d, key, value, hash) : PyDict_SetItem(f->d, key, value);
    #else
        status = PyDict_SetItem(f->d, key, value);
    #endif
        Py_DECREF(value);
        return status;
    }

    /* pfp_fill_owned with a borrowed value. */
    static inline int pfp_fill_str(pfp_filler* f, PyObject* key, Py_hash_t hash, PyObject* value) {
        Py_INCREF(value);
        return pfp_fill_owned(f, key, hash, value);
    }

    /* d[key] = the str of the n ASCII bytes at p (one-character values shared from chars, 128 entries), made
       and written in one step. */
    static inline int pfp_fill_ascii(pfp_filler* f, PyObject* key, Py_hash_t hash, const char* p, Py_ssize_t n,
                                     PyObject** chars) {
        PyObject* value;
        if (n == 1) {
            value = chars[(unsigned char)p[0] & 127];  /* the mask keeps the index in the table, whatever p holds */
            Py_INCREF(value);
        } else {
            value = pfp_ascii_str(p, n);
        }
        return pfp_fill_owned(f, key, hash, value);
    }

    /* A number that changes whenever the dict d changes and is never shared with another dict (CPython 3.11's
       ma_version_tag, from one global counter), or 0 when there is none to read (no cache then). */
    static inline uint64_t pfp_dict_version(PyObject* d) {
    #if PFP_DICT_FAST
        if (PyDict_CheckExact(d)) return ((PyDictObject*)d)->ma_version_tag;
    #endif
        return 0;
    }

    /* d[tag] = value for an int tag >= 0 (below 2**61 - 1, where hash(tag) == tag): skips the hash call, and the
       whole generic insert when tag is the parser's shared object for its value (shared=1). */
    static int pfp_set_tag(PyObject* d, PyObject* tag, long tag_value, PyObject* value, int shared) {
    #if PFP_DICT_FAST
        pfp_filler f;
        if (!PyDict_Check(d)) return PyDict_SetItem(d, tag, value);  /* not a dict: fails as it always did */
        /* a GC-tracked value (a group) in a dict not tracked yet (a plain dict entry): CPython's insert tracks it */
        if (shared && (PyUnicode_CheckExact(value) || !PyObject_IS_GC(value) || PyObject_GC_IsTracked(d))) {
            pfp_filler_init(&f, d);
            return pfp_fill_str(&f, tag, (Py_hash_t)tag_value, value);
        }
        return _PyDict_SetItem_KnownHash(d, tag, value, (Py_hash_t)tag_value);
    #else
        return PyDict_SetItem(d, tag, value);
    #endif
    }
    """
    long long pfp_time_ns() noexcept
    bint pfp_generic_setattr(PyTypeObject* t) noexcept
    const char* pfp_find_byte(const char* p, const char* end, unsigned char sep, uint64_t* seen) noexcept
    int pfp_presize_empty_dict(object d, Py_ssize_t n) except -1
    int pfp_set_tag(object d, object tag, long tag_value, object value, int shared) except -1
    object pfp_ascii_str(const char* p, Py_ssize_t n)
    ctypedef struct pfp_filler:
        pass
    void pfp_filler_init(pfp_filler* f, object d) noexcept
    void pfp_filler_forget(pfp_filler* f) noexcept
    uint64_t pfp_dict_version(object d) noexcept
    int pfp_fill_str(pfp_filler* f, PyObject* key, Py_ssize_t hash, object value) except -1
    int pfp_fill_ascii(pfp_filler* f, PyObject* key, Py_ssize_t hash, const char* p, Py_ssize_t n,
                       PyObject** chars) except -1

cdef extern from "Python.h":
    Py_ssize_t PyDict_GET_SIZE(object d)  # a macro: the dict's own entry count
    ctypedef struct PyMemberDef:
        int type
        Py_ssize_t offset
        int flags
    ctypedef struct PyMemberDescrObject:
        PyMemberDef* d_member
    PyTypeObject PyMemberDescr_Type
    PyObject* _PyType_Lookup(PyTypeObject* type, PyObject* name)
    enum:
        T_OBJECT_EX
        READONLY

from os import urandom
from time import time_ns

cdef enum:
    TAG_CACHE = 10000  # int objects of tags below this are shared, not allocated per field
    STACK_FIELDS = 256  # field table on the stack: frames up to 768 bytes need no allocation
    MIN_FIELD_BYTES = 3  # "1=" and the separator: a frame of n bytes holds at most n // 3 fields
    MAX_FAST_TAG_DIGITS = 9
    MAX_C_TAG_DIGITS = 18
    MSG_TYPE = 35
    MESSAGE_ENCODING = 347  # FIX MessageEncoding: Encoded* fields need the codec's decoding, not UTF-8
    LEVEL_CACHE = 16  # MsgTypes whose layout level a MessageParser remembers (a slot each)

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

cdef inline object _new_ascii(const char* p, Py_ssize_t n):
    return pfp_ascii_str(p, n)


cdef inline bint _is_ascii(const char* p, Py_ssize_t n) noexcept:
    cdef Py_ssize_t i = 0
    cdef uint64_t word
    while i + 8 <= n:
        memcpy(&word, p + i, 8)
        if word & 0x8080808080808080ULL:
            return False
        i += 8
    while i < n:
        if <unsigned char>p[i] >= 128:
            return False
        i += 1
    return True


cdef inline object _ascii_value(const char* p, Py_ssize_t n):
    """The str of n ASCII bytes at p (1-char values shared)."""
    if n == 1:
        return <object>_char_cache[p[0] & 127]  # the mask only keeps the index in the table, whatever p holds
    return _new_ascii(p, n)


cdef inline object _utf8_value(const char* p, Py_ssize_t n):
    """The str of n bytes at p: ASCII copied straight in (the common case), else decoded as UTF-8.

    (A bounded table sharing repeated values of up to 16 bytes was measured with 4096 and 256 slots: on the
    benchmark corpus only ~6 of 25 values a message hit it, and its look-ups cost as much wall time as the
    allocations they saved.)
    """
    if n == 1 and <unsigned char>p[0] < 128:
        return <object>_char_cache[<unsigned char>p[0]]
    if not _is_ascii(p, n):
        return PyUnicode_DecodeUTF8(p, n, NULL)
    return _new_ascii(p, n)


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
    group.standard = True
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


include "parser_fast.pxi"
