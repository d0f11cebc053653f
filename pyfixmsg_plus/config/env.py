"""Environment-variable overrides, applied after the file.

Naming rule: ``PYFIXMSG_PLUS__<SECTION>__<KEY>=<value>`` (two underscores around the section), where

* ``<SECTION>`` is ``DEFAULT``, ``FIX``, ``SCHEDULER``, ``SESSION`` (when the file has exactly one
  ``[SESSION]``) or ``SESSION<n>`` / ``SESSION_<n>`` for the n-th ``[SESSION]`` of the file, counting from 1;
* ``<KEY>`` is any accepted spelling of a key, in any case: ``HEARTBTINT``, ``HEARTBEAT_INTERVAL``,
  ``SOCKETCONNECTPORT1``.

Examples: ``PYFIXMSG_PLUS__SESSION2__SOCKETCONNECTPORT=9877``, ``PYFIXMSG_PLUS__DEFAULT__HEARTBTINT=10``,
``PYFIXMSG_PLUS__FIX__PASSWORD=ENC:...``. Errors name the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pyfixmsg_plus.config.errors import ConfigError, Location
from pyfixmsg_plus.config.ini import RawSection, RawValue
from pyfixmsg_plus.config.resolve import check_key

PREFIX = "PYFIXMSG_PLUS__"
_SESSION = re.compile(r"^SESSION(?:_?(?P<index>[0-9]+))?$")
_CREATABLE = {"DEFAULT": "DEFAULT", "SCHEDULER": "Scheduler"}


def variable_name(section: str, key: str) -> str:
    """The variable that overrides ``key`` in ``section`` (e.g. ``SESSION2``, ``HeartBtInt``)."""
    return f"{PREFIX}{section.upper()}__{key.upper()}"


def _target_section(sections: list[RawSection], name: str, variable: str) -> RawSection:
    where = Location(f"environment variable {variable}")
    word = name.upper()
    match = _SESSION.match(word)
    if match:
        sessions = [s for s in sections if s.kind == "SESSION"]
        if match["index"] is None and len(sessions) != 1:
            raise ConfigError(
                f"SESSION is ambiguous or absent here ({len(sessions)} [SESSION] sections); "
                "name one as SESSION1, SESSION2, ...",
                where,
            )
        index = int(match["index"] or 1)
        if not 1 <= index <= len(sessions):
            raise ConfigError(
                f"there is no [SESSION] number {index} (the configuration has {len(sessions)})", where
            )
        return sessions[index - 1]
    for section in sections:
        if section.kind.upper() == word:
            return section
    if word in _CREATABLE:
        section = RawSection(_CREATABLE[word], _CREATABLE[word], f"environment variable {variable}")
        sections.append(section)
        return section
    if word == "FIX":
        raise ConfigError("there is no [FIX] section to override", where)
    raise ConfigError(f"unknown section {name!r}; use DEFAULT, FIX, SCHEDULER, SESSION or SESSION<n>", where)


def apply_overrides(sections: list[RawSection], environ: Mapping[str, str]) -> list[RawSection]:
    """Write every ``PYFIXMSG_PLUS__`` variable into ``sections`` (in place), sorted by name."""
    for variable in sorted(name for name in environ if name.upper().startswith(PREFIX)):
        parts = variable[len(PREFIX) :].split("__")
        if len(parts) != 2 or not all(parts):
            raise ConfigError(
                f"does not follow the rule {PREFIX}<SECTION>__<KEY>",
                Location(f"environment variable {variable}"),
            )
        section = _target_section(sections, parts[0], variable)
        source = f"environment variable {variable}"
        ref = check_key(section.kind, parts[1], Location(source, section.label, parts[1]))
        for written, raw in list(section.values.items()):
            if check_key(section.kind, raw.written, section.location(raw.written)).slot == ref.slot:
                del section.values[written]
        section.values[parts[1].lower()] = RawValue(environ[variable].strip(), parts[1], source)
    return sections
