"""Encoding: FIX field values to wire bytes, and whole frames with BodyLength(9) and CheckSum(10).

The public face of the compiled ``pyfixmsg_plus._speedups.encoder`` or, when it is not built (or
PYFIXMSG_PLUS_NO_EXTENSIONS is set), its pure twin :mod:`pyfixmsg_plus.message.encoder_py`.
"""

from __future__ import annotations

from pyfixmsg_plus import _impl

_module = _impl.load("encoder")

encode_value = _module.encode_value
encode_body = _module.encode_body
encode_message = _module.encode_message
format_utc_timestamp = _module.format_utc_timestamp
SendingTimeFormat = _module.SendingTimeFormat
AppFrameEncoder = _module.AppFrameEncoder

#: True when the compiled encoder module is the one in use.
COMPILED: bool = _module.__name__.startswith("pyfixmsg_plus._speedups.")

__all__ = [
    "COMPILED",
    "AppFrameEncoder",
    "SendingTimeFormat",
    "encode_body",
    "encode_message",
    "encode_value",
    "format_utc_timestamp",
]
