"""Arguments and parsing shared by the ``query`` and ``store`` subcommands."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from pyfixmsg_plus.store import MessageStore, SessionKey, StoreError, open_store

T = TypeVar("T")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    """--db and --store-type, as the ``state_file`` and ``message_store_type`` settings."""
    parser.add_argument("--db", default="fix_state.db", help="store file (the state_file setting)")
    parser.add_argument(
        "--store-type", default="database", choices=["database", "aiosqlite"], help="message_store_type"
    )
    parser.add_argument(
        "--session",
        help="SENDER-TARGET, or BEGINSTRING:SENDER-TARGET (SenderCompID(49)-TargetCompID(56) of the session)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")


def parse_session(text: str | None, known: list[SessionKey]) -> SessionKey | None:
    """The session named ``SENDER-TARGET`` or ``BEGIN:SENDER-TARGET`` among ``known`` (else ValueError)."""
    if text is None:
        return None
    begin, _, pair = text.rpartition(":")
    sender, dash, target = pair.partition("-")
    if not dash or not sender or not target:
        raise ValueError(f"--session {text!r}: expected SENDER-TARGET or BEGINSTRING:SENDER-TARGET")
    matches = [
        key
        for key in known
        if key.sender_comp_id == sender and key.target_comp_id == target and begin in ("", key.begin_string)
    ]
    if len(matches) != 1:
        names = ", ".join(f"{k.begin_string}:{k.sender_comp_id}-{k.target_comp_id}" for k in known) or "none"
        problem = "matches several sessions" if matches else "is not in the store"
        raise ValueError(f"--session {text!r} {problem}; sessions: {names}")
    return matches[0]


def parse_time(text: str) -> float:
    """Epoch seconds of ``text``: a number, ISO-8601 (UTC unless given) or FIX's YYYYMMDD-HH:MM:SS."""
    try:
        return float(text)
    except ValueError:
        pass
    for form in ("%Y%m%d-%H:%M:%S.%f", "%Y%m%d-%H:%M:%S"):
        try:
            return datetime.strptime(text, form).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time (epoch seconds, ISO-8601 or YYYYMMDD-HH:MM:SS)"
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def parse_duration(text: str) -> float:
    """Seconds in ``text``: a number with an optional unit s, m, h, d or w (``7d``, ``12h``, ``90``)."""
    match = _DURATION.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s, 15m, 12h, 7d or 2w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def format_time(epoch: float) -> str:
    """FIX UTCTimestamp form (YYYYMMDD-HH:MM:SS.sss) of epoch seconds."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def run_on_store(args: argparse.Namespace, action: Callable[[MessageStore], Awaitable[T]]) -> T:
    """Open the store named by ``args``, run ``action`` on it, close it."""

    async def body() -> T:
        store = await open_store(args.store_type, args.db)
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(body())


def report_error(exc: Exception) -> int:
    """Print a store or argument error to stderr; the exit status 1."""
    import sys

    kind = "store error" if isinstance(exc, StoreError) else "error"
    print(f"pyfixmsg-plus: {kind}: {exc}", file=sys.stderr)
    return 1
