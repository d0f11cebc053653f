"""Kill -9 harness for the stores: a writer process that sends and stores, killed at random moments.

The child (``python -m pyfixmsg_plus.store.crash_harness child DB LOG BACKEND MODE``) recovers its sequence
state, then sends numbered frames forever: each frame written to LOG (the "socket": what the peer received,
one frame per line) and stored through the persistence mode's writer. The parent SIGKILLs it after a random
delay, checks the invariants on the files, and starts it again:

- no outbound MsgSeqNum(34) reached the socket twice, and the store resumes above every number sent;
- ``sync``/``group``: every frame that reached the socket is stored, byte for byte;
- ``write_behind``: every frame that reached the socket is stored or lies below the resume number (so it is
  answered with SequenceReset-GapFill), and none is stored with other bytes;
- the database passes ``PRAGMA integrity_check``.

Used by ``tests/store/test_store_kill.py`` (a few dozen kills) and ``scripts/store_stress.py`` (thousands).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pyfixmsg_plus.store.batching import BatchSettings
from pyfixmsg_plus.store.contract import FrameRecord, SessionKey
from pyfixmsg_plus.store.factory import MessageStoreFactory
from pyfixmsg_plus.store.persistence import make_writer

SESSION = SessionKey("FIX.4.4", "KILLTEST", "PEER")
#: small blocks and batches so that a few hundred milliseconds of sending cross many of each
CHILD_SETTINGS = BatchSettings(max_batch=200, flush_interval=0.002, reserve_block=64)
SENDERS = 8  # concurrent sending tasks, so that group commit really groups


def fix_frame(fields: list[tuple[int, str]], begin_string: str = "FIX.4.4") -> bytes:
    """A FIX frame with BeginString(8), BodyLength(9) and CheckSum(10) around ``fields``."""
    body = b"".join(f"{tag}={value}\x01".encode() for tag, value in fields)
    head = f"8={begin_string}\x019={len(body)}\x01".encode()
    checksum = sum(head + body) % 256
    return head + body + f"10={checksum:03d}\x01".encode()


def order_frame(seq_num: int, sending_time: float) -> bytes:
    """A NewOrderSingle(35=D) frame numbered ``seq_num``, padded to about 200 bytes."""
    stamp = time.strftime("%Y%m%d-%H:%M:%S", time.gmtime(sending_time))
    return fix_frame(
        [
            (35, "D"),
            (49, SESSION.sender_comp_id),
            (56, SESSION.target_comp_id),
            (34, str(seq_num)),
            (52, stamp),
            (11, f"ORD{seq_num:012d}"),
            (55, "EUR/USD"),
            (54, "1"),
            (38, "1000000"),
            (40, "2"),
            (44, "1.08765"),
            (59, "0"),
            (58, "x" * 48),
        ]
    )


async def _send_forever(db: str, log: str, backend: str, mode: str) -> None:
    store = MessageStoreFactory.get_message_store(backend, db)
    await store.open()
    writer = make_writer(mode, store, SESSION, CHILD_SETTINGS)
    state = await writer.recover()
    numbers = itertools.count(state.resume_sender_seqnum)
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    ordered = asyncio.Lock()  # the socket takes frames in MsgSeqNum order, as a session's writer would
    os.write(1, b"ready\n")

    async def sender() -> None:
        while True:
            now = time.time()
            seq_num = next(numbers)
            record = FrameRecord(seq_num, "D", now, order_frame(seq_num, now))
            await writer.before_send([record])
            async with ordered:
                os.write(fd, record.data + b"\n")
            writer.after_send([record])
            await asyncio.sleep(0)

    await asyncio.gather(*(sender() for _ in range(SENDERS)))


@dataclass
class KillSummary:
    """What the parent found after its kills."""

    kills: int = 0
    sent: int = 0
    stored: int = 0
    reused: int = 0
    lost: int = 0
    gap_filled: int = 0
    unclean_opens: int = 0
    problems: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        """The one-line summary printed by the stress script."""
        return (
            f"{label}: kills={self.kills} sent={self.sent} stored={self.stored} gap_filled={self.gap_filled} "
            f"reused_seqnums={self.reused} lost_messages={self.lost} unclean_opens={self.unclean_opens}"
        )

    @property
    def ok(self) -> bool:
        """True when no invariant was broken."""
        return self.reused == 0 and self.lost == 0 and self.unclean_opens == 0


def read_socket_log(log: Path) -> list[tuple[int, bytes]]:
    """(MsgSeqNum, frame) of every complete frame in the socket log, in the order written.

    A kill can cut a write short (Linux stops a file write at a page boundary on SIGKILL), so the log may hold
    a frame fragment that the next run's frame follows on the same line. A fragment is not a message (its
    CheckSum(10) is missing, and a peer discards it), so only complete frames count.
    """
    if not log.exists():
        return []
    frames = []
    for line in log.read_bytes().split(b"\n"):
        for frame in _complete_frames(line):
            start = frame.index(b"\x0134=") + 4
            frames.append((int(frame[start : frame.index(b"\x01", start)]), frame))
    return frames


def _complete_frames(line: bytes) -> list[bytes]:
    frames = [b"8=FIX" + piece for piece in line.split(b"8=FIX")[1:]]
    return [frame for frame in frames if _is_complete(frame)]


def _is_complete(frame: bytes) -> bool:
    """True when ``frame`` ends with a CheckSum(10) field that matches its bytes."""
    trailer = frame.rfind(b"\x0110=")
    if trailer < 0 or len(frame) != trailer + 8 or not frame.endswith(b"\x01"):
        return False
    digits = frame[trailer + 4 : trailer + 7]
    return digits.isdigit() and int(digits) == sum(frame[: trailer + 1]) % 256


def read_store(db: Path) -> tuple[dict[int, bytes], int, str]:
    """Stored outbound frames by MsgSeqNum, the resume number, and SQLite's integrity check, read directly."""
    connection = sqlite3.connect(db)
    try:
        integrity = "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
        row = connection.execute(
            "SELECT id, next_sender_seqnum, reserved_through FROM sessions WHERE sender_comp_id = ?",
            (SESSION.sender_comp_id,),
        ).fetchone()
        if row is None:
            return {}, 1, integrity
        base = (row[0] * 2) << 32
        stored = {
            key & 0xFFFFFFFF: bytes(data)
            for key, data in connection.execute(
                "SELECT key, data FROM messages WHERE key BETWEEN ? AND ?", (base, base | 0xFFFFFFFF)
            )
        }
        return stored, max(row[1], row[2] + 1), integrity
    finally:
        connection.close()


def check_invariants(db: Path, log: Path, mode: str) -> KillSummary:
    """Check the files left by the killed writers (see the module docstring)."""
    summary = KillSummary()
    sent = read_socket_log(log)
    stored, resume, integrity = read_store(db) if db.exists() else ({}, 1, "ok")
    summary.sent, summary.stored = len(sent), len(stored)
    if integrity != "ok":
        summary.unclean_opens += 1
        summary.problems.append(f"integrity_check: {integrity}")
    counts = Counter(seq for seq, _ in sent)
    summary.reused = sum(count - 1 for count in counts.values() if count > 1)
    if sent and resume <= max(counts):
        summary.reused += 1
        summary.problems.append(f"resume number {resume} is not above the highest sent {max(counts)}")
    for seq, frame in sent:
        copy = stored.get(seq)
        if copy == frame:
            continue
        if copy is None and mode == "write_behind":
            summary.gap_filled += 1
            continue
        summary.lost += 1
        if len(summary.problems) < 5:
            summary.problems.append(
                f"MsgSeqNum {seq} reached the socket but is {'missing' if copy is None else 'different'}"
            )
    return summary


def run_kill_cycles(
    workdir: Path,
    backend: str,
    mode: str,
    kills: int,
    *,
    delay: tuple[float, float] = (0.0, 0.25),
    startup_kills: float = 0.1,
    seed: int | None = None,
) -> KillSummary:
    """Start and SIGKILL the writer ``kills`` times, then check the invariants on what it left.

    A kill comes ``delay`` seconds (uniform) after the writer said it is sending, or, for a ``startup_kills``
    share of them, at a random moment of its startup and recovery.
    """
    rng = random.Random(seed)
    db, log = workdir / f"{backend}-{mode}.db", workdir / f"{backend}-{mode}.log"
    for _ in range(kills):
        _kill_one(db, log, backend, mode, rng.uniform(*delay), rng.random() < startup_kills)
    summary = check_invariants(db, log, mode)
    summary.kills = kills
    return summary


def _kill_one(db: Path, log: Path, backend: str, mode: str, delay: float, during_startup: bool) -> None:
    command = [
        sys.executable,
        "-m",
        "pyfixmsg_plus.store.crash_harness",
        "child",
        str(db),
        str(log),
        backend,
        mode,
    ]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")])),
    }
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as child:
        assert child.stdout is not None and child.stderr is not None
        if during_startup:
            time.sleep(delay)
        elif not _wait_ready(child.stdout.fileno(), timeout=30.0):
            child.kill()
            raise RuntimeError(f"writer did not start: {child.stderr.read().decode()[-2000:]}")
        else:
            time.sleep(delay)
        if child.poll() is not None:  # it ended on its own: a bug, not a kill
            raise RuntimeError(
                f"writer exited with {child.returncode}: {child.stderr.read().decode()[-2000:]}"
            )
        child.send_signal(signal.SIGKILL)
        child.wait()


def _wait_ready(fd: int, timeout: float) -> bool:
    ready, _, _ = select.select([fd], [], [], timeout)
    return bool(ready) and os.read(fd, 6) == b"ready\n"


_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)


def main(argv: list[str]) -> int:
    """``child DB LOG BACKEND MODE``: run the writer until killed."""
    if len(argv) != 5 or argv[0] != "child":
        print("usage: python -m pyfixmsg_plus.store.crash_harness child DB LOG BACKEND MODE", file=sys.stderr)
        return 2
    asyncio.run(_send_forever(*argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
