"""``pyfixmsg-plus config check|reference``, ``encrypt`` and ``decrypt``.

Secret values are read from standard input (when it is not a terminal) or from a prompt without echo, never
from the command line, so they do not end up in the shell's history or the process list.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TextIO

from pyfixmsg_plus.config import ConfigError, ConfigManager, SessionSettings
from pyfixmsg_plus.config.errors import Location
from pyfixmsg_plus.config.reference import render_markdown
from pyfixmsg_plus.config.secrets import (
    KEY_ENV_VAR,
    KEY_FILE_ENV_VAR,
    SecretKey,
    decrypt,
    encrypt,
    find_key,
    generate_key,
    key_from_file,
)


def _address(settings: SessionSettings) -> str:
    if settings.is_initiator:
        return " | ".join(f"{a.host}:{a.port}" for a in settings.connect_addresses)
    return f"{settings.socket_accept_host or '*'}:{settings.socket_accept_port}"


def session_summary(settings: SessionSettings) -> str:
    """One line about a session: id, role, address, heartbeat, store, TLS."""
    store = settings.store_type.value
    if settings.store_type.value != "memory":
        store += f" {settings.store_file}"
    return (
        f"{settings.session_id}  {settings.connection_type.value} {_address(settings)}  "
        f"HeartBtInt={settings.heart_bt_int}s  store={store}  "
        f"TLS={'on' if settings.socket_use_ssl else 'off'}"
    )


def _check(args: argparse.Namespace) -> int:
    try:
        config = ConfigManager(args.file)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sessions = config.sessions()
    print(f"OK: {args.file}: {len(sessions)} session{'s' if len(sessions) != 1 else ''}")
    for settings in sessions:
        print("  " + session_summary(settings))
    return 0


def _reference(args: argparse.Namespace) -> int:
    sys.stdout.write(render_markdown())
    return 0


def _read_value(prompt: str, confirm: bool, stdin: TextIO | None = None) -> str:
    """A value from standard input (first line) when piped, else from a prompt without echo."""
    stream = stdin or sys.stdin
    if not stream.isatty():
        return stream.readline().rstrip("\r\n")
    value = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != value:
        raise ConfigError("the two entries differ", Location("prompt"))
    return value


def _key(args: argparse.Namespace) -> SecretKey:
    if args.key_file is not None:
        return key_from_file(Path(args.key_file))
    key = find_key()
    if key is None:
        raise ConfigError(
            f"no secret key: set {KEY_ENV_VAR}, or {KEY_FILE_ENV_VAR} to a key file, or pass --key-file "
            "(make one with `pyfixmsg-plus encrypt --generate-key --output FILE`)",
            Location("encrypt/decrypt"),
        )
    return key


def _write_key_file(path: Path) -> None:
    # owner-only permissions: the key decrypts every secret of the configuration
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(generate_key() + "\n")


def _encrypt(args: argparse.Namespace) -> int:
    try:
        if args.generate_key:
            if args.output is None:
                print(generate_key())
            else:
                _write_key_file(Path(args.output))
                print(f"wrote a new key to {args.output} (mode 600); point {KEY_FILE_ENV_VAR} at it")
            return 0
        key = _key(args)
        value = _read_value("value to encrypt: ", confirm=True)
        print(encrypt(value, key))
        return 0
    except FileExistsError:
        print(f"error: {args.output} already exists; not overwriting a key", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _decrypt(args: argparse.Namespace) -> int:
    try:
        key = _key(args)
        value = _read_value("ENC: value to decrypt: ", confirm=False).strip()
        print(decrypt(value, key, Location("the value given")))
        return 0
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg,unused-ignore]
    """Add ``config``, ``encrypt`` and ``decrypt``."""
    config = subparsers.add_parser("config", help="check a configuration file, print the key reference")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate a file and summarise its sessions (exit 1 on error)")
    check.add_argument("file", help="INI file")
    check.set_defaults(func=_check)
    reference = actions.add_parser("reference", help="print the configuration reference (Markdown)")
    reference.set_defaults(func=_reference)

    key_help = f"key file (default: ${KEY_ENV_VAR}, then the file named by ${KEY_FILE_ENV_VAR})"
    enc = subparsers.add_parser("encrypt", help="encrypt a secret for the INI (ENC:...), or make a key")
    enc.add_argument("--key-file", help=key_help)
    enc.add_argument("--generate-key", action="store_true", help="print (or --output) a new random key")
    enc.add_argument("--output", help="with --generate-key: write the key to this new file (mode 600)")
    enc.set_defaults(func=_encrypt)
    dec = subparsers.add_parser("decrypt", help="decrypt an ENC: value read from stdin or a prompt")
    dec.add_argument("--key-file", help=key_help)
    dec.set_defaults(func=_decrypt)
