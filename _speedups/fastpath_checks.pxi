# Value-format checks of the run scanner (fastpath.pyx includes this file: one module, one twin,
# pyfixmsg_plus/session/fastpath_py.py): FIX int/float/UTCTimestamp syntax, SendingTime(52) inside a window with a
# per-date cache, and short enum values packed into an integer. Every function reads only v[0:n].


cdef inline bint is_digit(unsigned char c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint all_digits(cbuf v, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    if n == 0:
        return False
    for i in range(n):
        if not is_digit(v[i]):
            return False
    return True


cdef inline int two(cbuf v) noexcept nogil:
    return (v[0] - 48) * 10 + (v[1] - 48)


cdef bint is_int(cbuf v, Py_ssize_t n) noexcept nogil:
    if n and v[0] == 45:  # '-'
        return all_digits(v + 1, n - 1)
    return all_digits(v, n)


cdef bint is_float(cbuf v, Py_ssize_t n) noexcept nogil:
    """``-?(\\d+\\.?\\d*|\\.\\d+)`` in full."""
    cdef Py_ssize_t i = 0, digits = 0
    if n and v[0] == 45:
        i = 1
    if i < n and v[i] == 46:  # '.' first: digits must follow
        return all_digits(v + i + 1, n - i - 1)
    while i < n and is_digit(v[i]):
        i += 1
        digits += 1
    if digits == 0:
        return False
    if i < n and v[i] == 46:
        i += 1
    while i < n and is_digit(v[i]):
        i += 1
    return i == n


cdef bint is_timestamp(cbuf v, Py_ssize_t n) noexcept nogil:
    """UTCTimestamp ``YYYYMMDD-HH:MM:SS[.f{1,12}]`` with the ranges of the pure twin's pattern."""
    cdef int month, day
    if n < 17 or (n > 17 and (n < 19 or n > 30 or v[17] != 46 or not all_digits(v + 18, n - 18))):
        return False
    if not (all_digits(v, 8) and v[8] == 45 and all_digits(v + 9, 2) and v[11] == 58
            and all_digits(v + 12, 2) and v[14] == 58 and all_digits(v + 15, 2)):
        return False
    month, day = two(v + 4), two(v + 6)
    return (1 <= month <= 12 and 1 <= day <= 31 and two(v + 9) <= 23 and two(v + 12) <= 59
            and two(v + 15) <= 60)


cdef int64_t days_from_civil(int64_t y, int64_t m, int64_t d) noexcept nogil:
    """Days since 1970-01-01 of a proleptic Gregorian date (y >= 1; d may pass the month's end, linearly)."""
    cdef int64_t era, yoe, doy, doe
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468 + d - 1


ctypedef struct DayCache:
    # the first 8 bytes (YYYYMMDD) of the last SendingTime(52) converted, and its days since the epoch:
    # a session's frames share a date, so the calendar arithmetic runs about once a day
    uint64_t code
    int64_t days


cdef bint timestamp_inside(cbuf v, Py_ssize_t n, double low, double high, DayCache* cache) noexcept nogil:
    """A well-formed UTCTimestamp whose whole second s has low < s and s + 1 < high."""
    cdef int64_t year, seconds, days
    cdef uint64_t code
    if not is_timestamp(v, n):
        return False
    memcpy(&code, v, 8)
    if code == cache.code:
        days = cache.days
    else:
        year = (v[0] - 48) * 1000 + (v[1] - 48) * 100 + two(v + 2)
        if year < 1:
            return False
        days = days_from_civil(year, two(v + 4), two(v + 6))
        cache.code, cache.days = code, days
    seconds = days * 86400 + two(v + 9) * 3600 + two(v + 12) * 60 + two(v + 15)
    return low < <double>seconds and <double>(seconds + 1) < high


cdef inline uint64_t pack_short(cbuf v, Py_ssize_t n) noexcept nogil:
    """A value of at most 7 bytes as one integer (its length in the low byte)."""
    cdef uint64_t key = <uint64_t>n
    cdef Py_ssize_t j
    for j in range(n):
        key |= (<uint64_t>v[j]) << (8 * (j + 1))
    return key
