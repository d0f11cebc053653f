"""Running QuickFIX's Python binding (pip ``quickfix-ssl``) as a peer: :mod:`qfpy_peer` in its own process.

The binding runs its own socket threads and calls the Python application holding the GIL, so it gets a process of
its own: our engine's event loop (tests) and its timing (benchmarks) are then not shared with it, and a crash in
the binding's C++ cannot take the caller down. The interpreter is ``$PYFIXMSG_PLUS_QFPY_PYTHON`` when set (one with
the binding, e.g. a virtualenv's ``bin/python``), else the current one; the peer script imports only the standard
library and ``quickfix``. :func:`find_binding` says whether that interpreter has the binding, or why not::

    binding = find_binding()
    with binding.peer("acceptor", sender_comp_id="QFA", target_comp_id="QFI") as acceptor:
        ...  # connect an initiator to 127.0.0.1:acceptor.port
    acceptor.summary  # counters, elapsed_s, messages_per_s, ... (the C++ peer's keys)
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pyfixmsg_plus.testing.peer_process import EventLinePeer, PeerError, PeerTimeoutError, free_port

__all__ = [
    "BindingAvailability", "PeerError", "PeerTimeoutError", "QuickFixPythonPeer", "binding_python",
    "default_data_dictionary", "find_binding", "free_port",
]  # fmt: skip

PYTHON_ENV = "PYFIXMSG_PLUS_QFPY_PYTHON"
#: the C++ peer's setting for a dictionary; honoured here too, so both QuickFIX peers validate against one file
DICTIONARY_ENV = "QUICKFIX_DATA_DICTIONARY"
PEER_SCRIPT = Path(__file__).resolve().with_name("qfpy_peer.py")
EVENT_PREFIX = "QFPY "
#: the C++ peer's small FIX 4.4 dictionary, in a source checkout (three levels above this package's bench/live)
CPP_PEER_DICTIONARY = Path(__file__).resolve().parents[3] / "tests" / "interop" / "peer" / "FIX44-peer.xml"
SYSTEM_DICTIONARIES = (Path("/usr/share/quickfix/FIX44.xml"), Path("/usr/local/share/quickfix/FIX44.xml"))
#: what the chosen interpreter reports about its binding: the wheel's own FIX44.xml is in <prefix>/share/quickfix
_PROBE = (
    "import json, sys\n"
    "import quickfix\n"
    "from importlib import metadata\n"
    "try:\n    version = metadata.version('quickfix-ssl')\n"
    "except metadata.PackageNotFoundError:\n    version = 'unknown'\n"
    "print(json.dumps({'version': version, 'prefix': sys.prefix}))\n"
)
PROBE_TIMEOUT_S = 30.0

Mode = Literal["acceptor", "initiator"]


def binding_python() -> str:
    """The interpreter that runs the peer: ``$PYFIXMSG_PLUS_QFPY_PYTHON``, else the current one."""
    return os.environ.get(PYTHON_ENV) or sys.executable


def default_data_dictionary(binding_prefix: Path | None) -> Path | None:
    """The FIX 4.4 dictionary for the peer, the C++ peer's choice first so both QuickFIX rows validate the same
    way: ``$QUICKFIX_DATA_DICTIONARY``, a system FIX44.xml, the C++ peer's FIX44-peer.xml (source checkout), then
    the FIX44.xml the binding's wheel installs under ``binding_prefix``/share/quickfix. None: no validation."""
    configured = os.environ.get(DICTIONARY_ENV)
    if configured:
        return Path(configured)
    wheel = (binding_prefix / "share" / "quickfix" / "FIX44.xml",) if binding_prefix is not None else ()
    return next((path for path in (*SYSTEM_DICTIONARIES, CPP_PEER_DICTIONARY, *wheel) if path.is_file()), None)


@dataclass(frozen=True)
class BindingAvailability:
    """The interpreter with the binding, its version and dictionary, or the reason the peer cannot run here."""

    python: str
    version: str = ""
    dictionary: Path | None = None
    reason: str = ""

    @property
    def available(self) -> bool:
        return not self.reason

    def peer(self, mode: Mode, **options: Any) -> QuickFixPythonPeer:
        """A not yet started peer (see :class:`QuickFixPythonPeer`); RuntimeError naming the reason if unavailable."""
        if not self.available:
            raise RuntimeError(f"QuickFIX Python binding unavailable: {self.reason}")
        options.setdefault("data_dictionary", self.dictionary)
        return QuickFixPythonPeer(mode, python=self.python, **options)


@functools.cache
def find_binding() -> BindingAvailability:
    """Whether :func:`binding_python` can import ``quickfix`` (checked once, in a child process), and with it
    the binding's version and the dictionary the peer will use."""
    python = binding_python()
    try:
        probe = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True, timeout=PROBE_TIMEOUT_S,
                               check=False)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired) as exc:
        return BindingAvailability(python, reason=f"cannot run {python} (${PYTHON_ENV}): {exc}")
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return BindingAvailability(python, reason=f"`import quickfix` failed in {python}: {last} "
                                                  f"(pip install quickfix-ssl, or set ${PYTHON_ENV})")  # fmt: skip
    found = json.loads(probe.stdout.strip().splitlines()[-1])
    return BindingAvailability(python, found["version"], default_data_dictionary(Path(found["prefix"])))


class QuickFixPythonPeer(EventLinePeer):
    """One ``qfpy_peer.py`` process: a QuickFIX Python acceptor or initiator for a single session on 127.0.0.1.

    The same shape as the C++ peer's ``QuickFixPeer``: an acceptor is ready once its port is bound, an initiator
    once it has logged on; an initiator given ``orders`` logs out and exits when done unless ``linger``; everything
    else runs until :meth:`stop`. Times are in seconds; ``port=None`` picks a free port. Waiting, stopping and the
    asyncio forms come from :class:`~pyfixmsg_plus.testing.peer_process.EventLinePeer`.
    """

    def __init__(
        self,
        mode: Mode,
        *,
        sender_comp_id: str,
        target_comp_id: str,
        port: int | None = None,
        host: str = "127.0.0.1",
        data_dictionary: Path | None = None,
        heartbeat_s: int = 30,
        orders: int = 0,
        round_trip: bool = False,
        latency_file: Path | None = None,
        skip_seq_at: int | None = None,
        skip_count: int = 1,
        store_dir: Path | None = None,
        reset_on_logon: bool = False,
        linger: bool = False,
        work_timeout_s: float = 120.0,
        logon_timeout_s: float = 30.0,
        ready_timeout_s: float = 30.0,
        python: str | None = None,
    ) -> None:
        super().__init__(EVENT_PREFIX, stop_grace_s=15.0)
        self.mode: Mode = mode
        self.host = host
        self._port_was_given = port is not None
        self.port = port if port is not None else free_port(host)
        self.ready_event = "started" if mode == "acceptor" else "logon"
        self.ready_timeout_s = ready_timeout_s
        self.python = python or binding_python()
        self._options = [
            "--mode", mode, "--host", host, "--sender", sender_comp_id, "--target", target_comp_id,
            "--heartbeat", str(heartbeat_s), "--work-timeout", str(work_timeout_s),
            "--logon-timeout", str(logon_timeout_s),
        ]  # fmt: skip
        self._options += ["--dictionary", str(data_dictionary)] if data_dictionary is not None else []
        self._options += ["--orders", str(orders)] if orders else []
        self._options += ["--round-trip"] if round_trip else []
        self._options += ["--latency-file", str(latency_file)] if latency_file is not None else []
        if skip_seq_at is not None:
            self._options += ["--skip-seq-at", str(skip_seq_at), "--skip-count", str(skip_count)]
        self._options += ["--store-dir", str(store_dir)] if store_dir is not None else []
        self._options += ["--reset-on-logon"] if reset_on_logon else []
        self._options += ["--linger"] if linger else []

    @property
    def ready(self) -> str | None:
        """The event that means ready: ``started`` (an acceptor's port bound) or ``logon`` (an initiator)."""
        return self.ready_event

    @property
    def command(self) -> list[str]:
        """The peer's command line (``-u``: unbuffered, so events arrive as they happen even if the peer dies)."""
        return [self.python, "-u", str(PEER_SCRIPT), "--port", str(self.port), *self._options]

    def describe(self) -> str:
        return f"QuickFIX Python {self.mode} (port {self.port})"

    def _retry_start(self) -> bool:
        """An acceptor on a port we picked retries on another free one (another process may have taken it)."""
        if self.mode != "acceptor" or self._port_was_given:
            return False
        self.port = free_port(self.host)
        return True
