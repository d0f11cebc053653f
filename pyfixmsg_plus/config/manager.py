"""ConfigManager: the original project's API over a validated, typed configuration.

Each instance is independent (the original was a process-wide singleton that ignored a second file).
Values are read from the file, then environment overrides (:mod:`pyfixmsg_plus.config.env`) are applied,
then the whole configuration is validated; :meth:`ConfigManager.sessions` gives the typed result.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import re
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path

from pyfixmsg_plus.config import writer
from pyfixmsg_plus.config.env import apply_overrides
from pyfixmsg_plus.config.errors import ConfigError, Location
from pyfixmsg_plus.config.ini import RawSection, RawValue, read_ini, section_kind
from pyfixmsg_plus.config.resolve import Resolved, check_key, resolve
from pyfixmsg_plus.config.secrets import Secret, SecretError, decrypt, encrypt, find_key, is_encrypted
from pyfixmsg_plus.config.settings import EngineSettings, SessionSettings

_SESSION_NAME = re.compile(r"^session(?:[\s._#-]*(?P<index>[0-9]+))?$", re.IGNORECASE)
ConfigValue = (
    str | int | float | bool | Path | Secret | datetime.time | Enum | list[object] | dict[str, object]
)
SectionData = Mapping[str, ConfigValue]


def to_text(value: object) -> str:
    """INI text of a value given in code: Y/N for booleans, JSON for lists, plain text otherwise."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


class ConfigManager:
    """A FIX configuration: QuickFIX-style ``[DEFAULT]``/``[SESSION]`` or the original ``[FIX]`` layout.

    ``environ`` (default :data:`os.environ`) supplies overrides and the secret key; ``secret_key`` (Fernet key
    text) takes precedence over the environment's key. Raises :class:`ConfigError` when the file is wrong.
    """

    def __init__(
        self,
        config_path: str | os.PathLike[str] | None = "config.ini",
        *,
        environ: Mapping[str, str] | None = None,
        secret_key: str | None = None,
    ) -> None:
        self.config_path: Path | None = Path(config_path) if config_path is not None else None
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        self._secret_key = find_key(self._environ, secret_key)
        self._original_text: str | None = None
        self._file_sections: list[RawSection] = []
        self._sections: list[RawSection] = []
        self._resolved: Resolved | None = None
        if self.config_path is not None:
            self._original_text = self._read(self.config_path)
            self._file_sections = read_ini(self._original_text, str(self.config_path))
            self._reload()

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_string(
        cls,
        text: str,
        name: str = "<string>",
        *,
        environ: Mapping[str, str] | None = None,
        secret_key: str | None = None,
    ) -> ConfigManager:
        """A configuration from INI text; ``name`` stands for the file in messages."""
        manager = cls(None, environ=environ, secret_key=secret_key)
        manager._file_sections = read_ini(text, name)
        manager._reload()
        return manager

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, SectionData | Sequence[SectionData]],
        *,
        environ: Mapping[str, str] | None = None,
        secret_key: str | None = None,
    ) -> ConfigManager:
        """Build a configuration in code, validated like a file::

            ConfigManager.from_dict({
                "DEFAULT": {"ConnectionType": "initiator", "HeartBtInt": 30},
                "SESSION": [{"SenderCompID": "A", "TargetCompID": "B", "SocketConnectPort": 9876}],
            })

        ``SESSION`` takes a list of mappings (one per session) or one mapping; values may be str, int, float,
        bool (Y/N), Path, Secret, time or enum.
        """
        manager = cls(None, environ=environ, secret_key=secret_key)
        for name, body in data.items():
            kind = section_kind(name, Location("from_dict"))
            bodies = [body] if isinstance(body, Mapping) else list(body)
            if kind != "SESSION" and len(bodies) != 1:
                raise ConfigError(f"[{kind}] takes one mapping, not a list", Location("from_dict", kind))
            for number, values in enumerate(bodies, start=1):
                label = f"SESSION #{number}" if kind == "SESSION" else kind
                section = RawSection(kind, label, "from_dict")
                for key, value in values.items():
                    section.values[key.lower()] = RawValue(to_text(value), key, f"from_dict [{label}]")
                manager._file_sections.append(section)
        manager._reload()
        return manager

    @staticmethod
    def _read(path: Path) -> str:
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError("file not found", Location(str(path))) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the file: {exc}", Location(str(path))) from None

    def _reload(self) -> None:
        """Apply the environment to a copy of the file's sections and validate the result."""
        self._sections = apply_overrides(copy.deepcopy(self._file_sections), self._environ)
        origin = str(self.config_path) if self.config_path is not None else "configuration"
        self._resolved = resolve(self._sections, self._secret_key, origin)

    def _valid(self) -> Resolved:
        """The validated configuration (validating now if nothing was loaded yet)."""
        if self._resolved is None:
            self._reload()
        assert self._resolved is not None
        return self._resolved

    # ----------------------------------------------------------------- typed access
    def sessions(self) -> list[SessionSettings]:
        """One validated :class:`SessionSettings` per session, in file order."""
        return list(self._valid().sessions)

    def session(self, session_id: str) -> SessionSettings:
        """The session whose ``session_id`` is ``session_id``; KeyError naming the known ids otherwise."""
        for settings in self._valid().sessions:
            if settings.session_id == session_id:
                return settings
        known = ", ".join(s.session_id for s in self._valid().sessions)
        raise KeyError(f"no session {session_id!r}; the configuration has: {known}")

    def engine_settings(self) -> EngineSettings:
        """Settings of the whole engine (uvloop, scheduler)."""
        return self._valid().engine

    # ----------------------------------------------------------------- the original API
    def get(
        self, section: str, option: str, fallback: str | None = None, decrypt_value: bool = False
    ) -> str | None:
        """The raw text of ``option`` in ``section`` (any accepted spelling), after environment overrides.

        Session sections fall back to ``[DEFAULT]``, then to ``fallback``. With ``decrypt_value`` an ``ENC:``
        value is returned decrypted. Sections: ``DEFAULT``, ``FIX``, ``Scheduler``, ``SESSION`` (only one),
        ``SESSION2`` (the second), or a session id.
        """
        found = self._find_section(self._sections, section)
        if found is None:
            return fallback
        raw = self._lookup(found, option)
        if raw is None and found.kind in ("SESSION", "FIX"):
            default = next((s for s in self._sections if s.kind == "DEFAULT"), None)
            raw = self._lookup(default, option) if default is not None else None
        if raw is None:
            return fallback
        if decrypt_value and is_encrypted(raw.text):
            return decrypt(raw.text, self._secret_key, Location(raw.source, found.label, raw.written))
        return raw.text

    def set(self, section: str, option: str, value: object, encrypt_value: bool = False) -> None:
        """Set ``option`` in ``section`` (created for DEFAULT, FIX and Scheduler) and revalidate.

        With ``encrypt_value`` the value is stored as ``ENC:...`` with the secret key. The change reaches the
        file on :meth:`save_config`. ConfigError for an unknown key, a bad value, or a now invalid
        configuration (the change is then undone).
        """
        target = self._find_section(self._file_sections, section) or self._new_section(section)
        ref = check_key(target.kind, option, Location("set()", target.label, option))
        text = to_text(value)
        if encrypt_value:
            if self._secret_key is None:
                raise SecretError(
                    "encrypt_value=True needs a secret key (see `pyfixmsg-plus encrypt --help`)",
                    Location("set()", target.label, option),
                )
            text = encrypt(text, self._secret_key)
        previous = None
        for written, raw in list(target.values.items()):
            if check_key(target.kind, raw.written, target.location(raw.written)).slot == ref.slot:
                previous = target.values.pop(written)
        written = previous.written if previous is not None else option
        line = previous.line if previous is not None else None
        target.values[written.lower()] = RawValue(text, written, f"set() [{target.label}]", line, edited=True)
        saved = self._sections, self._resolved
        try:
            self._reload()
        except ConfigError:
            target.values.pop(written.lower())
            if previous is not None:
                target.values[previous.written.lower()] = previous
            self._sections, self._resolved = saved
            raise

    def get_message_store_type(self, fallback: str = "database") -> str:
        """StoreType (``message_store_type``) of the first session; ``fallback`` when nothing sets it."""
        for section in self._sections:
            if (
                section.kind in ("FIX", "SESSION", "DEFAULT")
                and self._lookup(section, "StoreType") is not None
            ):
                return self._valid().sessions[0].store_type.value
        return fallback

    def save_config(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Write the configuration (without environment overrides) to ``path`` or the file it was read from.

        Lines not changed by :meth:`set` are kept as they were, comments included. Returns the path written.
        """
        target = Path(path) if path is not None else self.config_path
        if target is None:
            raise ConfigError(
                "save_config() needs a path: this configuration was not read from a file",
                Location("save_config()"),
            )
        if self._original_text is not None:
            text = writer.update(self._original_text, self._file_sections)
        else:
            text = writer.render(self._file_sections)
        target.write_text(text, encoding="utf-8")
        return target

    # ----------------------------------------------------------------- helpers
    def _find_section(self, sections: list[RawSection], name: str) -> RawSection | None:
        match = _SESSION_NAME.match(name.strip())
        if match:
            numbered = [s for s in sections if s.kind == "SESSION"]
            if match["index"] is None and len(numbered) > 1:
                raise ConfigError(
                    f"section name SESSION is ambiguous ({len(numbered)} sessions); "
                    "use SESSION1, SESSION2, ... or a session id",
                    Location("get()/set()"),
                )
            index = int(match["index"] or 1)
            return numbered[index - 1] if 1 <= index <= len(numbered) else None
        for section in sections:
            if section.kind.lower() == name.strip().lower():
                return section
        if self._resolved is None:
            return None
        session_sections = [s for s in self._sections if s.kind in ("SESSION", "FIX")]
        for settings, section in zip(self._resolved.sessions, session_sections, strict=True):
            if settings.session_id == name:
                label = section.label
                return next((s for s in sections if s.label == label), None)
        return None

    def _new_section(self, name: str) -> RawSection:
        kind = section_kind(name, Location("set()"))
        if kind == "SESSION":
            raise ConfigError(
                f"there is no section {name!r}; add sessions with from_dict() or in the file",
                Location("set()"),
            )
        section = RawSection(kind, kind, "set()")
        self._file_sections.append(section)
        return section

    @staticmethod
    def _lookup(section: RawSection, option: str) -> RawValue | None:
        ref = check_key(section.kind, option, Location("get()", section.label, option))
        for raw in section.values.values():
            if check_key(section.kind, raw.written, section.location(raw.written)).slot == ref.slot:
                return raw
        return None

    def __repr__(self) -> str:
        ids = ", ".join(s.session_id for s in self._resolved.sessions) if self._resolved is not None else ""
        return f"ConfigManager({str(self.config_path) if self.config_path else None!r}, sessions=[{ids}])"
