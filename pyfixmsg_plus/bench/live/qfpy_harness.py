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
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

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


class PeerError(RuntimeError):
    """The QuickFIX Python peer did not become ready, did not report an event in time, or did not stop."""


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


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


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


class QuickFixPythonPeer:
    """One ``qfpy_peer.py`` process: a QuickFIX Python acceptor or initiator for a single session on 127.0.0.1.

    The same shape as the C++ peer's ``QuickFixPeer``: an acceptor is ready once its port is bound, an initiator
    once it has logged on; an initiator given ``orders`` logs out and exits when done unless ``linger``; everything
    else runs until :meth:`stop`. Times are in seconds; ``port=None`` picks a free port.
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
        self.mode: Mode = mode
        self._port_was_given = port is not None
        self.port = port if port is not None else free_port(host)
        self.ready = "started" if mode == "acceptor" else "logon"
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
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._changed = threading.Condition()
        self._events: list[dict[str, Any]] = []
        self._output: list[str] = []

    @property
    def command(self) -> list[str]:
        """The peer's command line (``-u``: unbuffered, so events arrive as they happen even if the peer dies)."""
        return [self.python, "-u", str(PEER_SCRIPT), "--port", str(self.port), *self._options]

    # --- starting -----------------------------------------------------------------------------------------------

    def start(self) -> QuickFixPythonPeer:
        """Starts the peer and waits until it is ready; an acceptor whose free port was taken meanwhile retries
        on another one."""
        for _attempt in range(3):
            self._launch()
            if self._ready():
                return self
            self._kill()
            if self.mode != "acceptor" or self._port_was_given:
                break
            self.port = free_port()
        raise PeerError(f"QuickFIX Python {self.mode} on port {self.port} did not report {self.ready!r} within "
                        f"{self.ready_timeout_s} s; output:\n{self.output[-2000:]}")  # fmt: skip

    def _launch(self) -> None:
        with self._changed:
            self._events, self._output = [], []
        self._process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, bufsize=1)  # fmt: skip
        self._reader = threading.Thread(target=self._read_output, args=(self._process,), daemon=True)
        self._reader.start()

    def _read_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self._output.append(line)
                if line.startswith(EVENT_PREFIX):
                    self._events.append(json.loads(line[len(EVENT_PREFIX) :]))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def _ready(self) -> bool:
        try:
            self.wait_for(self.ready, timeout_s=self.ready_timeout_s)
        except PeerError:
            return False
        return True

    # --- observing ----------------------------------------------------------------------------------------------

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Events reported so far (all, or those named ``name``), oldest first."""
        with self._changed:
            return [dict(e) for e in self._events if name is None or e["event"] == name]

    @property
    def output(self) -> str:
        """Everything the peer printed so far (stdout and stderr interleaved)."""
        with self._changed:
            return "".join(self._output)

    @property
    def summary(self) -> dict[str, Any] | None:
        """The exit summary, once the peer has exited."""
        found = self.events("summary")
        return found[-1] if found else None

    def wait_for(self, name: str, *, count: int = 1, timeout_s: float = 30.0) -> dict[str, Any]:
        """Waits until ``count`` events named ``name`` were reported; returns the latest. PeerError on timeout
        or when the peer exited first."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                matching = [e for e in self._events if e["event"] == name]
                if len(matching) >= count:
                    return dict(matching[-1])
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self._reader is not None and not self._reader.is_alive()):
                    break
                self._changed.wait(min(remaining, 0.2))
        raise PeerError(f"QuickFIX Python {self.mode} (port {self.port}) reported {len(matching)} {name!r} "
                        f"event(s), expected {count}, within {timeout_s} s; output:\n"
                        f"{self.output[-2000:]}")  # fmt: skip

    def wait(self, timeout_s: float = 60.0) -> int:
        """Waits for the peer to exit by itself (an initiator after its workload); returns the exit code."""
        if self._process is None:
            raise PeerError("the QuickFIX Python peer was never started")
        try:
            code = self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise PeerError(f"QuickFIX Python {self.mode} still running after {timeout_s} s") from exc
        self._join_reader()
        return code

    # --- stopping -----------------------------------------------------------------------------------------------

    def stop(self, timeout_s: float = 15.0) -> dict[str, Any] | None:
        """Asks the peer to log out and exit (SIGTERM), kills it after ``timeout_s``; returns its summary."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._kill()
                raise PeerError(f"QuickFIX Python {self.mode} ignored SIGTERM for {timeout_s} s; killed") from None
        self._join_reader()
        return self.summary

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=5)

    def __enter__(self) -> QuickFixPythonPeer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        finally:
            self._kill()
