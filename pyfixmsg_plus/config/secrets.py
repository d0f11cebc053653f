"""Encrypted configuration values (``password = ENC:...``) and the :class:`Secret` type that hides them.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package).
The key is a url-safe base64 Fernet key, taken from, in order: the ``secret_key`` argument given in code, the
environment variable :data:`KEY_ENV_VAR`, or the file named by :data:`KEY_FILE_ENV_VAR`. The original project
used a home-made cipher with a fixed key; this replaces it.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from pyfixmsg_plus.config.errors import Location, SecretError

ENC_PREFIX = "ENC:"
KEY_ENV_VAR = "PYFIXMSG_PLUS_SECRET_KEY"
KEY_FILE_ENV_VAR = "PYFIXMSG_PLUS_SECRET_KEY_FILE"
MASK = "********"


class Secret:
    """A secret string whose ``repr`` and ``str`` are masked, so it never reaches a log line by accident.

    Call :meth:`reveal` where the plain text is really needed (building the Logon's Password(554)).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The plain text."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        # constant-time so that comparing a received password does not leak its prefix through timing
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))


@dataclass(frozen=True, slots=True)
class SecretKey:
    """A Fernet key and a description of where it came from (named in errors, the key itself never is)."""

    fernet: Fernet
    source: str

    def __repr__(self) -> str:
        return f"SecretKey(source={self.source!r})"


def generate_key() -> str:
    """A new random Fernet key (url-safe base64 text, 44 characters)."""
    return Fernet.generate_key().decode("ascii")


def key_from_text(text: str, source: str) -> SecretKey:
    """Make a :class:`SecretKey` from key text; ``source`` says where the text came from, for errors."""
    try:
        return SecretKey(Fernet(text.strip().encode("ascii")), source)
    except (ValueError, UnicodeEncodeError) as exc:
        raise SecretError(
            "is not a valid secret key (expected the 44-character url-safe base64 text printed by "
            "`pyfixmsg-plus encrypt --generate-key`)",
            Location(source),
        ) from exc


def key_from_file(path: Path, source: str | None = None) -> SecretKey:
    """Read a key file (one line of key text)."""
    described = source or f"key file {path}"
    try:
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise SecretError(f"cannot read the secret key file: {exc.strerror}", Location(described)) from exc
    return key_from_text(text, described)


def find_key(environ: Mapping[str, str] | None = None, secret_key: str | None = None) -> SecretKey | None:
    """The key to use: ``secret_key`` if given, else :data:`KEY_ENV_VAR`, else the file named by
    :data:`KEY_FILE_ENV_VAR`."""
    env = os.environ if environ is None else environ
    if secret_key is not None:
        return key_from_text(secret_key, "the secret_key argument")
    if env.get(KEY_ENV_VAR):
        return key_from_text(env[KEY_ENV_VAR], f"environment variable {KEY_ENV_VAR}")
    if env.get(KEY_FILE_ENV_VAR):
        path = Path(env[KEY_FILE_ENV_VAR])
        return key_from_file(path, f"key file {path} (from environment variable {KEY_FILE_ENV_VAR})")
    return None


def is_encrypted(value: str) -> bool:
    """True when ``value`` is written ``ENC:<token>``."""
    return value.startswith(ENC_PREFIX)


def encrypt(plaintext: str, key: SecretKey) -> str:
    """``ENC:<token>`` for ``plaintext``."""
    return ENC_PREFIX + key.fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(value: str, key: SecretKey | None, where: Location) -> str:
    """The plain text of an ``ENC:`` value; :class:`SecretError` names the key's source on failure."""
    if key is None:
        raise SecretError(
            f"the value is encrypted (ENC:) but no secret key is set: put the key in environment variable "
            f"{KEY_ENV_VAR}, or its file's path in {KEY_FILE_ENV_VAR}",
            where,
        )
    token = value[len(ENC_PREFIX) :].strip() if is_encrypted(value) else value.strip()
    try:
        return key.fernet.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise SecretError(
            f"cannot decrypt the ENC: value with the key from {key.source}: the key is not the one it was "
            "encrypted with, or the value is damaged",
            where,
        ) from exc
