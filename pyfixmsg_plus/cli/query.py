"""``pyfixmsg-plus query``: stored messages by session, sequence range, time range and MsgType."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.table import Table

from pyfixmsg_plus.cli._console import make_console
from pyfixmsg_plus.cli._store_args import (
    add_store_arguments,
    format_time,
    parse_session,
    parse_time,
    report_error,
    run_on_store,
)
from pyfixmsg_plus.store import Direction, MessageQuery, MessageStore, StoredMessage, StoreError

_DIRECTIONS = {"out": Direction.OUTBOUND, "in": Direction.INBOUND}


def register(subparsers: Any) -> None:
    """Add the ``query`` subcommand."""
    parser = subparsers.add_parser("query", help="show stored messages", description=__doc__)
    add_store_arguments(parser)
    parser.add_argument("--direction", choices=sorted(_DIRECTIONS), help="outbound or inbound messages only")
    parser.add_argument("--from-seq", type=int, help="first MsgSeqNum(34), inclusive")
    parser.add_argument("--to-seq", type=int, help="last MsgSeqNum(34), inclusive")
    parser.add_argument("--since", type=parse_time, help="SendingTime(52) from (epoch s, ISO-8601, FIX time)")
    parser.add_argument("--until", type=parse_time, help="SendingTime(52) before (exclusive)")
    parser.add_argument("--msg-type", help="MsgType(35), e.g. D or 8")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many messages (default 1000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the matching messages as a table or JSON lines; exit status 0, or 1 on an error."""
    try:
        messages = run_on_store(args, lambda store: _find(store, args))
    except (StoreError, ValueError) as exc:
        return report_error(exc)
    if args.json:
        for message in messages:
            print(json.dumps(_as_json(message)))
    else:
        make_console().print(_as_table(messages))
    return 0


async def _find(store: MessageStore, args: argparse.Namespace) -> list[StoredMessage]:
    session = parse_session(args.session, await store.sessions())
    query = MessageQuery(
        session=session,
        direction=_DIRECTIONS.get(args.direction) if args.direction else None,
        first_seq=args.from_seq,
        last_seq=args.to_seq,
        since=args.since,
        until=args.until,
        msg_type=args.msg_type,
        limit=args.limit,
    )
    return await store.query(query)


def _readable(data: bytes) -> str:
    return data.decode("latin-1").replace("\x01", "|")


def _as_json(message: StoredMessage) -> dict[str, Any]:
    return {
        "begin_string": message.session.begin_string,
        "sender_comp_id": message.session.sender_comp_id,
        "target_comp_id": message.session.target_comp_id,
        "direction": "out" if message.direction is Direction.OUTBOUND else "in",
        "seq_num": message.seq_num,
        "msg_type": message.msg_type,
        "sending_time": message.sending_time,
        "message": _readable(message.data),
    }


def _as_table(messages: list[StoredMessage]) -> Table:
    table = Table(title=f"{len(messages)} stored message(s)")
    for column in ("session", "dir", "seq", "type", "sending time (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("message", overflow="fold")  # the frame wraps; the key columns stay readable
    for message in messages:
        table.add_row(
            str(message.session),
            "out" if message.direction is Direction.OUTBOUND else "in",
            str(message.seq_num),
            message.msg_type,
            format_time(message.sending_time),
            _readable(message.data),
        )
    return table
