"""Converters from INI text to typed values. Each raises ``ValueError`` whose message says what was expected.

A converter also describes its type in words for the configuration reference (docs/configuration.md).
"""

from __future__ import annotations

import datetime
import json
import math
import zoneinfo
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyfixmsg_plus.config.secrets import Secret
from pyfixmsg_plus.config.settings import ScheduleAction, ScheduleEntry

TRUE_WORDS = frozenset({"y", "yes", "true", "1", "on"})
FALSE_WORDS = frozenset({"n", "no", "false", "0", "off"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True, slots=True)
class Converter:
    """Parses one kind of value; ``type_doc`` describes it for users."""

    type_doc: str
    parse: Callable[[str], object]
    secret: bool = False
    choices: tuple[str, ...] = field(default=())


def _text(value: str) -> str:
    if not value:
        raise ValueError("is empty; give a value or remove the line")
    return value


def _boolean(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("is not a yes/no value (expected Y or N; yes/no, true/false, 1/0, on/off also work)")


def integer(minimum: int | None = None, maximum: int | None = None, unit: str = "") -> Converter:
    """Whole number within ``[minimum, maximum]``."""

    def parse(value: str) -> int:
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(f"is not a whole number{_unit_hint(unit)}") from None
        _check_range(number, minimum, maximum)
        return number

    return Converter(_range_doc("integer", minimum, maximum, unit), parse)


def decimal(minimum: float | None = None, maximum: float | None = None, unit: str = "") -> Converter:
    """Finite number within ``[minimum, maximum]``."""

    def parse(value: str) -> float:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"is not a number{_unit_hint(unit)}") from None
        if not math.isfinite(number):
            raise ValueError("is not a finite number")
        _check_range(number, minimum, maximum)
        return number

    return Converter(_range_doc("number", minimum, maximum, unit), parse)


def _unit_hint(unit: str) -> str:
    return f" (in {unit})" if unit else ""


def _range_doc(name: str, minimum: float | None, maximum: float | None, unit: str) -> str:
    doc = name
    if minimum is not None and maximum is not None:
        doc += f" {minimum:g}..{maximum:g}"
    elif minimum is not None:
        doc += f" >= {minimum:g}"
    return doc + (f", {unit}" if unit else "")


def _check_range(number: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and number < minimum:
        raise ValueError(f"is below the minimum {minimum:g}")
    if maximum is not None and number > maximum:
        raise ValueError(f"is above the maximum {maximum:g}")


def _port(value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise ValueError("is not a TCP port number (expected a whole number 1..65535)") from None
    if not 1 <= number <= 65535:
        raise ValueError("is not a TCP port number (expected 1..65535)")
    return number


def enum(choices: tuple[str, ...], synonyms: Mapping[str, str] | None = None) -> Converter:
    """One of ``choices`` (case-insensitive); ``synonyms`` map other accepted words onto a choice."""
    by_lower = {choice.lower(): choice for choice in choices}
    by_lower.update({word.lower(): target for word, target in (synonyms or {}).items()})

    def parse(value: str) -> str:
        found = by_lower.get(value.strip().lower())
        if found is None:
            raise ValueError(f"is not one of: {', '.join(choices)}")
        return found

    return Converter("one of " + ", ".join(choices), parse, choices=choices)


def _time_of_day(value: str) -> datetime.time:
    text = value.strip()
    for layout in ("%H:%M:%S", "%H:%M"):
        try:
            return datetime.datetime.strptime(text, layout).time()
        except ValueError:
            continue
    raise ValueError("is not a time of day (expected HH:MM:SS, e.g. 08:00:00)")


def _weekday(value: str) -> int:
    word = value.strip().lower()
    for number, name in enumerate(WEEKDAYS, start=1):
        if len(word) >= 2 and name.startswith(word):
            return number
    raise ValueError("is not a day of the week (expected e.g. Mon or monday)")


def _time_zone(value: str) -> str:
    name = value.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "is not a known IANA time zone (e.g. UTC, Europe/London, America/New_York)"
        ) from None
    return name


def _path(value: str) -> Path:
    return Path(_text(value.strip())).expanduser()


def _secret(value: str) -> Secret:
    return Secret(value)


def _schedules(value: str) -> tuple[ScheduleEntry, ...]:
    try:
        items = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"is not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(items, list):
        raise ValueError('must be a JSON list like [{"time": "08:00", "action": "start"}]')
    return tuple(_schedule_entry(item, index) for index, item in enumerate(items))


def _schedule_entry(item: object, index: int) -> ScheduleEntry:
    actions = ", ".join(action.value for action in ScheduleAction)
    if not isinstance(item, dict) or set(item) != {"time", "action"}:
        raise ValueError(f'entry {index} must be an object with exactly "time" and "action"')
    try:
        action = ScheduleAction(str(item["action"]).lower())
    except ValueError:
        raise ValueError(f"entry {index} has action {item['action']!r}; expected one of {actions}") from None
    try:
        when = _time_of_day(str(item["time"]))
    except ValueError:
        raise ValueError(f"entry {index} has time {item['time']!r}; expected HH:MM") from None
    return ScheduleEntry(when, action)


TEXT = Converter("text", _text)
BOOLEAN = Converter("Y/N", _boolean)
PORT = Converter("TCP port 1..65535", _port)
TIME_OF_DAY = Converter("time of day HH:MM:SS", _time_of_day)
WEEKDAY = Converter("day of week (Mon..Sun)", _weekday)
TIME_ZONE = Converter("IANA time zone name", _time_zone)
PATH = Converter("file path", _path)
SECRET = Converter("secret text (may be ENC:...)", _secret, secret=True)
SCHEDULES = Converter('JSON list of {"time": "HH:MM", "action": ...}', _schedules)
