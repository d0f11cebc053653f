"""Value formats of the QuickFIX field types, as checks over raw wire bytes.

:func:`format_check` gives, for a QuickFIX type string ("INT", "PRICE", "UTCTIMESTAMP", ...), a function
telling whether a raw value is well formed, or None for free-text types (STRING, DATA, CURRENCY, ...). The
rules follow the FIX 4.4 / 5.0 "Data types" section and QuickFIX's converters: no leading ``+``, no exponent,
calendar ranges checked (month 01-12, day 01-31, hour 00-23, minute 00-59, second 00-60 for the leap second).
"""

from __future__ import annotations

import re
from collections.abc import Callable

FormatCheck = Callable[[bytes], object]
"""Truthy when the raw value is well formed."""

_DATE = rb"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# Fractions of a second: FIX 4.x sends milliseconds, FIX 5.0 allows up to picoseconds (12 digits).
_TIME = rb"(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d{1,12})?"
_TZ = rb"(?:Z|[+-](?:[01]\d|2[0-3])(?::[0-5]\d)?)?"
_TZ_TIME = rb"(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:\.\d{1,12})?)?" + _TZ

_PATTERNS: dict[str, bytes] = {
    "INT": rb"-?\d+",
    # Counts, lengths, sequence numbers and tag numbers cannot be negative.
    "LENGTH": rb"\d+",
    "NUMINGROUP": rb"\d+",
    "SEQNUM": rb"\d+",
    "TAGNUM": rb"\d+",
    "DAYOFMONTH": rb"(?:0?[1-9]|[12]\d|3[01])",
    "FLOAT": rb"-?(?:\d+\.?\d*|\.\d+)",
    "BOOLEAN": rb"[YN]",
    "UTCTIMESTAMP": _DATE + rb"-" + _TIME,
    "UTCTIMEONLY": _TIME,
    "UTCDATEONLY": _DATE,
    "MONTHYEAR": rb"\d{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|w[1-5])?",
    "TZTIMEONLY": _TZ_TIME,
    "TZTIMESTAMP": _DATE + rb"-" + _TZ_TIME,
}
# Aliases: the FLOAT family (FIX "float" subtypes), dates and times under older or local names.
_ALIASES: dict[str, str] = {
    "PRICE": "FLOAT",
    "QTY": "FLOAT",
    "AMT": "FLOAT",
    "PERCENTAGE": "FLOAT",
    "PRICEOFFSET": "FLOAT",
    "TIME": "UTCTIMESTAMP",  # FIX 4.0/4.1 name of UTCTIMESTAMP
    "UTCDATE": "UTCDATEONLY",  # FIX 4.2 name of UTCDATEONLY
    "DATE": "UTCDATEONLY",
    "LOCALMKTDATE": "UTCDATEONLY",
    "LOCALMKTTIME": "UTCTIMEONLY",
}

#: types whose values may contain any byte, SOH included (FIX: DATA follows its LENGTH field)
DATA_TYPES: frozenset[str] = frozenset({"DATA", "XMLDATA"})
#: types whose value is a space-separated list of enumerated values
MULTIPLE_VALUE_TYPES: frozenset[str] = frozenset(
    {"MULTIPLEVALUESTRING", "MULTIPLESTRINGVALUE", "MULTIPLECHARVALUE"}
)

_COMPILED: dict[str, FormatCheck] = {
    name: re.compile(pattern).fullmatch for name, pattern in _PATTERNS.items()
}


def _is_single_char(value: bytes) -> bool:
    """CHAR: exactly one character (QuickFIX's CharConvertor)."""
    return len(value) == 1


_COMPILED["CHAR"] = _is_single_char
# Unsigned integers: bytes.isdigit is exactly ``\d+`` over bytes (ASCII digits, at least one) at a third of
# the cost of the regex, and these types are on every message (BodyLength(9), MsgSeqNum(34), NumInGroup counts).
for _unsigned in ("LENGTH", "NUMINGROUP", "SEQNUM", "TAGNUM"):
    _COMPILED[_unsigned] = bytes.isdigit


#: versions whose "CHAR" fields hold any text: FIX 4.0/4.1 typed multi-character strings (BeginString(8),
#: ClOrdID(11), Symbol(55), ...) as char, and QuickFIX checks CHAR as one character from FIX 4.2 on only
_CHAR_IS_STRING = frozenset({"FIX.4.0", "FIX.4.1"})


def type_in_version(fix_type: str | None, begin_string: str | None) -> str | None:
    """``fix_type`` as ``begin_string`` means it: "CHAR" of FIX 4.0/4.1 is "STRING", anything else as is."""
    if fix_type == "CHAR" and begin_string in _CHAR_IS_STRING:
        return "STRING"
    return fix_type


def format_check(fix_type: str | None) -> FormatCheck | None:
    """The well-formedness test of ``fix_type`` (a QuickFIX type string), or None when any text is valid."""
    if fix_type is None:
        return None
    name = _ALIASES.get(fix_type, fix_type)
    return _COMPILED.get(name)


def format_name(fix_type: str | None) -> str | None:
    """The canonical name of ``fix_type``'s format ("PRICE" -> "FLOAT"), None when any text is valid."""
    if fix_type is None:
        return None
    name = _ALIASES.get(fix_type, fix_type)
    return name if name in _COMPILED else None


def checked_types() -> list[str]:
    """Every type string :func:`format_check` has a test for (aliases included)."""
    return sorted({*_COMPILED, *_ALIASES})
