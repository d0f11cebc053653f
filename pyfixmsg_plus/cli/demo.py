"""``pyfixmsg-plus demo``: a live FIX session on loopback (default), or the wire layer alone (``demo wire``).

``demo`` (``demo session``) runs an acceptor and an initiator in one process with the embedded SQLite store: logon,
orders answered by fills, a market-data burst, logout, and a summary with messages/s.

``demo wire`` builds a corpus of FIX 4.4 traffic, encodes it, corrupts a few frames and sprinkles garbage between
others (as a noisy link would), feeds the stream to a Framer in random-sized chunks, parses every valid frame into a
FixMessage with the built-in FIX 4.4 dictionary, validates it, and prints what it found.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from pyfixmsg_plus import USING_EXTENSIONS
from pyfixmsg_plus.bench.corpus import generate
from pyfixmsg_plus.engine_demo import DemoSummary, run_live_demo
from pyfixmsg_plus.message.framing import Framer


@dataclass
class NoisyStream:
    """A byte stream with the indexes of the frames that were damaged on purpose."""

    data: bytes
    sent_valid: int
    damaged: Counter[str] = field(default_factory=Counter)
    garbage_bytes: int = 0


def _damage(frame: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Return a damaged copy of ``frame`` and what was done to it."""
    kind = rng.choice(("checksum", "length", "begin string"))
    if kind == "checksum":
        digits = frame[-4:-1]
        wrong = b"%03d" % ((int(digits) + 1) % 256)
        return frame[:-4] + wrong + b"\x01", kind
    if kind == "length":
        start = frame.index(b"\x019=") + 3
        end = frame.index(b"\x01", start)
        return frame[:start] + str(int(frame[start:end]) + 3).encode() + frame[end:], kind
    return b"8=FIX.4.4\x01" + frame[frame.index(b"\x0135=") + 1 :], "missing BodyLength"


def build_noisy_stream(count: int, seed: int, damage_rate: float) -> NoisyStream:
    rng = random.Random(seed)
    parts: list[bytes] = []
    noisy = NoisyStream(b"", 0)
    for message in generate(count, seed=seed):
        if rng.random() < damage_rate:
            damaged, kind = _damage(message.frame, rng)
            parts.append(damaged)
            noisy.damaged[kind] += 1
        else:
            parts.append(message.frame)
            noisy.sent_valid += 1
        if rng.random() < damage_rate:
            junk = bytes(rng.randrange(32, 127) for _ in range(rng.randrange(1, 40)))
            parts.append(junk)
            noisy.garbage_bytes += len(junk)
    noisy.data = b"".join(parts)
    return noisy


def _chunks(data: bytes, rng: random.Random, largest: int) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size = rng.randrange(1, largest)
        out.append(data[pos : pos + size])
        pos += size
    return out


@dataclass
class DemoReport:
    frames: int = 0
    invalid: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    md_entries: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


def run_demo(count: int, seed: int = 7, damage_rate: float = 0.02) -> tuple[NoisyStream, DemoReport]:
    """Frame, parse and validate a noisy stream of ``count`` messages; return what was sent and what was found."""
    from pyfixmsg_plus._impl import load
    from pyfixmsg_plus.message.codec import Codec
    from pyfixmsg_plus.message.dictionary import load_builtin
    from pyfixmsg_plus.message.errors import FixValidationError
    from pyfixmsg_plus.message.validation import Validator

    parse_pairs = load("parser").parse_pairs
    spec = load_builtin("FIX.4.4")
    codec = Codec(spec=spec)
    validator = Validator(spec)
    noisy = build_noisy_stream(count, seed, damage_rate)
    report = DemoReport()
    framer = Framer()
    started = time.perf_counter()
    for chunk in _chunks(noisy.data, random.Random(seed), 4096):
        index = framer.feed(chunk)
        for _offset, _length, reason in index.errors():
            report.invalid[reason] += 1
        for frame in index.frames():
            report.frames += 1
            message = codec.parse_message(frame)
            report.by_type[message[35]] += 1
            groups = message.get(268)
            report.md_entries += len(groups) if isinstance(groups, list) else 0
            try:
                validator.validate(parse_pairs(frame))
            except FixValidationError as exc:
                report.rejected[type(exc).__name__] += 1
    report.seconds = time.perf_counter() - started
    return noisy, report


def print_report(console: Console, noisy: NoisyStream, report: DemoReport) -> None:
    impl = "compiled extensions" if USING_EXTENSIONS else "pure-Python twins"
    console.print(f"[bold]pyfixmsg-plus demo[/bold] ({impl}): {len(noisy.data):,} bytes on the wire")
    table = Table(title="What the receiver found")
    table.add_column("item")
    table.add_column("count", justify="right")
    table.add_row("valid frames sent", f"{noisy.sent_valid:,}")
    table.add_row("valid frames found", f"{report.frames:,}")
    for kind, n in sorted(noisy.damaged.items()):
        table.add_row(f"frames damaged on purpose: {kind}", f"{n:,}")
    table.add_row("garbage bytes inserted", f"{noisy.garbage_bytes:,}")
    for reason, n in sorted(report.invalid.items()):
        table.add_row(f"spans skipped: {reason}", f"{n:,}")
    for msg_type, n in sorted(report.by_type.items()):
        table.add_row(f"MsgType {msg_type}", f"{n:,}")
    table.add_row("NoMDEntries group entries", f"{report.md_entries:,}")
    for name, n in sorted(report.rejected.items()):
        table.add_row(f"failed validation: {name}", f"{n:,}")
    console.print(table)
    rate = report.frames / report.seconds if report.seconds else 0.0
    console.print(
        f"framed, parsed and validated {report.frames:,} messages in {report.seconds:.3f} s ({rate:,.0f} messages/s)"
    )
    lost = noisy.sent_valid - report.frames
    console.print("[green]no valid frame lost[/green]" if lost == 0 else f"[red]{lost} valid frames lost[/red]")


def _wire_command(args: argparse.Namespace, console: Console) -> int:
    noisy, report = run_demo(args.count, args.seed, args.damage_rate)
    print_report(console, noisy, report)
    return 0 if report.frames == noisy.sent_valid else 1


def print_session_summary(console: Console, summary: DemoSummary) -> None:
    impl = "compiled extensions" if USING_EXTENSIONS else "pure-Python twins"
    console.print(
        f"[bold]pyfixmsg-plus live demo[/bold] ({impl}): acceptor and initiator on loopback, "
        f"SQLite store at {summary.store_path} ({summary.persistence_mode} persistence)"
    )
    table = Table(title="Session summary")
    table.add_column("phase")
    table.add_column("messages", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("messages/s", justify="right")
    table.add_row("logon", "2", f"{summary.logon_seconds:.3f}", "-")
    table.add_row(
        f"{summary.orders:,} NewOrderSingle -> {summary.fills:,} ExecutionReport (one at a time)",
        f"{summary.orders + summary.fills:,}",
        f"{summary.orders_seconds:.3f}",
        f"{summary.order_round_trips_per_second:,.0f} round trips/s",
    )
    table.add_row(
        "market-data burst (MarketDataIncrementalRefresh)",
        f"{summary.md_messages:,}",
        f"{summary.md_seconds:.3f}",
        f"{summary.md_messages_per_second:,.0f}",
    )
    table.add_row("all, logon to logout", "-", f"{summary.total_seconds:.3f}", f"{summary.messages_per_second:,.0f}")
    console.print(table)


def _session_command(args: argparse.Namespace, console: Console) -> int:
    summary = asyncio.run(run_live_demo(args.orders, args.md_burst, args.store, persistence_mode=args.persistence))
    print_session_summary(console, summary)
    complete = summary.fills == summary.orders and summary.md_messages == args.md_burst
    if not complete:
        console.print(
            f"[red]incomplete: {summary.fills}/{summary.orders} fills, "
            f"{summary.md_messages}/{args.md_burst} market-data messages[/red]"
        )
    return 0 if complete else 1


def _command(args: argparse.Namespace) -> int:
    console = Console()
    if args.kind == "wire":
        return _wire_command(args, console)
    return _session_command(args, console)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="a live FIX session on loopback (default), or the wire layer alone ('demo wire')"
    )
    parser.add_argument("kind", nargs="?", choices=("session", "wire"), default="session", help="what to show")
    parser.add_argument("--orders", type=int, default=2_000, help="session: orders to send (default 2000)")
    parser.add_argument("--md-burst", type=int, default=20_000, help="session: market-data messages (default 20000)")
    parser.add_argument(
        "--persistence",
        choices=("sync", "group", "write_behind"),
        default="group",
        help="session: persistence mode of the SQLite store (default group)",
    )
    parser.add_argument(
        "--store", type=Path, default=None, help="session: SQLite file to keep (default: a temporary file)"
    )
    parser.add_argument("--count", type=int, default=100_000, help="wire: messages to generate (default 100000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the corpus and the damage")
    parser.add_argument(
        "--damage-rate",
        type=float,
        default=0.02,
        help="share of frames damaged and of gaps filled with garbage (default 0.02)",
    )
    parser.set_defaults(func=_command)
