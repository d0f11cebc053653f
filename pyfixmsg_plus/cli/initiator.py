"""``pyfixmsg-plus initiator -c cfg [--script FILE]``: log on and send orders from a script or typed lines.

Script lines (``#`` comments and blank lines skipped)::

    order BUY 100 EUR/USD 1.0850      # NewOrderSingle (35=D): side, quantity, symbol, optional limit price
    order SELL 50 AAPL                # a market order
    send 35=D|11=X1|55=IBM|54=1|38=10|40=1    # any message, fields separated by |
    wait 2                            # pause, seconds
    logout

Without ``--script`` the same lines are read from standard input. Received application messages are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import shlex
import sys
from collections.abc import Iterable
from typing import Any

from pyfixmsg_plus.application import Application
from pyfixmsg_plus.cli._engine_args import add_common, load_config, setup_logging
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.idgen import YMDClOrdIdGenerator
from pyfixmsg_plus.transport import loop

_SIDES = {"BUY": "1", "SELL": "2"}


class PrintingApplication(Application):
    """Prints every received application message as ``tag=value|...``."""

    def fromApp(self, message: Any, sessionID: Any) -> None:
        print(f"{sessionID} <- " + "|".join(f"{t}={v}" for t, v in message.items()), flush=True)


def order_fields(words: list[str], ids: YMDClOrdIdGenerator) -> dict[int, Any]:
    """The fields of ``order SIDE QTY SYMBOL [PRICE]`` as a NewOrderSingle (35=D)."""
    if len(words) not in (3, 4) or words[0].upper() not in _SIDES:
        raise ValueError(f"order {' '.join(words)!r}: expected 'order BUY|SELL QTY SYMBOL [PRICE]'")
    fields: dict[int, Any] = {35: "D", 11: ids.next_id(), 21: "1", 54: _SIDES[words[0].upper()],
                              38: words[1], 55: words[2], 40: "2" if len(words) == 4 else "1",
                              60: datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]}
    if len(words) == 4:
        fields[44] = words[3]
    return fields


def raw_fields(text: str) -> dict[int, str]:
    """``35=D|11=X|...`` as a dict; ValueError naming the piece that is not ``tag=value``."""
    fields: dict[int, str] = {}
    for piece in text.split("|"):
        tag, sep, value = piece.partition("=")
        if not sep or not tag.strip().isdigit():
            raise ValueError(f"send: {piece!r} is not tag=value")
        fields[int(tag)] = value
    return fields


async def run_lines(engine: FixEngine, lines: Iterable[str]) -> int:
    """Execute script lines; returns the number of messages sent."""
    ids = YMDClOrdIdGenerator()
    sent = 0
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        verb, _, rest = text.partition(" ")
        try:
            if verb == "order":
                sent += await engine.send_message(engine.fixmsg(order_fields(shlex.split(rest), ids)))
            elif verb == "send":
                sent += await engine.send_message(engine.fixmsg(raw_fields(rest.strip())))
            elif verb == "wait":
                await asyncio.sleep(float(rest))
            elif verb == "logout":
                await engine.request_logoff(timeout=10.0)
                break
            else:
                raise ValueError(f"unknown command {verb!r} (order, send, wait, logout)")
        except ValueError as exc:
            print(f"line {number}: {exc}", file=sys.stderr)
    return sent


async def _stdin_lines() -> list[str]:
    return await asyncio.to_thread(sys.stdin.readlines)


async def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if config is None:
        return 2
    engine = await FixEngine.create(config, PrintingApplication())
    async with engine:
        if not await engine.wait_logged_on(timeout=args.logon_timeout):
            print(f"error: not logged on within {args.logon_timeout:g} s", file=sys.stderr)
            return 1
        if args.script:
            with open(args.script, encoding="utf-8") as handle:
                lines = handle.readlines()
        else:
            lines = await _stdin_lines()
        sent = await run_lines(engine, lines)
        print(f"sent {sent} messages", flush=True)
    return 0


def _command(args: argparse.Namespace) -> int:
    setup_logging(args)
    return int(loop.run(run(args)))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("initiator", help="log on and send orders from a script or standard input")
    add_common(parser)
    parser.add_argument("--script", help="file of order/send/wait/logout lines (default: standard input)")
    parser.add_argument("--logon-timeout", type=float, default=30.0, help="seconds to wait for the Logon")
    parser.set_defaults(func=_command)
