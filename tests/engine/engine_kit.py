"""Helpers for the engine tests: bounded event loops, free ports, configurations and small applications."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.config import ConfigManager

#: upper bound of one test coroutine, in seconds: a hung test fails instead of blocking CI
TEST_TIMEOUT = 30.0


def run_bounded(coro: Coroutine[Any, Any, Any], timeout: float = TEST_TIMEOUT) -> Any:
    """Run ``coro`` in a fresh event loop, failing it after ``timeout`` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``predicate`` every 10 ms until it holds (True) or ``timeout`` seconds passed (False)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def acceptor_config(
    port: int, targets: list[str], store: Path | None = None, sender: str = "EXEC", **defaults: Any
) -> ConfigManager:
    """An acceptor on 127.0.0.1:``port`` serving one session per counterparty in ``targets``."""
    base: dict[str, Any] = {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1",
                            "SocketAcceptPort": port, "HeartBtInt": 30}
    base.update(_store(store))
    base.update(defaults)
    return ConfigManager.from_dict(
        {"DEFAULT": base, "SESSION": [{"SenderCompID": sender, "TargetCompID": t} for t in targets]})


def initiator_config(
    port: int, sender: str, store: Path | None = None, target: str = "EXEC", **defaults: Any
) -> ConfigManager:
    """An initiator ``sender`` -> ``target`` connecting to 127.0.0.1:``port``, reconnecting quickly."""
    base: dict[str, Any] = {"ConnectionType": "initiator", "SocketConnectHost": "127.0.0.1",
                            "SocketConnectPort": port, "HeartBtInt": 30, "ReconnectInterval": 0.1,
                            "ReconnectMaxInterval": 0.5}
    base.update(_store(store))
    base.update(defaults)
    return ConfigManager.from_dict({"DEFAULT": base, "SESSION": [{"SenderCompID": sender, "TargetCompID": target}]})


def _store(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {"StoreType": "memory"}
    return {"StoreType": "database", "StorePath": str(path)}


class Executor(Application):
    """Answers every NewOrderSingle (35=D) with a filled ExecutionReport (35=8); records what it saw."""

    def __init__(self) -> None:
        super().__init__()
        self.engine: Any = None
        self.orders: list[str] = []
        self.logons: list[Any] = []
        self.created: list[Any] = []

    def onCreate(self, sessionID: Any) -> None:
        self.created.append(sessionID)

    async def onLogon(self, sessionID: Any) -> None:
        self.logons.append(sessionID)

    async def fromApp(self, message: Any, sessionID: Any) -> None:
        if message[35] != "D":
            return
        self.orders.append(message[11])
        n = len(self.orders)
        report = self.engine.fixmsg({35: "8", 37: f"O{n}", 11: message[11], 17: f"E{n}", 150: "F", 39: "2",
                                     55: message[55], 54: message[54], 14: message[38], 151: 0, 6: "1"},
                                    session_id=sessionID)
        await self.engine.send_message(report, session_id=sessionID)


class Client(Application):
    """Queues every received application message."""

    def __init__(self) -> None:
        super().__init__()
        self.received: asyncio.Queue[Any] = asyncio.Queue()
        self.logouts = 0

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.received.put_nowait(message)

    def onLogout(self, sessionID: Any) -> None:
        self.logouts += 1


def order(engine: Any, clordid: str) -> Any:
    """A NewOrderSingle (35=D) for ``engine``'s primary session."""
    return engine.fixmsg({35: "D", 11: clordid, 21: "1", 55: "EUR/USD", 54: "1", 38: 100, 40: "1",
                          60: "20240603-12:00:00"})


def self_signed_localhost(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1/localhost and its key (PEM files in ``directory``)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path
