"""``pyfixmsg-plus store prune --older-than 7d``: delete stored messages by age."""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from rich.console import Console

from pyfixmsg_plus.cli._store_args import (
    add_store_arguments,
    format_time,
    parse_duration,
    parse_session,
    report_error,
    run_on_store,
)
from pyfixmsg_plus.store import MessageStore, StoreError


def register(subparsers: Any) -> None:
    """Add the ``store`` subcommand and its ``prune`` action."""
    parser = subparsers.add_parser("store", help="maintain a message store", description=__doc__)
    actions = parser.add_subparsers(dest="store_action", metavar="ACTION", required=True)
    prune = actions.add_parser("prune", help="delete messages older than a duration")
    add_store_arguments(prune)
    prune.add_argument(
        "--older-than",
        required=True,
        type=parse_duration,
        help="age by SendingTime(52): 30s, 15m, 12h, 7d, 2w",
    )
    prune.set_defaults(func=run_prune)


def run_prune(args: argparse.Namespace) -> int:
    """Delete messages older than ``--older-than``; prints how many. Exit status 0, or 1 on an error."""
    cutoff = time.time() - args.older_than

    async def prune(store: MessageStore) -> int:
        return await store.prune(cutoff, parse_session(args.session, await store.sessions()))

    try:
        removed = run_on_store(args, prune)
    except (StoreError, ValueError) as exc:
        return report_error(exc)
    if args.json:
        print(json.dumps({"db": str(args.db), "removed": removed, "cutoff": cutoff}))
    else:
        Console().print(f"removed {removed} message(s) sent before {format_time(cutoff)} UTC from {args.db}")
    return 0
