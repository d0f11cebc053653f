"""Harness for ``qfpeer``, the project's QuickFIX C++ 1.15 counterparty (sources in ``tests/interop/peer/``).

``build_peer()`` compiles the peer once per source version into a cache directory and returns the binary, or
``None`` when QuickFIX or a compiler is missing (``peer_unavailable_reason()`` then says why).
``QuickFixPeer`` runs one peer process as a context manager::

    with QuickFixPeer("acceptor", sender_comp_id="QF", target_comp_id="US") as acceptor:
        ...  # connect an initiator to 127.0.0.1:acceptor.port
    acceptor.summary  # the peer's exit summary: messages sent/received, elapsed_s, messages_per_s, ...

or, from asyncio, ``async with`` and ``await acceptor.await_event("logon")`` (see
:class:`pyfixmsg_plus.testing.peer_process.EventLinePeer`, which runs the process and reads its events).

The peer reports events as ``QFPEER {json}`` lines on stdout (``started``, ``logon``, ``logout``,
``skipped_seq``, ``work_done``, ``error``, ``summary``); every other line (QuickFIX's own prints, stderr) is kept
in ``output``. Scripts/install_quickfix.sh installs the prerequisites on Debian.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NoReturn

from pyfixmsg_plus.testing.peer_process import (
    EventLinePeer,
    PeerError,
    PeerTimeoutError,
    ensure_directories,
    free_port,
)

__all__ = [
    "PeerBuild", "PeerError", "PeerTLS", "PeerTimeoutError", "QuickFixPeer", "build_peer",
    "default_data_dictionary", "free_port", "make_self_signed_certificate", "peer_unavailable_reason",
    "require_peer", "skip_or_fail_unavailable",
]  # fmt: skip

PEER_SOURCE_DIR = Path(__file__).resolve().parent / "peer"
QUICKFIX_HEADER = Path("/usr/include/quickfix/Application.h")
# Where a system FIX44.xml would be. Debian's libquickfix-dev (QuickFIX 1.15) ships none, so by default the peer
# uses its own small dictionary (peer/FIX44-peer.xml) unless QUICKFIX_DATA_DICTIONARY names another.
DICTIONARY_ENV = "QUICKFIX_DATA_DICTIONARY"
DICTIONARY_CANDIDATES = (Path("/usr/share/quickfix/FIX44.xml"), Path("/usr/local/share/quickfix/FIX44.xml"))
PEER_DICTIONARY = PEER_SOURCE_DIR / "FIX44-peer.xml"
BUILD_DIR_ENV = "PYFIXMSG_PLUS_PEER_BUILD_DIR"
EVENT_PREFIX = "QFPEER "
BUILD_TIMEOUT_S = 300.0

Mode = Literal["acceptor", "initiator"]


@dataclass(frozen=True)
class PeerBuild:
    """Outcome of building the peer: the binary, or why there is none."""

    binary: Path | None
    reason: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class PeerTLS:
    """TLS settings of one peer (QuickFIX's SSL keys).

    ``cert``/``key``: this peer's PEM certificate and key (required for an acceptor, optional client certificate
    for an initiator); ``ca``: PEM bundle to verify the other side; ``verify_level``: CertificateVerifyLevel
    (0 no check, 1 verify the other side's certificate, 2 an acceptor also requires a client certificate).
    """

    cert: Path | None = None
    key: Path | None = None
    ca: Path | None = None
    verify_level: int = 0

    def arguments(self) -> list[str]:
        args = ["--tls", "--tls-verify-level", str(self.verify_level)]
        for option, path in (("--tls-cert", self.cert), ("--tls-key", self.key), ("--tls-ca", self.ca)):
            if path is not None:
                args += [option, str(path)]
        return args


def _source_digest() -> str:
    """Hash of the peer's sources and Makefile: a new build directory whenever they change."""
    digest = hashlib.sha256()
    for path in sorted(PEER_SOURCE_DIR.iterdir()):
        if path.is_file() and path.suffix in {".cpp", ".h", ""}:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _build_root() -> Path:
    configured = os.environ.get(BUILD_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pyfixmsg-plus" / "qfpeer"


def _missing_prerequisite() -> str | None:
    if not QUICKFIX_HEADER.is_file():
        return f"QuickFIX C++ headers not found ({QUICKFIX_HEADER}); run scripts/install_quickfix.sh"
    for tool in ("make", os.environ.get("CXX", "g++")):
        if shutil.which(tool) is None:
            return f"{tool!r} not found on PATH; run scripts/install_quickfix.sh"
    return None


@functools.cache
def _build() -> PeerBuild:
    missing = _missing_prerequisite()
    if missing:
        return PeerBuild(None, missing)
    binary = _build_root() / _source_digest() / "qfpeer"
    if binary.is_file():
        return PeerBuild(binary)
    started = time.monotonic()
    # The Makefile compiles to OUT.tmp and renames it, so concurrent builders never see half a binary.
    completed = subprocess.run(
        ["make", "-s", "-C", str(PEER_SOURCE_DIR), f"OUT={binary}"],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if completed.returncode != 0 or not binary.is_file():
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-15:]
        return PeerBuild(None, "building the QuickFIX peer failed:\n" + "\n".join(tail))
    return PeerBuild(binary, seconds=time.monotonic() - started)


def build_peer() -> Path | None:
    """Path of the compiled peer (built on first call, cached per source version), or None if it cannot be built."""
    return _build().binary


def peer_unavailable_reason() -> str | None:
    """Why ``build_peer()`` returns None (missing headers, compiler, or a compile error); None when it built."""
    build = _build()
    return None if build.binary else build.reason


#: set (CI sets it) to make a missing QuickFIX peer fail the interop tests instead of skipping them
REQUIRE_ENV = "PYFIXMSG_PLUS_REQUIRE_INTEROP"


def skip_or_fail_unavailable(message: str) -> NoReturn:
    """Skips the running test because a peer is unavailable (``message`` says why), or fails it when
    ``$REQUIRE_ENV`` is set (CI: the interop tests must run)."""
    import pytest  # imported here: the harness is also used outside pytest (benchmarks)

    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{message} ({REQUIRE_ENV} is set, so the interop tests must run)")
    pytest.skip(message)


def require_peer() -> Path:
    """The peer binary for a test; skips when it cannot be built, or fails when ``$REQUIRE_ENV`` is set."""
    binary = build_peer()
    if binary is None:
        skip_or_fail_unavailable(f"QuickFIX C++ peer unavailable: {peer_unavailable_reason()}")
    return binary


def default_data_dictionary() -> Path | None:
    """A FIX 4.4 dictionary for the peer: $QUICKFIX_DATA_DICTIONARY, else a system FIX44.xml, else the peer's own.

    None only if even the peer's own file is missing; the peer then runs with UseDataDictionary=N and rejects
    messages with repeating groups ("tag appears more than once").
    """
    configured = os.environ.get(DICTIONARY_ENV)
    if configured:
        return Path(configured)
    candidates = (*DICTIONARY_CANDIDATES, PEER_DICTIONARY)
    return next((path for path in candidates if path.is_file()), None)


def make_self_signed_certificate(directory: Path, common_name: str = "localhost") -> tuple[Path, Path]:
    """Writes ``<common_name>.pem`` and ``<common_name>.key`` (RSA 2048, valid 2 days, SAN 127.0.0.1)."""
    if shutil.which("openssl") is None:
        raise PeerError("the 'openssl' command is needed for test certificates; run scripts/install_quickfix.sh")
    cert, key = directory / f"{common_name}.pem", directory / f"{common_name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={common_name}",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class QuickFixPeer(EventLinePeer):
    """One qfpeer process: a QuickFIX acceptor or initiator for a single FIX session on 127.0.0.1.

    An acceptor is ready once its port is bound; an initiator once it has logged on (``ready`` overrides:
    ``"started"``, ``"logon"`` or None to return at once). An initiator given a workload (``orders`` or
    ``md_burst``) logs out and exits when done unless ``linger``; everything else runs until ``stop()``.
    Times are in seconds. ``port=None`` picks a free port. The message store is in memory unless ``store_dir``
    is given (a QuickFIX FileStore: sequence numbers then survive a restart). Waiting, stopping and the asyncio
    forms (``astart``, ``await_event``, ``await_exit``, ``astop``) come from :class:`EventLinePeer`.
    """

    def __init__(
        self,
        mode: Mode,
        *,
        sender_comp_id: str,
        target_comp_id: str,
        port: int | None = None,
        host: str = "127.0.0.1",
        begin_string: str = "FIX.4.4",
        data_dictionary: Path | Literal["auto"] | None = "auto",
        store_dir: Path | None = None,
        log_dir: Path | None = None,
        heartbeat_s: int = 30,
        reset_on_logon: bool = False,
        orders: int = 0,
        round_trip: bool = False,
        latency_file: Path | None = None,
        md_burst: int = 0,
        skip_seq_at: int | None = None,
        skip_count: int = 1,
        tls: PeerTLS | None = None,
        linger: bool = False,
        work_timeout_s: float = 120.0,
        logon_timeout_s: float = 30.0,
        stop_grace_s: float = 10.0,
        extra_args: Sequence[str] = (),
        ready: Literal["auto", "started", "logon"] | None = "auto",
        ready_timeout_s: float = 30.0,
        binary: Path | None = None,
    ) -> None:
        # the harness's own SIGTERM grace: the peer's --stop-grace plus time to print its summary
        super().__init__(EVENT_PREFIX, stop_grace_s=15.0)
        self.mode: Mode = mode
        self.sender_comp_id, self.target_comp_id = sender_comp_id, target_comp_id
        self._port_was_given = port is not None
        self.port = port if port is not None else free_port(host)
        self.host = host
        self.data_dictionary = default_data_dictionary() if data_dictionary == "auto" else data_dictionary
        self.store_dir, self.log_dir, self.latency_file = store_dir, log_dir, latency_file
        self.ready_event = ("started" if mode == "acceptor" else "logon") if ready == "auto" else ready
        self.ready_timeout_s = ready_timeout_s
        self._binary = binary
        self._options: list[str] = [
            "--begin-string", begin_string, "--heartbeat", str(heartbeat_s),
            "--work-timeout", str(work_timeout_s), "--logon-timeout", str(logon_timeout_s),
            "--stop-grace", str(stop_grace_s),
        ]  # fmt: skip
        self._options += self._workload_arguments(orders, round_trip, md_burst, skip_seq_at, skip_count)
        self._options += ["--reset-on-logon"] if reset_on_logon else []
        self._options += ["--linger"] if linger else []
        self._options += tls.arguments() if tls is not None else []
        self._options += list(extra_args)

    def _workload_arguments(
        self, orders: int, round_trip: bool, md_burst: int, skip_seq_at: int | None, skip_count: int
    ) -> list[str]:
        args = ["--orders", str(orders)] if orders else []
        args += ["--round-trip"] if round_trip else []
        args += ["--latency-file", str(self.latency_file)] if self.latency_file is not None else []
        args += ["--md-burst", str(md_burst)] if md_burst else []
        if skip_seq_at is not None:
            args += ["--skip-seq-at", str(skip_seq_at), "--skip-count", str(skip_count)]
        return args

    @property
    def ready(self) -> str | None:
        """The event that means ready: ``started`` (port bound), ``logon``, or None (at launch)."""
        return self.ready_event

    @property
    def command(self) -> list[str]:
        """The peer's command line (the binary is resolved, and built, on first use)."""
        binary = self._binary or build_peer()
        if binary is None:
            raise PeerError(f"QuickFIX peer unavailable: {peer_unavailable_reason()}")
        args = [str(binary), "--mode", self.mode, "--port", str(self.port), "--host", self.host,
                "--sender", self.sender_comp_id, "--target", self.target_comp_id]  # fmt: skip
        if self.data_dictionary is not None:
            args += ["--dictionary", str(self.data_dictionary)]
        if self.store_dir is not None:
            args += ["--store-dir", str(self.store_dir)]
        if self.log_dir is not None:
            args += ["--log-dir", str(self.log_dir)]
        return args + self._options

    def describe(self) -> str:
        return f"qfpeer {self.mode} (port {self.port})"

    def _before_launch(self) -> None:
        ensure_directories(self.store_dir, self.log_dir)

    def _retry_start(self) -> bool:
        """An acceptor on a port we picked that another process took meanwhile retries on another free port."""
        if self.mode != "acceptor" or self._port_was_given or not self._bind_failed():
            return False
        self.port = free_port(self.host)
        return True

    def _bind_failed(self) -> bool:
        return any(e["event"] == "error" and "bind" in e.get("reason", "").lower() for e in self.events())

    def restart(self) -> QuickFixPeer:
        """Stops the peer and starts it again on the same port, with the same store (sequence numbers kept)."""
        self.stop()
        self._port_was_given = True
        return self.start()
