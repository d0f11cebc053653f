"""Batch sequence check over a FrameIndex (pure-Python twin of ``_speedups/seqcheck.pyx``).

Given the MsgSeqNum (34) and validity of every frame of a received batch and the expected next number, say for
each frame whether it is in sequence, too high (a gap), too low, or not checked (garbled), without building
one
Python object per message.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IN_SEQUENCE = 0  # numbered as expected: accepted, the expected number advances
TOO_HIGH = 1  # above the expected number: a gap (MsgSeqNum too high)
TOO_LOW = 2  # below the expected number (a duplicate or an error)
NOT_CHECKED = 3  # garbled frame or no MsgSeqNum: ignored

CODE_NAMES = ("in sequence", "too high", "too low", "not checked")


def _as_arrays(
    seqnums: npt.ArrayLike, valid: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    seq = np.ascontiguousarray(seqnums, dtype=np.int64)
    ok = np.ascontiguousarray(valid, dtype=np.bool_).view(np.uint8)
    if seq.ndim != 1 or ok.ndim != 1 or seq.shape[0] != ok.shape[0]:
        raise ValueError(
            f"seqnums and valid must be 1-D arrays of the same length, not shapes {seq.shape} and {ok.shape}"
        )
    return seq, ok


def classify(
    seqnums: npt.ArrayLike, valid: npt.ArrayLike, expected: int
) -> tuple[npt.NDArray[np.uint8], int]:
    """Code of each frame and the expected number after the batch.

    Each in-sequence frame advances the expected number; too-high and too-low frames do not (the session
    queues or
    drops them). ``expected`` must be >= 1.
    """
    if expected < 1:
        raise ValueError(f"expected must be >= 1, not {expected!r}")
    seq, ok = _as_arrays(seqnums, valid)
    codes = np.empty(seq.shape[0], dtype=np.uint8)
    for i in range(seq.shape[0]):
        number = int(seq[i])
        if not ok[i] or number < 0:
            codes[i] = NOT_CHECKED
        elif number == expected:
            codes[i] = IN_SEQUENCE
            expected += 1
        elif number > expected:
            codes[i] = TOO_HIGH
        else:
            codes[i] = TOO_LOW
    return codes, expected


def in_sequence_run(seqnums: npt.ArrayLike, valid: npt.ArrayLike, expected: int, start: int = 0) -> int:
    """How many frames from ``start`` on are valid and numbered ``expected``, ``expected + 1``, ... without a
    break.
    """
    seq, ok = _as_arrays(seqnums, valid)
    if start < 0:
        raise ValueError(f"start must be >= 0, not {start!r}")
    count = 0
    for i in range(start, seq.shape[0]):
        if not ok[i] or seq[i] != expected + count:
            break
        count += 1
    return count
