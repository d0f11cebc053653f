"""TLS contexts for the acceptor (server side) and the initiator (client side).

Both sides refuse anything older than TLS 1.2. Errors are :class:`TLSConfigError` naming the setting and the
file at fault (missing, unreadable, not PEM, key not matching the certificate), never a bare OpenSSL message.

:func:`read_what_tls_kept` recovers the bytes a TLS transport keeps when the peer's TCP ends without a
close_notify.
"""

from __future__ import annotations

import enum
import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, cast

StrPath = str | os.PathLike[str]

_CERT_MARKER = b"-----BEGIN CERTIFICATE-----"
_KEY_MARKER = b"PRIVATE KEY-----"


class TLSConfigError(ValueError):
    """A TLS setting that cannot be used: names the setting, the file and what is wrong with it."""


class ClientCertMode(enum.Enum):
    """Whether the acceptor asks initiators for a certificate."""

    NONE = "none"  # not asked
    OPTIONAL = "optional"  # asked; verified against the CA when sent, connection allowed without one
    REQUIRED = "required"  # asked; the handshake fails without a certificate signed by the CA


def server_context(
    certfile: StrPath,
    keyfile: StrPath | None = None,
    *,
    cafile: StrPath | None = None,
    client_cert: ClientCertMode | str = ClientCertMode.NONE,
    password: str | Callable[[], str] | None = None,
    minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
) -> ssl.SSLContext:
    """An SSLContext for the acceptor: our certificate chain and key, optionally client-certificate checks.

    ``cafile`` holds the CAs that sign accepted client certificates; it is required when ``client_cert`` is
    optional or required. ``password`` decrypts an encrypted key.
    """
    mode = _client_cert_mode(client_cert)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    _set_minimum_version(context, minimum_version)
    _load_chain(context, certfile, keyfile, password, setting="certfile")
    if mode is not ClientCertMode.NONE:
        if cafile is None:
            raise TLSConfigError(
                f"client_cert={mode.value} needs cafile: the CA certificates that sign client certificates")
        _load_ca(context, cafile)
        context.verify_mode = ssl.CERT_REQUIRED if mode is ClientCertMode.REQUIRED else ssl.CERT_OPTIONAL
    elif cafile is not None:
        _load_ca(context, cafile)
    return context


def client_context(
    *,
    cafile: StrPath | None = None,
    certfile: StrPath | None = None,
    keyfile: StrPath | None = None,
    password: str | Callable[[], str] | None = None,
    check_hostname: bool = True,
    verify: bool = True,
    minimum_version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
) -> ssl.SSLContext:
    """An SSLContext for the initiator.

    ``cafile`` holds the CAs that sign the acceptor's certificate (the system store when None); ``certfile``
    and ``keyfile`` are our client certificate when the acceptor asks for one. ``check_hostname`` compares the
    acceptor's certificate with the host we connect to; ``verify=False`` accepts any certificate (tests only).
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _set_minimum_version(context, minimum_version)
    if verify:
        if cafile is None:
            context.load_default_certs(ssl.Purpose.SERVER_AUTH)
        else:
            _load_ca(context, cafile)
        context.check_hostname = check_hostname
    else:
        # check_hostname must be turned off before verify_mode can drop to CERT_NONE.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if certfile is not None:
        _load_chain(context, certfile, keyfile, password, setting="certfile")
    elif keyfile is not None:
        raise TLSConfigError(f"keyfile={os.fspath(keyfile)} is set without certfile: set both or neither")
    return context


class ReadsInto(Protocol):
    """The read side of an ``asyncio.BufferedProtocol``: room for a read, then how many bytes landed in it."""

    def get_buffer(self, sizehint: int) -> memoryview: ...

    def buffer_updated(self, nbytes: int) -> None: ...


def read_what_tls_kept(ssl_object: ssl.SSLObject, protocol: ReadsInto, go_on: Callable[[], bool]) -> int:
    """Read ``ssl_object`` to its end into ``protocol`` (``get_buffer(-1)`` then ``buffer_updated(nbytes)``, as a
    transport does) while ``go_on()`` is true; returns the bytes read.

    For a connection whose peer ended TCP without a TLS close_notify (a killed process, a load balancer): asyncio's
    ``SSLProtocol`` then reads one application buffer (``_do_flush``) and uvloop's none (its ``eof_received`` goes
    straight to SHUTDOWN), and both drop the rest with the SSL object: bytes already decrypted, and records still
    encrypted in its incoming BIO. Call it from ``connection_lost``, when the transport reads no more. A record the
    peer cut in the middle cannot be decrypted and stays lost (it ends the reading, as nothing follows it).
    """
    recovered = 0
    while go_on():
        room = protocol.get_buffer(-1)
        try:
            nbytes = cast(int, ssl_object.read(len(room), room))  # with a buffer: a count (typeshed says bytes)
        except ssl.SSLError:  # SSLWantReadError: nothing whole is left; SSLZeroReturnError: a close_notify
            nbytes = 0
        del room  # no view of the buffer outlives the read (a reader may hand that very memory out)
        if nbytes <= 0:  # 0: a close_notify after all
            break
        protocol.buffer_updated(nbytes)
        recovered += nbytes
    return recovered


# ---------------------------------------------------------------------- helpers
def _client_cert_mode(value: ClientCertMode | str) -> ClientCertMode:
    if isinstance(value, ClientCertMode):
        return value
    try:
        return ClientCertMode(str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in ClientCertMode)
        raise TLSConfigError(f"client_cert={value!r} is not one of: {allowed}") from None


def _set_minimum_version(context: ssl.SSLContext, version: ssl.TLSVersion) -> None:
    if version < ssl.TLSVersion.TLSv1_2 and version is not ssl.TLSVersion.MINIMUM_SUPPORTED:
        raise TLSConfigError(f"minimum_version={version.name} is below TLS 1.2, which this engine requires")
    if version is ssl.TLSVersion.MINIMUM_SUPPORTED:
        version = ssl.TLSVersion.TLSv1_2
    context.minimum_version = version


def _read_pem(path: StrPath, setting: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        raise TLSConfigError(f"{setting}: file not found: {file}")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise TLSConfigError(f"{setting}: cannot read {file}: {exc.strerror or exc}") from exc


def _load_chain(
    context: ssl.SSLContext,
    certfile: StrPath,
    keyfile: StrPath | None,
    password: str | Callable[[], str] | None,
    setting: str,
) -> None:
    cert_text = _read_pem(certfile, setting)
    if _CERT_MARKER not in cert_text:
        raise TLSConfigError(
            f"{setting}: {os.fspath(certfile)} holds no PEM certificate ({_CERT_MARKER.decode()})")
    key_setting, key_path = ("keyfile", keyfile) if keyfile is not None else (setting, certfile)
    key_text = cert_text if keyfile is None else _read_pem(keyfile, "keyfile")
    if _KEY_MARKER not in key_text:
        raise TLSConfigError(f"{key_setting}: {os.fspath(key_path)} holds no PEM private key")
    try:
        context.load_cert_chain(certfile, keyfile, password=password)
    except ssl.SSLError as exc:
        raise TLSConfigError(_chain_error(exc, certfile, keyfile)) from exc
    except (TypeError, ValueError) as exc:  # a password of the wrong type or length
        raise TLSConfigError(f"keyfile: cannot decrypt {os.fspath(key_path)}: {exc}") from exc


def _chain_error(exc: ssl.SSLError, certfile: StrPath, keyfile: StrPath | None) -> str:
    reason = (exc.reason or str(exc)).upper()
    key_path = os.fspath(keyfile if keyfile is not None else certfile)
    if "KEY_VALUES_MISMATCH" in reason:
        return (f"keyfile: the private key in {key_path} does not match the certificate in "
                f"{os.fspath(certfile)}")
    if "BAD_DECRYPT" in reason or "PASSWORD" in reason:
        return f"keyfile: cannot decrypt {key_path}: wrong or missing password"
    return (f"certfile/keyfile: OpenSSL cannot load certificate {os.fspath(certfile)} with key {key_path}: "
            f"{exc.reason or exc}")


def _load_ca(context: ssl.SSLContext, cafile: StrPath) -> None:
    text = _read_pem(cafile, "cafile")
    if _CERT_MARKER not in text:
        raise TLSConfigError(f"cafile: {os.fspath(cafile)} holds no PEM certificate")
    try:
        context.load_verify_locations(cafile=cafile)
    except ssl.SSLError as exc:
        raise TLSConfigError(f"cafile: OpenSSL cannot load {os.fspath(cafile)}: {exc.reason or exc}") from exc
