"""A deterministic corpus of realistic FIX 4.4 traffic for benchmarks, demos and tests.

The mix follows what a market-data handler sees: mostly MarketDataIncrementalRefresh (35=X) with 1-5 NoMDEntries(268)
entries, plus NewOrderSingle (D), ExecutionReport (8) and Heartbeat (0). Header fields come in QuickFIX's order
(35, 34, 49, 52, 56 after 8 and 9). Values are plausible, not constant, so checksums and lengths vary.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp

BEGIN_STRING = "FIX.4.4"
SYMBOLS = ("EUR/USD", "GBP/USD", "USD/JPY", "AAPL", "MSFT", "VOD.L", "ESZ6", "BTC-USD")
Fields = list[tuple[int, str]]

#: share of each message type in the mix (MsgType -> weight)
DEFAULT_MIX: dict[str, float] = {"X": 0.6, "D": 0.15, "8": 0.15, "0": 0.1}


@dataclass(frozen=True)
class CorpusMessage:
    """One generated message: its MsgType, the fields after 8/9 and before 10, and the encoded frame."""

    msg_type: str
    fields: Fields
    frame: bytes


def _price(rng: random.Random) -> str:
    return f"{rng.uniform(1, 500):.5f}".rstrip("0").rstrip(".")


def _md_refresh(rng: random.Random, entries: int) -> Fields:
    body: Fields = [(262, f"MDR{rng.randrange(10**6)}"), (268, str(entries))]
    for i in range(entries):
        body += [
            (279, rng.choice("012")),
            (269, rng.choice("01")),
            (278, f"E{rng.randrange(10**8)}"),
            (55, rng.choice(SYMBOLS)),
            (270, _price(rng)),
            (271, str(rng.randrange(1, 10**6))),
            (290, str(i + 1)),
        ]
    return body


def _new_order(rng: random.Random, when: str) -> Fields:
    return [
        (11, f"ORD{rng.randrange(10**9)}"),
        (21, "1"),
        (38, str(rng.randrange(1, 10**5))),
        (40, "2"),
        (44, _price(rng)),
        (54, rng.choice("12")),
        (55, rng.choice(SYMBOLS)),
        (59, "0"),
        (60, when),
    ]


def _execution_report(rng: random.Random, when: str) -> Fields:
    qty = rng.randrange(1, 10**5)
    filled = rng.randrange(0, qty + 1)
    return [
        (6, _price(rng)),
        (11, f"ORD{rng.randrange(10**9)}"),
        (14, str(filled)),
        (17, f"EX{rng.randrange(10**9)}"),
        (31, _price(rng)),
        (32, str(filled)),
        (37, f"O{rng.randrange(10**9)}"),
        (38, str(qty)),
        (39, "2" if filled == qty else "1"),
        (54, rng.choice("12")),
        (55, rng.choice(SYMBOLS)),
        (60, when),
        (150, "F"),
        (151, str(qty - filled)),
    ]


def _body(rng: random.Random, msg_type: str, when: str) -> Fields:
    if msg_type == "X":
        return _md_refresh(rng, rng.randint(1, 5))
    if msg_type == "D":
        return _new_order(rng, when)
    if msg_type == "8":
        return _execution_report(rng, when)
    return []


def iter_messages(
    count: int,
    seed: int = 44,
    mix: dict[str, float] | None = None,
    sender: str = "SENDER",
    target: str = "TARGET",
    first_seqnum: int = 1,
) -> Iterator[CorpusMessage]:
    """Yield ``count`` messages with consecutive MsgSeqNum from ``first_seqnum``."""
    rng = random.Random(seed)
    weights = mix or DEFAULT_MIX
    types, shares = list(weights), list(weights.values())
    clock = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    for seqnum in range(first_seqnum, first_seqnum + count):
        clock += timedelta(microseconds=rng.randrange(1, 2000))
        when = format_utc_timestamp(clock, "us").decode()
        msg_type = rng.choices(types, shares)[0]
        fields: Fields = [(35, msg_type), (34, str(seqnum)), (49, sender), (52, when), (56, target)]
        fields += _body(rng, msg_type, when)
        yield CorpusMessage(msg_type, fields, encode_message(BEGIN_STRING, fields))


def generate(count: int, seed: int = 44, **kwargs: object) -> list[CorpusMessage]:
    """The first ``count`` messages of the corpus, as a list."""
    return list(iter_messages(count, seed, **kwargs))  # type: ignore[arg-type]


def stream(messages: list[CorpusMessage]) -> bytes:
    """The frames concatenated, as a socket would deliver them."""
    return b"".join(m.frame for m in messages)
