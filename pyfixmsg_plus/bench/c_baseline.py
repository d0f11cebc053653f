"""The physical limit for split + verify: a plain C loop that jumps by BodyLength and sums each frame's bytes.

It does less than our framer (no BodyLength, MsgType or MsgSeqNum checks, no index built), so it bounds from above
what any framer can reach on this machine. The C source is compiled on first use with the system compiler and
loaded with ctypes; without a compiler the baseline is simply absent.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

C_SOURCE = r"""
#include <stddef.h>
#include <string.h>

/* For each frame: memchr to the end of 8=, read 9=, jump BodyLength bytes, sum every byte before 10= and compare
   with the declared checksum. Returns the number of frames whose checksum matched. */
long count_frames(const unsigned char *buf, long len) {
    long good = 0;
    const unsigned char *p = buf, *end = buf + len;
    while (p < end) {
        const unsigned char *soh = memchr(p, 1, (size_t)(end - p));
        if (soh == NULL || end - soh < 4) { break; }
        const unsigned char *q = soh + 3;
        long body = 0;
        while (q < end && *q != 1) { body = body * 10 + (*q - '0'); q++; }
        const unsigned char *trailer = q + 1 + body;
        if (trailer + 7 > end) { break; }
        unsigned int sum = 0;
        for (const unsigned char *c = p; c < trailer; c++) { sum += *c; }
        unsigned int declared = (trailer[3] - '0') * 100 + (trailer[4] - '0') * 10 + (trailer[5] - '0');
        good += (declared == (sum & 255));
        p = trailer + 7;
    }
    return good;
}
"""


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "pyfixmsg-plus"


def build_baseline() -> Callable[[bytes], int] | None:
    """The compiled baseline as ``count_frames(data) -> int``, or None when no C compiler is available."""
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    digest = hashlib.sha256(C_SOURCE.encode()).hexdigest()[:12]
    library = _cache_dir() / f"c_baseline_{digest}.so"
    if not library.exists():
        library.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "baseline.c"
            source.write_text(C_SOURCE)
            built = Path(tmp) / library.name
            result = subprocess.run(
                [compiler, "-O3", "-shared", "-fPIC", "-o", str(built), str(source)],
                capture_output=True,
                check=False,
            )
            if result.returncode != 0:
                return None
            shutil.move(str(built), library)
    lib = ctypes.CDLL(str(library))
    lib.count_frames.argtypes = (ctypes.c_char_p, ctypes.c_long)
    lib.count_frames.restype = ctypes.c_long

    def count_frames(data: bytes) -> int:
        return int(lib.count_frames(data, len(data)))

    return count_frames
