"""Assertions for users' tests: a message is valid for a dictionary, or carries the fields expected.

Failures are an ``AssertionError`` whose text lists the message field by field, with the fields at fault
marked and the reason beside them, e.g.::

    NewOrderSingle (35=D) is not valid for FIX.4.4: 2 errors
         8  BeginString   FIX.4.4
        35  MsgType       D
      ! 54  Side          Z         <- Value is incorrect (out of range) for this tag: ...
      - 38  OrderQty      (missing) <- Required tag missing: OrderQty(38) is required in NewOrderSingle(35=D)
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.errors import FixValidationError
from pyfixmsg_plus.message.reference import FixSpec
from pyfixmsg_plus.message.validation import Validator
from pyfixmsg_plus.session.inbound import parse_pairs

#: fields whose value differs from one message to the next: BodyLength, MsgSeqNum, SendingTime, CheckSum
VOLATILE_TAGS = frozenset({9, 10, 34, 52})
_MISSING = "(missing)"

SpecLike = FixSpec | str
Pairs = Sequence[tuple[int, bytes]]


@functools.lru_cache(maxsize=8)
def _builtin(name: str) -> FixSpec:
    return load_builtin(name)


def _spec(spec: SpecLike) -> FixSpec:
    return _builtin(spec) if isinstance(spec, str) else spec


@functools.lru_cache(maxsize=16)
def _codec(spec: FixSpec) -> Codec:
    return Codec(spec=spec)


@functools.lru_cache(maxsize=32)
def _validator(spec: FixSpec, options: frozenset[tuple[str, Any]]) -> Validator:
    # building a Validator indexes every field of the dictionary: once per dictionary and settings
    return Validator(spec, **dict(options))


def _pairs(message: Mapping[Any, Any] | bytes, spec: FixSpec) -> Pairs:
    """The wire (tag, value) pairs of a frame, or of a mapping encoded with ``spec``'s field order."""
    frame = bytes(message) if isinstance(message, bytes | bytearray) else _codec(spec).encode(message)
    return parse_pairs(frame)


def validation_errors(
    message: Mapping[Any, Any] | bytes, spec: SpecLike = "FIX.4.4", **validator_options: Any
) -> list[FixValidationError]:
    """Every dictionary error of ``message`` (a FixMessage, a mapping, or a wire frame) for ``spec`` (a FixSpec
    or a built-in dictionary name); ``validator_options`` are :class:`Validator`'s settings."""
    resolved = _spec(spec)
    return _validator(resolved, frozenset(validator_options.items())).check(_pairs(message, resolved))


def assert_valid(message: Mapping[Any, Any] | bytes, spec: SpecLike = "FIX.4.4", **validator_options: Any) -> None:
    """Fail with a field-by-field report when ``message`` is not valid for ``spec`` (see the module doc)."""
    resolved = _spec(spec)
    pairs = _pairs(message, resolved)
    errors = _validator(resolved, frozenset(validator_options.items())).check(pairs)
    if errors:
        raise AssertionError(format_validation_report(pairs, errors, resolved))


def format_validation_report(pairs: Pairs, errors: Sequence[FixValidationError], spec: FixSpec) -> str:
    """The report of :func:`assert_valid`: a title, every field (``!`` at fault), missing fields (``-``)."""
    msg_type = next((value.decode("latin-1") for tag, value in pairs if tag == 35), "?")
    title = f"{_message_name(spec, msg_type)} is not valid for {spec.begin_string} ({spec.source}): " \
            f"{len(errors)} error{'s' if len(errors) != 1 else ''}"  # fmt: skip
    by_tag: dict[int | None, list[str]] = {}
    for error in errors:
        by_tag.setdefault(error.tag, []).append(error.text)
    present = {tag for tag, _ in pairs}
    rows = [_row(" ", tag, value.decode("latin-1"), spec, by_tag.pop(tag, None)) for tag, value in pairs]
    rows += [_row("-", tag, _MISSING, spec, texts) for tag, texts in list(by_tag.items())
             if tag is not None and tag not in present]  # fmt: skip
    general = [text for tag, texts in by_tag.items() if tag is None for text in texts]
    return "\n".join([title, *rows, *(f"  * {text}" for text in general)])


def _row(marker: str, tag: int, value: str, spec: FixSpec, texts: list[str] | None) -> str:
    mark = "!" if texts and marker == " " else marker
    reason = f"  <- {'; '.join(texts)}" if texts else ""
    return f"  {mark} {tag:>5}  {_field_name(spec, tag):<24} {value}{reason}"


def _field_name(spec: FixSpec | None, tag: int) -> str:
    field = spec.tags.get(tag) if spec is not None else None
    return field.name if field is not None else "?"


def _message_name(spec: FixSpec, msg_type: str) -> str:
    definition = spec.msg_types.get(msg_type)
    name = definition.name if definition is not None else "unknown message"
    return f"{name} (35={msg_type})"


def _text_of(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")
    return str(value)


def field_differences(
    actual: Mapping[Any, Any], expected: Mapping[Any, Any], *, ignore: Iterable[int] = VOLATILE_TAGS
) -> list[tuple[int, str, str]]:
    """(tag, expected, actual) for each field of ``expected`` whose value in ``actual`` differs (compared as
    text; ``(missing)`` when absent). Tags in ``ignore`` are skipped. An expected value may be a callable
    predicate of the actual text, shown as ``<predicate name>``."""
    skipped = frozenset(ignore)
    differences: list[tuple[int, str, str]] = []
    for tag, wanted in expected.items():
        number = int(tag)
        if number in skipped:
            continue
        found = actual.get(number, actual.get(str(number)))
        got = _MISSING if found is None else _text_of(found)
        if callable(wanted):
            if found is None or not wanted(got):
                differences.append((number, f"<{getattr(wanted, '__name__', 'predicate')}>", got))
        elif found is None or got != _text_of(wanted):
            differences.append((number, _text_of(wanted), got))
    return differences


def format_differences(differences: Sequence[tuple[int, str, str]], spec: FixSpec | None = None) -> str:
    """A table of :func:`field_differences`: tag, name, expected, actual."""
    lines = [f"  {'tag':>5}  {'field':<24} {'expected':<20} actual"]
    lines += [f"  {tag:>5}  {_field_name(spec, tag):<24} {wanted:<20} {got}" for tag, wanted, got in differences]
    return "\n".join(lines)


def assert_fields(
    actual: Mapping[Any, Any], expected: Mapping[Any, Any], *, spec: SpecLike | None = None,
    ignore: Iterable[int] = VOLATILE_TAGS,
) -> None:  # fmt: skip
    """Fail with a table of the differing fields unless ``actual`` carries every field of ``expected`` with the
    same value (other fields of ``actual`` are not compared). ``spec`` only names the fields in the table."""
    differences = field_differences(actual, expected, ignore=ignore)
    if differences:
        resolved = _spec(spec) if spec is not None else None
        count = len(differences)
        raise AssertionError(f"{count} field{'s' if count != 1 else ''} differ:\n"
                             + format_differences(differences, resolved))  # fmt: skip


__all__ = [
    "VOLATILE_TAGS",
    "assert_fields",
    "assert_valid",
    "field_differences",
    "format_differences",
    "format_validation_report",
    "validation_errors",
]
