# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""Batch sequence check over a FrameIndex (compiled twin of ``pyfixmsg_plus/session/seqcheck_py.py``).

Same functions, same results. The loops index only within the lengths checked equal in ``_as_arrays``.
"""

import numpy as np

IN_SEQUENCE = 0
TOO_HIGH = 1
TOO_LOW = 2
NOT_CHECKED = 3

CODE_NAMES = ("in sequence", "too high", "too low", "not checked")

cdef enum:
    C_IN_SEQUENCE = 0
    C_TOO_HIGH = 1
    C_TOO_LOW = 2
    C_NOT_CHECKED = 3


def _as_arrays(seqnums, valid):
    seq = np.ascontiguousarray(seqnums, dtype=np.int64)
    ok = np.ascontiguousarray(valid, dtype=np.bool_).view(np.uint8)
    if seq.ndim != 1 or ok.ndim != 1 or seq.shape[0] != ok.shape[0]:
        raise ValueError(
            f"seqnums and valid must be 1-D arrays of the same length, not shapes {seq.shape} and {ok.shape}"
        )
    return seq, ok


cdef long long _classify(const long long[::1] seq, const unsigned char[::1] ok, unsigned char[::1] codes,
                         long long expected) noexcept nogil:
    cdef Py_ssize_t i, n = seq.shape[0]
    cdef long long number
    for i in range(n):
        number = seq[i]
        if not ok[i] or number < 0:
            codes[i] = C_NOT_CHECKED
        elif number == expected:
            codes[i] = C_IN_SEQUENCE
            expected += 1
        elif number > expected:
            codes[i] = C_TOO_HIGH
        else:
            codes[i] = C_TOO_LOW
    return expected


def classify(seqnums, valid, expected):
    """Code of each frame and the expected number after the batch (see the pure twin)."""
    if expected < 1:
        raise ValueError(f"expected must be >= 1, not {expected!r}")
    seq, ok = _as_arrays(seqnums, valid)
    codes = np.empty(seq.shape[0], dtype=np.uint8)
    cdef long long after = expected
    if seq.shape[0]:
        after = _classify(seq, ok, codes, expected)
    return codes, int(after)


cdef Py_ssize_t _run(const long long[::1] seq, const unsigned char[::1] ok, long long expected,
                     Py_ssize_t start) noexcept nogil:
    cdef Py_ssize_t i, count = 0, n = seq.shape[0]
    for i in range(start, n):
        if not ok[i] or seq[i] != expected + count:
            break
        count += 1
    return count


def in_sequence_run(seqnums, valid, expected, start=0):
    """How many frames from ``start`` on are valid and numbered consecutively from ``expected``."""
    seq, ok = _as_arrays(seqnums, valid)
    if start < 0:
        raise ValueError(f"start must be >= 0, not {start!r}")
    if start >= seq.shape[0]:
        return 0
    return int(_run(seq, ok, expected, start))
