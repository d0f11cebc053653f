"""Framing: split received bytes into FIX frames, verify BodyLength(9) and CheckSum(10).

The public face of the compiled ``pyfixmsg_plus._speedups.framing`` or, when it is not built (or
PYFIXMSG_PLUS_NO_EXTENSIONS is set), its pure twin :mod:`pyfixmsg_plus.message.framing_py`. See the twin's
module
docstring for the checks, their order and the reason codes; docs/malformed-input.md lists what each bad frame
gives.
"""

from __future__ import annotations

from pyfixmsg_plus import _impl

_module = _impl.load("framing")

OK: int = _module.OK
GARBAGE: int = _module.GARBAGE
BAD_BEGINSTRING: int = _module.BAD_BEGINSTRING
BAD_BODYLENGTH_TAG: int = _module.BAD_BODYLENGTH_TAG
BAD_BODYLENGTH_VALUE: int = _module.BAD_BODYLENGTH_VALUE
ABSURD_BODYLENGTH: int = _module.ABSURD_BODYLENGTH
BAD_MSGTYPE: int = _module.BAD_MSGTYPE
BAD_LENGTH: int = _module.BAD_LENGTH
BAD_CHECKSUM_FIELD: int = _module.BAD_CHECKSUM_FIELD
CHECKSUM_MISMATCH: int = _module.CHECKSUM_MISMATCH
REASON_NAMES: tuple[str, ...] = _module.REASON_NAMES
DEFAULT_MAX_BODY_LENGTH: int = _module.DEFAULT_MAX_BODY_LENGTH
DEFAULT_READ_SIZE: int = _module.DEFAULT_READ_SIZE

FrameIndex = _module.FrameIndex
Framer = _module.Framer
ReadBuffer = _module.ReadBuffer
checksum = _module.checksum
format_checksum = _module.format_checksum
split_frames = _module.split_frames

#: True when the compiled framing module is the one in use.
COMPILED: bool = _module.__name__.startswith("pyfixmsg_plus._speedups.")

__all__ = [
    "ABSURD_BODYLENGTH", "BAD_BEGINSTRING", "BAD_BODYLENGTH_TAG", "BAD_BODYLENGTH_VALUE", "BAD_CHECKSUM_FIELD",
    "BAD_LENGTH", "BAD_MSGTYPE", "CHECKSUM_MISMATCH", "COMPILED", "DEFAULT_MAX_BODY_LENGTH", "DEFAULT_READ_SIZE",
    "GARBAGE", "OK", "REASON_NAMES", "FrameIndex", "Framer", "ReadBuffer", "checksum", "format_checksum",
    "split_frames",
]
