"""A raw FIX 4.4 initiator that sends pre-encoded MarketDataIncrementalRefresh (35=X) faster than any receiver reads.

QuickFIX's initiator cannot send faster than about 100 k msg/s here, so a receive-side benchmark driven by it
measures the sender. This one encodes every refresh before the clock starts and writes them with
``socket.sendall`` in chunks of about 256 KiB, so the receiver is the bottleneck. It runs as its own process::

    python -m pyfixmsg_plus.bench.live.blaster --port P --sender S --target T --count N [--heartbeat 30]

The session: Logon (35=A, MsgSeqNum(34)=1, EncryptMethod(98)=0, HeartBtInt(108), ResetSeqNumFlag(141)=Y so both
sides start at 1); wait for the Logon answer; the refreshes numbered 2..N+1; a Heartbeat (35=0) for each
TestRequest (35=1) received meanwhile (answered after the last refresh: the refreshes' numbers are fixed at
encoding); Logout (35=5); wait for the Logout answer; close. A thread reads the socket all along, so a receiver
that writes while we write can never deadlock us. Every wait is bounded. The process prints one JSON line
(:class:`BlastSummary`) and exits 0, or 1 when anything went wrong (the errors are in the JSON and on stderr).

:func:`start_blaster` / :func:`run_blaster` run that process from Python with timeouts.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from pyfixmsg_plus import _impl
from pyfixmsg_plus.bench.corpus import iter_messages
from pyfixmsg_plus.bench.live import rawfix
from pyfixmsg_plus.bench.live.rawfix import (
    BEGIN_STRING,
    BUSINESS_REJECT,
    HEARTBEAT,
    LOGON,
    LOGOUT,
    REJECT,
    RESEND_REQUEST,
    TEST_REQUEST,
    build_frame,
)
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp

#: bytes per ``sendall``: large enough that the system calls cost nothing next to the receiver's work
CHUNK_BYTES = 256 * 1024
#: bytes per ``recv`` of the reading thread
READ_BYTES = 64 * 1024
#: default bounds, seconds
CONNECT_TIMEOUT_S = 5.0
LOGON_TIMEOUT_S = 10.0
LOGOUT_TIMEOUT_S = 30.0
#: longest a single chunk may take to leave (the receiver not reading at all for this long is a failure), seconds
STALL_TIMEOUT_S = 60.0
#: corpus tags the refreshes leave out: MDEntryPositionNo(290) is not in the NoMDEntries(268) group of the QuickFIX
#: peer's small dictionary (tests/interop/peer/FIX44-peer.xml), which would reject every refresh with 2+ entries
LEFT_OUT_TAGS = frozenset({290})
#: errors kept in the summary; a receiver rejecting every refresh would otherwise make it as long as the blast
MAX_ERRORS = 20

#: MsgType(35) values the blaster reacts to


class BlastError(RuntimeError):
    """The blaster process could not run, did not finish in time, or reported errors."""


@dataclass
class BlastSummary:
    """What one blast did (the JSON line the process prints).

    ``sent``: refreshes fully written; ``write_seconds``: first refresh written to last refresh written;
    ``blast_seconds``: first refresh written to the Logout answer received, i.e. until the receiver had processed
    everything before our Logout (None when no answer came); ``received``: MsgType(35) -> count of what the
    receiver sent us; ``errors``: empty on success. Times are seconds.
    """

    sent: int = 0
    write_seconds: float = 0.0
    blast_seconds: float | None = None
    encode_seconds: float = 0.0
    bytes_sent: int = 0
    logon_answer_seqnum: int | None = None
    received: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> BlastSummary:
        data = json.loads(line)
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)


# ---------------------------------------------------------------------------------------------- encoding


def utc_now() -> str:
    """SendingTime(52) text of the present moment, microseconds."""
    return format_utc_timestamp(datetime.now(UTC), "us").decode("ascii")


def encode_refreshes(count: int, sender: str, target: str, first_seqnum: int = 2, seed: int = 44) -> list[bytes]:
    """``count`` MarketDataIncrementalRefresh frames (1-5 NoMDEntries(268) each, the benchmark corpus's content),
    MsgSeqNum(34) from ``first_seqnum``, SendingTime(52) the moment each is encoded."""
    frames = []
    corpus = iter_messages(count, seed, mix={"X": 1.0}, sender=sender, target=target, first_seqnum=first_seqnum)
    for message in corpus:
        # the corpus dates its messages on a fixed day; a receiver checks SendingTime(52) against its clock
        # (QuickFIX's CheckLatency/MaxLatency), so the frame is encoded again with the present time
        now = utc_now()
        fields = [(tag, now if tag == 52 else value) for tag, value in message.fields if tag not in LEFT_OUT_TAGS]
        frames.append(encode_message(BEGIN_STRING, fields))
    return frames


class Chunk(NamedTuple):
    """Consecutive frames laid end to end for one ``sendall``, and how many frames that is."""

    data: bytes
    frames: int


def join_in_chunks(frames: Sequence[bytes], chunk_bytes: int = CHUNK_BYTES) -> list[Chunk]:
    """``frames`` laid end to end in chunks of about ``chunk_bytes`` bytes, each ending on a frame boundary."""
    chunks: list[Chunk] = []
    pending: list[bytes] = []
    size = 0
    for frame in frames:
        pending.append(frame)
        size += len(frame)
        if size >= chunk_bytes:
            chunks.append(Chunk(b"".join(pending), len(pending)))
            pending, size = [], 0
    if pending:
        chunks.append(Chunk(b"".join(pending), len(pending)))
    return chunks


def field_value(frame: bytes, tag: int) -> str | None:
    """The value of the first ``tag`` field of a verified frame as text (None when absent)."""
    value = rawfix.field_value(frame, tag)
    return None if value is None else value.decode("latin-1")


# ---------------------------------------------------------------------------------------------- reading


class InboundReader(threading.Thread):
    """Reads and frames everything the receiver sends, so its writes never block, and notes what matters.

    Logon and Logout answers are timestamped (``time.perf_counter()`` seconds); TestRequest ids wait in
    ``test_requests`` for the writer; Reject (3), BusinessMessageReject (j) and ResendRequest (2) become errors.
    """

    def __init__(self, sock: socket.socket) -> None:
        super().__init__(name="blaster-reader", daemon=True)
        self._sock = sock
        self._framer = _impl.load("framing").Framer()
        self._lock = threading.Lock()
        self.received: Counter[str] = Counter()
        self.errors: list[str] = []
        self.error_count = 0
        self.test_requests: list[str] = []
        self.logon_answer_seqnum: int | None = None
        self.logon_answered = threading.Event()
        self.logout_answered = threading.Event()
        self.logout_answered_at = 0.0
        self.closed = threading.Event()
        # set by the writer just before it sends its Logout: a Logout after that is the answer, not a surprise
        self._logout_expected = False

    def run(self) -> None:
        try:
            while True:
                try:
                    data = self._sock.recv(READ_BYTES)
                except TimeoutError:
                    continue
                if not data:
                    break
                self._handle(self._framer.feed(data))
        except OSError as exc:
            if not self.logout_answered.is_set():
                self._error(f"reading from the receiver failed: {exc!r}")
        finally:
            self.closed.set()

    def _handle(self, index: Any) -> None:
        for i in range(len(index)):
            if not index.valid[i]:
                self._error(f"garbled frame from the receiver: {index.errors()}")
                continue
            frame = index.frame(i)
            msg_type = index.msgtype(i).decode("latin-1")
            with self._lock:
                self.received[msg_type] += 1
            self._react(msg_type, frame)

    def _react(self, msg_type: str, frame: bytes) -> None:
        if msg_type == LOGON:
            seqnum = field_value(frame, 34)
            self.logon_answer_seqnum = int(seqnum) if seqnum and seqnum.isdigit() else None
            self.logon_answered.set()
        elif msg_type == LOGOUT:
            if not self.logon_answered.is_set() or not self._logout_expected:
                self._error(f"the receiver logged out: Text(58)={field_value(frame, 58)!r}")
            self.logout_answered_at = time.perf_counter()
            self.logout_answered.set()
        elif msg_type == TEST_REQUEST:
            with self._lock:
                self.test_requests.append(field_value(frame, 112) or "")
        elif msg_type in (REJECT, BUSINESS_REJECT):
            self._error(f"the receiver rejected MsgSeqNum(34)={field_value(frame, 45)} with 35={msg_type}: "
                        f"Text(58)={field_value(frame, 58)!r}")  # fmt: skip
        elif msg_type == RESEND_REQUEST:
            self._error(f"the receiver asked for a resend of {field_value(frame, 7)}..{field_value(frame, 16)}")

    def expect_logout(self) -> None:
        self._logout_expected = True

    def take_test_requests(self) -> list[str]:
        with self._lock:
            taken, self.test_requests = self.test_requests, []
        return taken

    def _error(self, text: str) -> None:
        with self._lock:
            self.error_count += 1
            if len(self.errors) < MAX_ERRORS:
                self.errors.append(text)

    def all_errors(self) -> list[str]:
        """The errors kept, and how many more there were."""
        with self._lock:
            more = self.error_count - len(self.errors)
            return self.errors + ([f"... and {more} more errors"] if more else [])


# ---------------------------------------------------------------------------------------------- the session


@dataclass(frozen=True)
class BlastOptions:
    """One blast: where to, as whom, how many; bounds in seconds."""

    port: int
    sender: str
    target: str
    count: int
    heartbeat_s: int = 30
    host: str = "127.0.0.1"
    chunk_bytes: int = CHUNK_BYTES
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    logon_timeout_s: float = LOGON_TIMEOUT_S
    logout_timeout_s: float = LOGOUT_TIMEOUT_S
    stall_timeout_s: float = STALL_TIMEOUT_S


class Blaster:
    """Runs one blast (:meth:`run`) and fills a :class:`BlastSummary`."""

    def __init__(self, options: BlastOptions) -> None:
        self.options = options
        self.summary = BlastSummary()
        self._next_seqnum = 1
        self._blast_started_at = 0.0  # time.perf_counter() when the first refresh was written

    def run(self) -> BlastSummary:
        """Encode, connect, log on, blast, log out; errors end up in the summary, never as exceptions."""
        options = self.options
        started = time.perf_counter()
        chunks = join_in_chunks(encode_refreshes(options.count, options.sender, options.target), options.chunk_bytes)
        self.summary.encode_seconds = time.perf_counter() - started
        try:
            sock = socket.create_connection((options.host, options.port), timeout=options.connect_timeout_s)
        except OSError as exc:
            self.summary.errors.append(f"connecting to {options.host}:{options.port} failed: {exc!r} "
                                       "(is the acceptor listening?)")  # fmt: skip
            return self.summary
        try:
            self._session(sock, chunks)
        finally:
            _close(sock)
        return self.summary

    def _session(self, sock: socket.socket, chunks: list[Chunk]) -> None:
        options = self.options
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(options.stall_timeout_s)
        reader = InboundReader(sock)
        reader.start()
        try:
            if self._log_on(sock, reader):
                self._blast(sock, reader, chunks)
                self._log_out(sock, reader)
        except OSError as exc:
            self.summary.errors.append(f"writing to the receiver failed after {self.summary.sent} refreshes: "
                                       f"{exc!r} (stall timeout {options.stall_timeout_s} s)")  # fmt: skip
        finally:
            # shut down first: that wakes the reader (recv returns b""); close only once it has stopped
            _shutdown(sock)
            reader.join(timeout=5)
            self.summary.received = dict(reader.received)
            self.summary.logon_answer_seqnum = reader.logon_answer_seqnum
            self.summary.errors.extend(reader.all_errors())

    def _send_admin(self, sock: socket.socket, msg_type: str, body: Sequence[tuple[int, str]] = ()) -> None:
        frame = build_frame(msg_type, self._next_seqnum, self.options.sender, self.options.target, body)
        self._next_seqnum += 1
        sock.sendall(frame)

    def _log_on(self, sock: socket.socket, reader: InboundReader) -> bool:
        # Logon (A): EncryptMethod(98)=0, HeartBtInt(108), ResetSeqNumFlag(141)=Y so both sides start at 1
        self._send_admin(sock, LOGON, [(98, "0"), (108, str(self.options.heartbeat_s)), (141, "Y")])
        if reader.logon_answered.wait(self.options.logon_timeout_s):
            return True
        if not reader.errors:
            self.summary.errors.append(f"no Logon answer within logon timeout {self.options.logon_timeout_s} s")
        return False

    def _blast(self, sock: socket.socket, reader: InboundReader, chunks: list[Chunk]) -> None:
        """The refreshes, numbered 2..N+1 at encoding; stops early when the receiver logs out or hangs up."""
        self._next_seqnum = 2 + self.options.count
        self._blast_started_at = first = time.perf_counter()
        for chunk in chunks:
            if reader.logout_answered.is_set() or reader.closed.is_set():
                break
            sock.sendall(chunk.data)
            self.summary.sent += chunk.frames
            self.summary.bytes_sent += len(chunk.data)
        self.summary.write_seconds = time.perf_counter() - first

    def _log_out(self, sock: socket.socket, reader: InboundReader) -> None:
        if reader.logout_answered.is_set() or reader.closed.is_set():
            if not reader.errors:
                self.summary.errors.append("the receiver closed the connection before our Logout")
            return
        for test_request_id in reader.take_test_requests():
            self._send_admin(sock, HEARTBEAT, [(112, test_request_id)])  # Heartbeat answers TestReqID(112)
        reader.expect_logout()
        self._send_admin(sock, LOGOUT)
        deadline = time.monotonic() + self.options.logout_timeout_s
        while not reader.logout_answered.wait(0.05):
            for test_request_id in reader.take_test_requests():
                self._send_admin(sock, HEARTBEAT, [(112, test_request_id)])
            if reader.closed.is_set() or time.monotonic() > deadline:
                if reader.logout_answered.is_set():
                    break  # answered, then the receiver closed, both since the wait above timed out
                self.summary.errors.append(
                    f"no Logout answer within logout timeout {self.options.logout_timeout_s} s"
                    + (" (the receiver hung up)" if reader.closed.is_set() else ""))  # fmt: skip
                return
        self.summary.blast_seconds = reader.logout_answered_at - self._blast_started_at


def _shutdown(sock: socket.socket) -> None:
    """Shut both directions (wakes a thread blocked reading it); a socket already shut or closed is fine."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    _shutdown(sock)
    sock.close()


# ---------------------------------------------------------------------------------------------- command line


def parse_arguments(argv: Sequence[str] | None = None) -> BlastOptions:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the acceptor's TCP port on --host")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--sender", required=True, help="our SenderCompID(49)")
    parser.add_argument("--target", required=True, help="our TargetCompID(56)")
    parser.add_argument("--count", type=int, required=True, help="MarketDataIncrementalRefresh messages to send")
    parser.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt(108), seconds")
    parser.add_argument("--chunk-bytes", type=int, default=CHUNK_BYTES, help="bytes per sendall")
    parser.add_argument("--logon-timeout", type=float, default=LOGON_TIMEOUT_S, help="seconds")
    parser.add_argument("--logout-timeout", type=float, default=LOGOUT_TIMEOUT_S, help="seconds")
    parser.add_argument("--stall-timeout", type=float, default=STALL_TIMEOUT_S,
                        help="longest one chunk may wait for the receiver to read, seconds")  # fmt: skip
    args = parser.parse_args(argv)
    if args.count < 0 or args.heartbeat <= 0 or args.chunk_bytes <= 0:
        parser.error(f"--count {args.count} must be >= 0, --heartbeat {args.heartbeat} and "
                     f"--chunk-bytes {args.chunk_bytes} > 0")  # fmt: skip
    return BlastOptions(args.port, args.sender, args.target, args.count, args.heartbeat, args.host,
                        args.chunk_bytes, CONNECT_TIMEOUT_S, args.logon_timeout, args.logout_timeout,
                        args.stall_timeout)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run one blast; print its summary as one JSON line; 0 on success, 1 with the errors on stderr otherwise."""
    summary = Blaster(parse_arguments(argv)).run()
    print(summary.to_json(), flush=True)
    for error in summary.errors:
        print(f"blaster: {error}", file=sys.stderr)
    return 0 if summary.ok else 1


# ---------------------------------------------------------------------------------------------- Python API


class BlasterProcess:
    """A running blaster process (see :func:`start_blaster`)."""

    def __init__(self, options: BlastOptions) -> None:
        self.options = options
        self.command = [sys.executable, "-m", __name__, "--port", str(options.port), "--host", options.host,
                        "--sender", options.sender, "--target", options.target, "--count", str(options.count),
                        "--heartbeat", str(options.heartbeat_s), "--chunk-bytes", str(options.chunk_bytes),
                        "--logon-timeout", str(options.logon_timeout_s),
                        "--logout-timeout", str(options.logout_timeout_s),
                        "--stall-timeout", str(options.stall_timeout_s)]  # fmt: skip
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                         env=_child_environment())  # fmt: skip

    def wait(self, timeout_s: float, check: bool = True) -> BlastSummary:
        """Wait up to ``timeout_s`` seconds for the blast to end; its summary.

        BlastError when it runs longer (it is killed) or prints no summary, and with ``check`` when it failed.
        """
        try:
            out, err = self._process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BlastError(f"blaster to port {self.options.port} still running after {timeout_s} s; killed") from None
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if not lines:
            raise BlastError(f"blaster exited with code {self._process.returncode} and no summary; stderr:\n{err}")
        summary = BlastSummary.from_json(lines[-1])
        if check and (self._process.returncode != 0 or not summary.ok):
            raise BlastError(f"blaster to port {self.options.port} failed (exit code {self._process.returncode}): "
                             + "; ".join(summary.errors or [err.strip()]))  # fmt: skip
        return summary

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    def kill(self) -> None:
        """Stop the process at once (no Logout) and reap it."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.communicate()


def _child_environment() -> dict[str, str]:
    """Our environment, with the directory holding this ``pyfixmsg_plus`` first on PYTHONPATH: the child imports
    the same package even when it is not installed (a source checkout run from elsewhere)."""
    package_root = str(Path(__file__).resolve().parents[3])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def start_blaster(port: int, sender: str, target: str, count: int, heartbeat_s: int = 30,
                  **bounds: Any) -> BlasterProcess:  # fmt: skip
    """Start a blaster process towards 127.0.0.1:``port``; ``bounds`` are other :class:`BlastOptions` fields."""
    return BlasterProcess(BlastOptions(port, sender, target, count, heartbeat_s, **bounds))


def run_blaster(port: int, sender: str, target: str, count: int, timeout_s: float, heartbeat_s: int = 30,
                check: bool = True, **bounds: Any) -> BlastSummary:  # fmt: skip
    """Start a blaster and wait up to ``timeout_s`` seconds for its summary (see :meth:`BlasterProcess.wait`)."""
    return start_blaster(port, sender, target, count, heartbeat_s, **bounds).wait(timeout_s, check)


if __name__ == "__main__":
    sys.exit(main())
