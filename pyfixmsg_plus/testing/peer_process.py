"""A child process that reports what happens as JSON "event lines" on stdout: the base of the QuickFIX peers.

Both QuickFIX counterparties (the C++ ``qfpeer`` of tests/interop and the Python binding's ``qfpy_peer.py``) print
``<PREFIX>{"event": "logon", ...}`` lines among their other output. :class:`EventLinePeer` starts such a process,
reads its output in a daemon thread, and lets a test or benchmark wait for an event, blocking or from asyncio::

    with SomePeer(...) as peer:                       # start(): launched and ready, or PeerError
        peer.wait_for("logon", timeout_s=10)          # PeerTimeoutError names the event and the last lines
    async with SomePeer(...) as peer:                 # the same from an event loop, which keeps running
        await peer.await_event("logout", timeout_s=10)

Every wait is bounded (seconds). :meth:`EventLinePeer.stop` asks the process to exit (SIGTERM), kills it after a
grace period, and leaves no process behind either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

#: one reported event: the JSON object of an event line; its "event" key names it
Event = dict[str, Any]
EventPredicate = Callable[[Event], bool]
#: how many of the last output lines an error message quotes
LAST_LINES = 25
#: launches of :meth:`EventLinePeer.start` at most, when :meth:`EventLinePeer._retry_start` allows retries
START_ATTEMPTS = 3
#: how long the reader thread may take to drain the pipe once the process exited, in seconds
READER_JOIN_S = 5.0
#: longest sleep between checks of a blocking wait, in seconds (an exit also ends the wait)
POLL_S = 0.2


class PeerError(RuntimeError):
    """The peer process could not start, did not become ready, exited before an event, or did not stop."""


class PeerTimeoutError(PeerError, TimeoutError):
    """An event the peer was expected to report did not come within the time allowed."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on ``host`` (a peer retries when another process takes it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _matcher(event: str | EventPredicate) -> EventPredicate:
    if isinstance(event, str):
        return lambda reported: reported.get("event") == event
    return event


def _described(event: str | EventPredicate, what: str | None) -> str:
    if what is not None:
        return what
    return repr(event) if isinstance(event, str) else getattr(event, "__name__", "matching")


class EventLinePeer:
    """One child process whose stdout lines starting with ``event_prefix`` carry a JSON event object.

    Subclasses give :attr:`command` and a :meth:`describe` naming the peer in errors; they may set
    :attr:`ready_event` (reported once the peer can be used, None: ready at launch), :attr:`ready_timeout_s`,
    and override :meth:`_before_launch` and :meth:`_retry_start`. Times are in seconds.
    """

    #: the event that means "ready" after a launch; None: :meth:`start` returns as soon as the process runs
    ready_event: str | None = None
    ready_timeout_s: float = 30.0

    def __init__(self, event_prefix: str, *, stop_grace_s: float = 15.0) -> None:
        self.event_prefix = event_prefix
        self.stop_grace_s = stop_grace_s
        self._process: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None
        self._changed = threading.Condition()
        self._events: list[Event] = []
        self._output: list[str] = []
        self._async_wakeups: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    # --- what a subclass says ---------------------------------------------------------------------------------

    @property
    def command(self) -> Sequence[str]:
        """The command line of the process."""
        raise NotImplementedError

    def describe(self) -> str:
        """The peer as errors name it, e.g. ``qfpeer acceptor (port 5001)``."""
        return type(self).__name__

    def _before_launch(self) -> None:
        """Called before each launch (e.g. to create directories the process writes to)."""

    def _retry_start(self) -> bool:
        """After a launch that did not become ready (the process is killed): True to launch again."""
        return False

    # --- starting -----------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Launches the process and waits for :attr:`ready_event`; PeerError naming it and the last lines if the
        process never reports it (after up to START_ATTEMPTS launches when :meth:`_retry_start` allows)."""
        for _attempt in range(START_ATTEMPTS):
            self._launch()
            if self._became_ready():
                return self
            self.kill()
            if not self._retry_start():
                break
        raise PeerError(f"{self.describe()} did not report {self.ready_event!r} within {self.ready_timeout_s} s; "
                        f"last lines:\n{self.last_lines()}")  # fmt: skip

    def _launch(self) -> None:
        self._before_launch()
        with self._changed:
            self._events, self._output = [], []
        self._process = subprocess.Popen(list(self.command), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, text=True, bufsize=1)  # fmt: skip
        self._reader = threading.Thread(target=self._read_output, args=(self._process,), daemon=True)
        self._reader.start()

    def _became_ready(self) -> bool:
        if self.ready_event is None:
            return True
        try:
            self.wait_for(self.ready_event, timeout_s=self.ready_timeout_s)
        except PeerError:
            return False
        return True

    def _read_output(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._changed:
                self._output.append(line)
                if line.startswith(self.event_prefix):
                    self._events.append(self._parse_event(line))
                self._notify()
        with self._changed:
            self._notify()

    def _parse_event(self, line: str) -> Event:
        payload = line[len(self.event_prefix) :]
        try:
            event = json.loads(payload)
        except json.JSONDecodeError:
            # a truncated line (the process died mid-write) is kept in the output, reported as such
            return {"event": "unreadable", "line": line.rstrip("\n")}
        return event if isinstance(event, dict) else {"event": "unreadable", "line": line.rstrip("\n")}

    def _notify(self) -> None:
        """Wakes blocking and asyncio waiters; called with ``_changed`` held."""
        self._changed.notify_all()
        for loop, wakeup in self._async_wakeups:
            with contextlib.suppress(RuntimeError):  # that loop is closed: its waiter is gone
                loop.call_soon_threadsafe(wakeup.set)

    # --- observing ----------------------------------------------------------------------------------------------

    def events(self, name: str | None = None) -> list[Event]:
        """Events reported since the last launch (all, or those named ``name``), oldest first (copies)."""
        with self._changed:
            return [dict(e) for e in self._events if name is None or e.get("event") == name]

    @property
    def output(self) -> str:
        """Everything the process printed since the last launch (stdout and stderr interleaved)."""
        with self._changed:
            return "".join(self._output)

    def last_lines(self, count: int = LAST_LINES) -> str:
        """The last ``count`` lines the process printed, for error messages."""
        with self._changed:
            return "".join(self._output[-count:]) or "(no output)"

    @property
    def summary(self) -> Event | None:
        """The last ``summary`` event (a peer reports one as it exits), or None."""
        found = self.events("summary")
        return found[-1] if found else None

    @property
    def returncode(self) -> int | None:
        """The exit code, None while running or before a launch."""
        return None if self._process is None else self._process.poll()

    def _exit_code_after_eof(self) -> int | None:
        """The exit code once the process closed its output (it exits a moment later); None if it still runs."""
        if self._process is None:
            return None
        try:
            return self._process.wait(timeout=READER_JOIN_S)
        except subprocess.TimeoutExpired:
            return None

    def _reader_done(self) -> bool:
        return self._reader is not None and not self._reader.is_alive()

    # --- waiting ------------------------------------------------------------------------------------------------

    def _found(self, matches: EventPredicate, count: int) -> Event | None:
        """The ``count``-th matching event once there are that many (later ones do not change it); called with
        the lock."""
        matching = [e for e in self._events if matches(e)]
        return dict(matching[count - 1]) if len(matching) >= count else None

    def _not_reported(self, event: str | EventPredicate, what: str | None, count: int, timeout_s: float) -> PeerError:
        matches, name = _matcher(event), _described(event, what)
        with self._changed:
            seen = sum(1 for e in self._events if matches(e))
        said = f"{self.describe()} reported {seen} {name} event(s), expected {count}"
        if self._reader_done():
            code = self._exit_code_after_eof()
            return PeerError(f"{said}: it exited (code {code}) first; last lines:\n{self.last_lines()}")
        return PeerTimeoutError(f"{said}, within {timeout_s} s; last lines:\n{self.last_lines()}")

    def wait_for(
        self, event: str | EventPredicate, *, count: int = 1, timeout_s: float = 30.0, what: str | None = None
    ) -> Event:
        """Blocks until ``count`` events named ``event`` (or matching it, a predicate) were reported; returns the
        ``count``-th (the first with count=1). PeerTimeoutError after ``timeout_s``, PeerError if the process exited
        first; both name the event (``what`` names a predicate) and quote the last lines."""
        matches = _matcher(event)
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while (found := self._found(matches, count)) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._reader_done():
                    break
                self._changed.wait(min(remaining, POLL_S))
        if found is not None:
            return found
        raise self._not_reported(event, what, count, timeout_s)

    async def await_event(
        self, event: str | EventPredicate, *, count: int = 1, timeout_s: float = 30.0, what: str | None = None
    ) -> Event:
        """:meth:`wait_for` for a coroutine: the event loop keeps running (and may cancel it) while it waits."""
        matches = _matcher(event)
        wakeup = asyncio.Event()
        waiter = (asyncio.get_running_loop(), wakeup)
        deadline = time.monotonic() + timeout_s
        with self._changed:
            self._async_wakeups.append(waiter)
        try:
            while True:
                with self._changed:
                    found = self._found(matches, count)
                    wakeup.clear()
                remaining = deadline - time.monotonic()
                if found is not None or remaining <= 0 or self._reader_done():
                    break
                # asyncio.timeout, not wait_for: on 3.11 wait_for loses a cancellation that arrives as the wakeup
                # fires, and this wakeup fires on every line the peer prints
                with contextlib.suppress(TimeoutError):  # a quiet moment: look at the exit and the deadline
                    async with asyncio.timeout(min(remaining, POLL_S)):
                        await wakeup.wait()
        finally:
            with self._changed:
                self._async_wakeups.remove(waiter)
        if found is not None:
            return found
        raise self._not_reported(event, what, count, timeout_s)

    def wait(self, timeout_s: float = 60.0) -> int:
        """Blocks until the process exits by itself (e.g. after its workload); returns the exit code.
        PeerTimeoutError if it still runs after ``timeout_s`` (it is left running: :meth:`stop` ends it)."""
        if self._process is None:
            raise PeerError(f"{self.describe()} was never started")
        try:
            code = self._process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired as exc:
            raise PeerTimeoutError(f"{self.describe()} still running after {timeout_s} s; last lines:\n"
                                   f"{self.last_lines()}") from exc  # fmt: skip
        self._join_reader()
        return code

    # --- stopping -----------------------------------------------------------------------------------------------

    def stop(self, timeout_s: float | None = None) -> Event | None:
        """Asks the process to exit (SIGTERM: a peer logs out first) and returns its summary. After ``timeout_s``
        (default :attr:`stop_grace_s`) it is killed and PeerError says so. A no-op once it has exited."""
        grace_s = self.stop_grace_s if timeout_s is None else timeout_s
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                self.kill()
                raise PeerError(f"{self.describe()} ignored SIGTERM for {grace_s} s and was killed") from None
        self._join_reader()
        return self.summary

    def kill(self) -> None:
        """Kills the process if it still runs (SIGKILL) and reaps it."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=READER_JOIN_S)

    # --- the same from asyncio (bounded blocking calls run in a worker thread) ------------------------------------

    async def astart(self) -> Self:
        """:meth:`start` without blocking the event loop."""
        return await asyncio.to_thread(self.start)

    async def await_exit(self, timeout_s: float = 60.0) -> int:
        """:meth:`wait` without blocking the event loop."""
        return await asyncio.to_thread(self.wait, timeout_s)

    async def astop(self, timeout_s: float | None = None) -> Event | None:
        """:meth:`stop` without blocking the event loop."""
        return await asyncio.to_thread(self.stop, timeout_s)

    async def arestart(self) -> Self:
        """:meth:`restart` without blocking the event loop."""
        return await asyncio.to_thread(self.restart)

    def restart(self) -> Self:
        """Stops the process and starts it again (a subclass decides what a restart keeps, e.g. the port)."""
        self.stop()
        return self.start()

    # --- context managers: stop, and kill whatever still runs --------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.stop()
        finally:
            self.kill()

    async def __aenter__(self) -> Self:
        return await self.astart()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.astop()
        finally:
            self.kill()


def ensure_directories(*directories: Path | None) -> None:
    """Creates each given directory (and its parents) if missing; None entries are skipped."""
    for directory in directories:
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
