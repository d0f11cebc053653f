"""Errors raised while reading, overriding or validating a configuration.

Every error is one paragraph that names where the setting came from (file and line, environment variable, or
code), the section, the key, the value (masked for secrets) and what is wrong, so a user can fix it without
reading a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value came from: a file line, an environment variable or a programmatic call."""

    source: str
    """Human description of the origin, e.g. ``config.ini line 12`` or ``environment variable X``."""
    section: str | None = None
    """Section as the user wrote it, e.g. ``SESSION #2 (FIX.4.4:A->B)``."""
    key: str | None = None
    """Key as the user wrote it."""

    def describe(self) -> str:
        parts = [self.source]
        if self.section is not None:
            parts.append(f"section [{self.section}]")
        if self.key is not None:
            parts.append(f"key {self.key}")
        return ", ".join(parts)


class ConfigError(ValueError):
    """A configuration is wrong; the message says where and why in one paragraph."""

    def __init__(self, problem: str, location: Location | None = None, value: str | None = None) -> None:
        self.problem = problem
        self.location = location
        self.value = value
        super().__init__(self._paragraph())

    def _paragraph(self) -> str:
        where = self.location.describe() if self.location is not None else "configuration"
        shown = f" = {self.value!r}" if self.value is not None else ""
        return f"{where}{shown}: {self.problem}"


class SecretError(ConfigError):
    """An encrypted value cannot be decrypted, or no key is available; never shows the secret itself."""
