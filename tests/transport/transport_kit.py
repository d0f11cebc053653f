"""Helpers for the transport tests: recording receivers, bounded runs on both loop kinds, TLS material.

A module of its own (not conftest) so tests import it by a unique name.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib.util
import ipaddress
import socket
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pyfixmsg_plus.transport import Connection, loop

#: Upper bound for any single test coroutine, in seconds: a hung test fails instead of blocking CI.
TEST_TIMEOUT = 20.0

LOOP_KINDS = ["asyncio"] + (["uvloop"] if importlib.util.find_spec("uvloop") else [])


def run_bounded(coro: Coroutine[Any, Any, Any], kind: str = "asyncio", timeout: float = TEST_TIMEOUT) -> Any:
    """Run ``coro`` in a fresh loop of ``kind``, failing it after ``timeout`` seconds."""
    return loop.run(asyncio.wait_for(coro, timeout), use_uvloop=(kind == "uvloop"))


def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class NullReceiver:
    """A receiver that ignores everything: for tests of the connection itself."""

    def on_connected(self, conn: Connection) -> None:
        pass

    def on_data(self, data: bytes) -> None:
        pass

    def on_disconnected(self, exc: BaseException | None) -> None:
        pass


class Recorder:
    """A Receiver that records what the connection tells it, with futures to await the milestones."""

    def __init__(self, echo: bool = False) -> None:
        self.echo = echo
        self.conn: Connection | None = None
        self.received = bytearray()
        self.events: list[str] = []
        self.disconnect_error: BaseException | None = None
        self.connected: asyncio.Future[Connection] = asyncio.get_running_loop().create_future()
        self.disconnected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._wanted: tuple[int, asyncio.Future[None]] | None = None

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        self.events.append("connected")
        self.connected.set_result(conn)

    def on_data(self, data: bytes) -> None:
        self.events.append("data")
        self.received += data
        if self.echo and self.conn is not None:
            self.conn.write(data)
        if self._wanted and len(self.received) >= self._wanted[0] and not self._wanted[1].done():
            self._wanted[1].set_result(None)

    def on_disconnected(self, exc: BaseException | None) -> None:
        self.events.append("disconnected")
        self.disconnect_error = exc
        if not self.disconnected.done():
            self.disconnected.set_result(None)

    async def wait_bytes(self, count: int) -> bytes:
        """Wait until at least ``count`` bytes arrived; returns everything received."""
        if len(self.received) < count:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._wanted = (count, waiter)
            await waiter
        return bytes(self.received)


class RecorderFactory:
    """A receiver_factory that keeps every Recorder it made."""

    def __init__(self, echo: bool = False) -> None:
        self.echo = echo
        self.made: list[Recorder] = []

    def __call__(self) -> Recorder:
        recorder = Recorder(self.echo)
        self.made.append(recorder)
        return recorder

    @property
    def connected(self) -> list[Recorder]:
        return [r for r in self.made if "connected" in r.events]


# ---------------------------------------------------------------------- TLS material (made once per run)
@dataclass(frozen=True)
class Pki:
    """PEM files: a CA, a server cert for localhost/127.0.0.1/::1, clients signed by the CA or not."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    rogue_client_cert: Path
    rogue_client_key: Path
    rogue_ca: Path


def _write_key(path: Path, key: Any) -> None:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


def _make_cert(subject_cn: str, key: Any, issuer: tuple[Any, Any] | None, *, ca: bool,
               sans: list[Any] | None = None) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    issuer_cert, issuer_key = issuer if issuer else (None, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                                        critical=False)
    else:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False)
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _new_key() -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(cert.public_bytes(serialization.Encoding.PEM))


def make_pki(root: Path) -> Pki:
    """Generate the CA, server and client certificates and keys under ``root``."""
    from cryptography import x509

    ca_key, rogue_ca_key = _new_key(), _new_key()
    ca = _make_cert("Test CA", ca_key, None, ca=True)
    rogue_ca = _make_cert("Rogue CA", rogue_ca_key, None, ca=True)
    server_key, client_key, rogue_key = _new_key(), _new_key(), _new_key()
    sans = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1"))]
    server = _make_cert("localhost", server_key, (ca, ca_key), ca=False, sans=sans)
    client = _make_cert("CLIENT1", client_key, (ca, ca_key), ca=False)
    rogue = _make_cert("ROGUE", rogue_key, (rogue_ca, rogue_ca_key), ca=False)
    files = Pki(ca=root / "ca.pem", server_cert=root / "server.pem", server_key=root / "server.key",
                client_cert=root / "client.pem", client_key=root / "client.key",
                rogue_client_cert=root / "rogue.pem", rogue_client_key=root / "rogue.key",
                rogue_ca=root / "rogue_ca.pem")
    files.ca.write_bytes(_pem(ca))
    files.rogue_ca.write_bytes(_pem(rogue_ca))
    files.server_cert.write_bytes(_pem(server))
    files.client_cert.write_bytes(_pem(client))
    files.rogue_client_cert.write_bytes(_pem(rogue))
    _write_key(files.server_key, server_key)
    _write_key(files.client_key, client_key)
    _write_key(files.rogue_client_key, rogue_key)
    return files


# ---------------------------------------------------------------- fixtures (imported by the test modules)
# No conftest.py here on purpose: a second module named "conftest" would shadow tests/conftest.py for the test
# modules that do "from conftest import ...".
@pytest.fixture(name="loop_kind", params=LOOP_KINDS)
def loop_kind_fixture(request: pytest.FixtureRequest) -> str:
    """"asyncio", and "uvloop" when it is installed."""
    return str(request.param)


@pytest.fixture(name="pki", scope="session")
def pki_fixture(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA, a server certificate and client certificates (one trusted, one from another CA)."""
    pytest.importorskip("cryptography")
    return make_pki(tmp_path_factory.mktemp("pki"))
