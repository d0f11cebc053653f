"""Small helpers shared by the message layer, with pyfixmsg's ``util`` names.

``int_or_str``, ``native_str``, ``utc_timestamp`` and ``DATEFORMAT`` behave as in pyfixmsg.
``encode_field_value``
turns one field value into wire bytes with the encoder module (int, float, Decimal, datetime, bool as Y/N,
...),
which pyfixmsg refused with TypeError for everything but str, bytes and int.
"""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable
from typing import Any

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


def _fallback_encode_value(value: Any) -> bytes:
    """Stand-in for ``encoder.encode_value`` while that module is absent (same rules, slower)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bool):  # before int: bool is an int subclass; FIX BOOLEAN is Y/N
        return b"Y" if value else b"N"
    if isinstance(value, int):
        return str(value).encode("ascii")
    if isinstance(value, float):
        return format(decimal.Decimal(repr(value)), "f").encode("ascii")
    if isinstance(value, decimal.Decimal):
        return format(value, "f").encode("ascii")
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value.strftime("%Y%m%d-%H:%M:%S.%f")[:-3].encode("ascii")
    if isinstance(value, datetime.date):
        return value.strftime("%Y%m%d").encode("ascii")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S.%f")[:-3].encode("ascii")
    raise TypeError(f"cannot encode a FIX field value of type {type(value).__name__}: {value!r}")


def _load_encode_value() -> Callable[[Any], bytes]:
    try:
        from pyfixmsg_plus import _impl

        return _impl.load("encoder").encode_value
    except (ImportError, AttributeError):
        return _fallback_encode_value


_ENCODE_VALUE: Callable[[Any], bytes] | None = None


def encode_field_value(value: Any, encoding: str | None = None) -> bytes:
    """One field value as wire bytes: str in ``encoding`` (UTF-8 when None), others via the encoder."""
    global _ENCODE_VALUE
    if isinstance(value, str):
        return value.encode(encoding or "utf-8")
    if type(value) is bytes:
        return value
    if _ENCODE_VALUE is None:
        _ENCODE_VALUE = _load_encode_value()
    return _ENCODE_VALUE(value)
