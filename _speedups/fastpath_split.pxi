# Splitting a frame into its fields for the run scanner (fastpath.pyx includes this file: one module, one twin,
# pyfixmsg_plus/session/fastpath_py.py). Two ways, same tables out:
# - ``tokenize`` reads every tag's digits and hashes them (the way to find a frame's shape);
# - ``split_as_shape`` takes the SOH offsets of the whole frame (found 16 bytes at a time) and checks that field k
#   starts with the text ``<tag k>=`` of a guessed shape: no digit loop, no per-value scan, no tag compare after.
# Both read only frame[0:length].

cdef extern from *:
    """
    #if (defined(__GNUC__) || defined(__clang__)) && defined(__SSE2__)
    #include <emmintrin.h>
    #define PFP_SOH_SSE2 1
    #endif

    #ifdef PFP_SOH_SSE2
    /* Bit j set when p[j] is SOH, for the 16 bytes at p. */
    static inline unsigned int pfp_soh_bits(const unsigned char *p) {
        return (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p),
                                                              _mm_set1_epi8(1)));
    }

    /* Append base + j for each bit j of bits to out at *count. */
    static inline void pfp_push_offsets(unsigned int bits, Py_ssize_t base, Py_ssize_t *out, Py_ssize_t *count) {
        while (bits) {
            out[(*count)++] = base + __builtin_ctz(bits);
            bits &= bits - 1;
        }
    }
    #endif

    /* Offsets of the SOH (0x01) bytes of p[0:n], in order, into out; -1 when there are more than cap.
       out must have room for cap + 16 entries (a 16-byte block is written out before the count is checked). */
    static Py_ssize_t pfp_soh_offsets(const unsigned char *p, Py_ssize_t n, Py_ssize_t *out, Py_ssize_t cap) {
        Py_ssize_t count = 0, base = 0;
    #ifdef PFP_SOH_SSE2
        if (n >= 16) {
            for (; base + 16 <= n && count <= cap; base += 16)
                pfp_push_offsets(pfp_soh_bits(p + base), base, out, &count);
            if (base < n && count <= cap)  /* the last partial block: the frame's last 16 bytes, shifted */
                pfp_push_offsets(pfp_soh_bits(p + n - 16) >> (base + 16 - n), base, out, &count);
            return count > cap ? -1 : count;
        }
    #endif
        for (; base < n; base++) {
            if (p[base] == 1) {
                if (count == cap)
                    return -1;
                out[count++] = base;
            }
        }
        return count;
    }

    /* The bytes p[at:at+8] as they lie in memory, zero past n (0 <= at < n). Near the end a little-endian
       machine reads the frame's last 8 bytes and shifts: no variable-size memcpy call. */
    static inline uint64_t pfp_word_at(const unsigned char *p, Py_ssize_t at, Py_ssize_t n) {
        uint64_t word = 0;
        if (at + 8 <= n) {
            memcpy(&word, p + at, 8);
            return word;
        }
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        if (n >= 8) {
            memcpy(&word, p + n - 8, 8);
            return word >> (8 * (at + 8 - n));
        }
    #endif
        memcpy(&word, p + at, (size_t)(n - at));
        return word;
    }
    """
    Py_ssize_t soh_offsets "pfp_soh_offsets"(cbuf p, Py_ssize_t n, Py_ssize_t* out, Py_ssize_t cap) noexcept nogil
    uint64_t word_at "pfp_word_at"(cbuf p, Py_ssize_t at, Py_ssize_t n) noexcept nogil


ctypedef struct TagText:
    # the bytes ``<tag>=`` as the first ``size`` bytes of ``word`` (memory order), ``mask`` selecting them
    uint64_t word
    uint64_t mask
    Py_ssize_t size


cdef enum:
    C_MAX_TEXT_TAG = 9999999  # ``<tag>=`` of up to 7 digits fits one 8-byte word


cdef bint set_tag_texts(TagText* texts, const int32_t* tags, Py_ssize_t n) except -1:
    """The ``<tag>=`` words of a shape; False (and the guessed split unused) when a tag has no such word."""
    cdef Py_ssize_t k
    cdef bytes text
    cdef unsigned char bytes_[8]
    for k in range(n):
        if not 0 < tags[k] <= C_MAX_TEXT_TAG:
            return False
        text = b"%d=" % tags[k]
        texts[k].size = len(text)
        memset(bytes_, 0, 8)
        memcpy(bytes_, <const char*>text, texts[k].size)
        memcpy(&texts[k].word, bytes_, 8)
        memset(bytes_, 0xFF, texts[k].size)
        memcpy(&texts[k].mask, bytes_, 8)
    return True


cdef inline bint split_as_shape(const TagText* texts, Py_ssize_t n, cbuf frame, Py_ssize_t length,
                                const Py_ssize_t* ends, Py_ssize_t* starts, Py_ssize_t* sizes) noexcept nogil:
    """True when the ``n`` SOH-ended fields of the frame (``ends``: their SOH offsets, the last at length - 1)
    are ``<tag k>=<value>`` with a value, as ``tokenize`` would read them for the shape's tags; fills
    starts and sizes. The tag texts are canonical (no sign, no leading zero), so a match means tokenize
    would find exactly these tags."""
    cdef Py_ssize_t k, field = 0, size
    cdef uint64_t word
    for k in range(n):
        size = texts[k].size
        if ends[k] - field <= size:  # shorter than its tag text and one value byte
            return False
        word = word_at(frame, field, length)  # more than size bytes are left, as checked above
        if (word ^ texts[k].word) & texts[k].mask:
            return False
        starts[k] = field + size
        sizes[k] = ends[k] - field - size
        field = ends[k] + 1
    return True


cdef Py_ssize_t tokenize(cbuf frame, Py_ssize_t length, int32_t* tags, Py_ssize_t* starts,
                         Py_ssize_t* sizes, uint64_t* hash) noexcept nogil:
    """Fields of a SOH-separated frame into the tables, and the FNV-1a hash of its tags into ``hash`` (as
    shape_slot computes it); -1 for a tag that is not a plain number (no sign, no leading zero, at most 9
    digits), an empty value, a missing final SOH or more than C_MAX_FIELDS fields."""
    cdef Py_ssize_t p = 0, count = 0, digits, end
    cdef int32_t tag
    cdef uint64_t h = hash[0]
    # a final SOH bounds every scan below: no loop needs to compare its index with the length
    if length <= 0 or frame[length - 1] != 1:
        return -1
    while p < length:
        if count == C_MAX_FIELDS or not (49 <= frame[p] <= 57):
            return -1
        tag = frame[p] - 48
        p += 1
        digits = 1
        while is_digit(frame[p]):
            if digits == 9:
                return -1
            tag = tag * 10 + (frame[p] - 48)
            p += 1
            digits += 1
        if frame[p] != 61:  # '='
            return -1
        p += 1
        end = p
        while frame[end] != 1:  # values are short: a plain loop beats a memchr call
            end += 1
        if end == p:
            return -1
        tags[count] = tag
        starts[count] = p
        sizes[count] = end - p
        h = (h ^ <uint64_t><uint32_t>tag) * FNV_PRIME
        count += 1
        p = end + 1
    hash[0] = h
    return count
