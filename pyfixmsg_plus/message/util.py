"""Small helpers shared by the message layer, with pyfixmsg's ``util`` names.

``int_or_str``, ``native_str``, ``utc_timestamp`` and ``DATEFORMAT`` behave as in pyfixmsg.
``encode_field_value``
turns one field value into wire bytes with the encoder module (int, float, Decimal, datetime, bool as Y/N,
...),
which pyfixmsg refused with TypeError for everything but str, bytes and int.
"""

from __future__ import annotations

import datetime
from typing import Any

from pyfixmsg_plus.message.encoder import encode_value

#: pyfixmsg's timestamp format: UTCTimestamp with microseconds
DATEFORMAT = "%Y%m%d-%H:%M:%S.%f"


def int_or_str(val: Any, decode_as: str | None = None) -> int | str | bytes:
    """``int(val)`` when it parses, else ``val`` stripped (bytes decoded with ``decode_as`` if given)."""
    try:
        return int(val)
    except (ValueError, TypeError):
        pass
    if isinstance(val, bytes):
        stripped = val.strip()
        return stripped.decode(decode_as) if decode_as else stripped
    return str(val).strip()


def native_str(val: Any, encoding: str = "UTF-8") -> str | None:
    """``val`` as str: bytes decoded with ``encoding``, None stays None, anything else through str()."""
    if val is None:
        return None
    if isinstance(val, str):
        return val
    if isinstance(val, bytes | bytearray):
        return bytes(val).decode(encoding)
    return str(val)


def utc_timestamp() -> str:
    """The current UTC time as ``YYYYMMDD-HH:MM:SS.ffffff`` (microseconds)."""
    return datetime.datetime.now(datetime.UTC).strftime(DATEFORMAT)


def encode_field_value(value: Any, encoding: str | None = None) -> bytes:
    """One field value as wire bytes: str in ``encoding`` (UTF-8 when None), others via the encoder module."""
    if isinstance(value, str):
        return value.encode(encoding or "utf-8")
    if type(value) is bytes:
        return value
    if isinstance(value, memoryview):  # a slice of a received buffer: its bytes, as bytes and bytearray
        return value.tobytes()
    return encode_value(value)
