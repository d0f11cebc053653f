"""Reading QuickFIX-style INI text into raw sections, keeping where every value came from.

QuickFIX repeats ``[SESSION]`` once per session, which :mod:`configparser` would merge; the reader numbers
them
before parsing. ``[DEFAULT]`` is kept as an ordinary section (its values are merged per session by
:mod:`pyfixmsg_plus.config.resolve`, not by configparser, so they do not leak into ``[Scheduler]``). Inline
``# ...`` and ``; ...`` comments (after whitespace) are stripped; key names are case-insensitive.
"""

from __future__ import annotations

import configparser
import difflib
import re
from dataclasses import dataclass, field

from pyfixmsg_plus.config.errors import ConfigError, Location

SECTION_KINDS: dict[str, str] = {
    "default": "DEFAULT",
    "session": "SESSION",
    "fix": "FIX",
    "scheduler": "Scheduler",
}
"""Known sections (lower-case -> canonical spelling)."""

_HEADER = re.compile(r"^\s*\[(?P<name>[^\]]*)\]")
_KEY_LINE = re.compile(r"^(?P<key>[^\s=:#;\[][^=:]*?)\s*[=:]")
_NUMBER_MARK = "\x1f"
_NO_DEFAULT = "\x1fno default section"


@dataclass(slots=True)
class RawValue:
    """A value as text, the key as the user wrote it, and where it came from."""

    text: str
    written: str
    source: str
    line: int | None = None
    """line in the file, when it came from one"""
    edited: bool = False
    """changed by ConfigManager.set() since the file was read (save_config writes it)"""


@dataclass(slots=True)
class RawSection:
    """One section: its kind (``DEFAULT``, ``SESSION``, ``FIX``, ``Scheduler``), a label for messages, and its
    values by lower-case key as written."""

    kind: str
    label: str
    source: str
    values: dict[str, RawValue] = field(default_factory=dict)
    last_line: int | None = None
    """last line of the section in the file (header or key), where save_config adds new keys"""

    def location(self, key: str | None = None) -> Location:
        return Location(self.source, self.label, key)


def section_kind(name: str, where: Location) -> str:
    """Canonical kind of a section name; ConfigError with a suggestion when it is not one we know."""
    kind = SECTION_KINDS.get(name.strip().lower())
    if kind is None:
        close = difflib.get_close_matches(name.strip().lower(), list(SECTION_KINDS), n=1, cutoff=0.5)
        hint = f"; did you mean [{SECTION_KINDS[close[0]]}]?" if close else ""
        known = ", ".join(f"[{k}]" for k in SECTION_KINDS.values())
        raise ConfigError(f"unknown section [{name}] (known sections: {known}){hint}", where)
    return kind


@dataclass(slots=True)
class _Scan:
    """Line numbers found by a pass over the text, which configparser does not report."""

    text: str
    header_lines: dict[str, int] = field(default_factory=dict)
    key_lines: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    last_lines: dict[str, int] = field(default_factory=dict)


def _number_sessions(text: str, filename: str) -> _Scan:
    """Give each ``[SESSION]`` a unique name and record header and key line numbers."""
    lines = text.splitlines()
    scan = _Scan("")
    sessions = 0
    current: str | None = None
    for number, line in enumerate(lines, start=1):
        header = _HEADER.match(line)
        if header:
            name = header["name"].strip()
            if section_kind(name, Location(f"{filename} line {number}")) == "SESSION":
                sessions += 1
                name = f"SESSION{_NUMBER_MARK}{sessions}"
                lines[number - 1] = f"[{name}]"
            current = name
            scan.header_lines.setdefault(name, number)
            scan.last_lines[name] = number
            continue
        key = _KEY_LINE.match(line)
        if key and current is not None:
            written = key["key"].strip()
            scan.key_lines.setdefault((current, written.lower()), (number, written))
            scan.last_lines[current] = number
    scan.text = "\n".join(lines)
    return scan


def _parser() -> configparser.ConfigParser:
    return configparser.ConfigParser(
        interpolation=None,
        strict=True,
        inline_comment_prefixes=("#", ";"),
        comment_prefixes=("#", ";"),
        default_section=_NO_DEFAULT,
        empty_lines_in_values=False,
    )


def _syntax_error(exc: configparser.Error, filename: str) -> ConfigError:
    """One paragraph for configparser's errors, with the line number."""
    if isinstance(exc, configparser.DuplicateSectionError):
        name = str(exc.section).split(_NUMBER_MARK)[0]
        return ConfigError(
            f"section [{name}] appears twice; merge them", Location(f"{filename} line {exc.lineno}")
        )
    if isinstance(exc, configparser.DuplicateOptionError):
        return ConfigError(
            f"key {exc.option} appears twice in the section; keep one",
            Location(f"{filename} line {exc.lineno}", _label(str(exc.section)), str(exc.option)),
        )
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return ConfigError(
            "a key comes before any section header; start the file with [DEFAULT], [SESSION] or [FIX]",
            Location(f"{filename} line {exc.lineno}"),
        )
    if isinstance(exc, configparser.ParsingError):
        number, line = exc.errors[0]
        return ConfigError(
            f"cannot read the line {line.strip()!r}: expected `key = value`",
            Location(f"{filename} line {number}"),
        )
    return ConfigError(f"cannot read the file: {exc}", Location(filename))


def _label(name: str) -> str:
    """``SESSION<mark>2`` -> ``SESSION #2``; other names in their canonical spelling."""
    if _NUMBER_MARK in name:
        return "SESSION #" + name.split(_NUMBER_MARK)[1]
    return SECTION_KINDS.get(name.lower(), name)


def read_ini(text: str, filename: str) -> list[RawSection]:
    """Parse INI text into sections in file order; ``filename`` is used in error messages only."""
    scan = _number_sessions(text, filename)
    parser = _parser()
    try:
        parser.read_string(scan.text, source=filename)
    except configparser.Error as exc:
        raise _syntax_error(exc, filename) from None
    sections = []
    for name in parser.sections():
        header_line = scan.header_lines.get(name)
        source = f"{filename} line {header_line}" if header_line else filename
        kind = section_kind(name.split(_NUMBER_MARK)[0], Location(source))
        section = RawSection(kind, _label(name), source, last_line=scan.last_lines.get(name))
        for key, value in parser.items(name):
            line, written = scan.key_lines.get((name, key), (header_line, key))
            section.values[key] = RawValue(value.strip(), written, f"{filename} line {line}", line)
        sections.append(section)
    return sections
