"""The counterparty of the recovery scenario: a light FIX acceptor in its own process that asks for everything.

Run as ``python -m pyfixmsg_plus.bench.live.recovery_peer --port P --until-seq H`` by
:mod:`pyfixmsg_plus.bench.live.recovery`. It accepts one connection, answers the Logon (35=A), reads until the
initiator's MsgSeqNum(34) reaches ``H`` (our engine: its Logon above the pre-filled store; QuickFIX: the last of
the messages it sent first), then sends ResendRequest (35=2) BeginSeqNo(7)=1 EndSeqNo(16)=0 ("everything") and
times the answer until the initiator has covered 1..H again: resent messages (PossDupFlag(43)=Y) and
SequenceReset-GapFill (35=4, NewSeqNo(36)). Then it logs out and exits.

Standard output carries JSON lines: ``listening``, ``resent`` (the figures, seconds by ``time.perf_counter``),
``bye``, or ``error`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from pyfixmsg_plus.bench.live import rawfix
from pyfixmsg_plus.message.framing import Framer

RECV_BYTES = 1 << 20
#: longest silence of the initiator before giving up, seconds
IDLE_TIMEOUT_S = 120.0
POSS_DUP = b"\x0143=Y\x01"
SEQUENCE_RESET = np.bytes_(rawfix.SEQUENCE_RESET.encode())


@dataclass
class ResendFigures:
    """The answer to the ResendRequest: messages resent, gap fills, PossDupFlag=Y seen, bytes and seconds."""

    resent: int = 0
    gap_fills: int = 0
    poss_dup: int = 0
    bytes: int = 0
    seconds: float = 0.0
    #: highest MsgSeqNum(34) the answer has covered so far
    covered: int = 0


def emit(event: str, **values: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **values}) + "\n")
    sys.stdout.flush()


class Counterparty:
    """One accepted connection: ``me`` is our SenderCompID(49), the initiator's comes from its Logon."""

    def __init__(self, conn: socket.socket, me: str, heartbeat_s: int) -> None:
        self.conn, self.me, self.heartbeat_s = conn, me, heartbeat_s
        self.framer = Framer()
        self.them = ""
        self.next_seqnum = 1
        self.highest_seen = 0

    def send(self, msg_type: str, body: list[tuple[int, object]] | None = None) -> None:
        self.conn.sendall(rawfix.build_frame(msg_type, self.next_seqnum, self.me, self.them, body or ()))
        self.next_seqnum += 1

    def read(self) -> Any:
        """The FrameIndex of the next read; ConnectionError when the initiator closed."""
        data = self.conn.recv(RECV_BYTES)
        if not data:
            raise ConnectionError("the initiator closed the connection")
        index = self.framer.feed(data)
        valid = index.seqnums[index.valid]
        if valid.size:
            self.highest_seen = max(self.highest_seen, int(valid.max()))
        return index

    def accept_logon(self) -> None:
        """Wait for the initiator's Logon and answer it with ours (HeartBtInt echoed)."""
        while not self.them:
            index = self.read()
            for i in range(index.count):
                if index.valid[i] and index.msgtype(i) == rawfix.LOGON.encode():
                    self.them = (rawfix.field_value(index.frame(i), 49) or b"").decode()
        self.send(rawfix.LOGON, rawfix.logon_body(self.heartbeat_s))

    def wait_for_seqnum(self, until: int) -> None:
        while self.highest_seen < until:
            self.read()

    def request_everything(self, until: int) -> ResendFigures:
        """ResendRequest 1..0 (infinity), then read until 1..``until`` is covered; figures of the answer."""
        figures = ResendFigures()
        started = time.perf_counter()
        self.send(rawfix.RESEND_REQUEST, [(7, 1), (16, 0)])
        while figures.covered < until:
            self._count(self.read(), until, figures)
        figures.seconds = time.perf_counter() - started
        return figures

    @staticmethod
    def _count(index: Any, until: int, figures: ResendFigures) -> None:
        replayed = index.valid & (index.seqnums <= until)
        gap_fills = replayed & (index.msgtypes == SEQUENCE_RESET)
        resent = replayed & ~gap_fills
        figures.resent += int(resent.sum())
        figures.bytes += int(index.lengths[replayed].sum())
        if resent.any():
            figures.covered = max(figures.covered, int(index.seqnums[resent].max()))
        for i in np.flatnonzero(gap_fills):
            figures.gap_fills += 1
            new_seqno = rawfix.field_value(index.frame(int(i)), 36) or b"0"
            figures.covered = max(figures.covered, int(new_seqno) - 1)
        figures.poss_dup += index.buffer[: index.consumed].count(POSS_DUP)

    def log_out(self) -> bool:
        """Logout (35=5) and wait for the answer (or the close); True when it came in time."""
        self.send(rawfix.LOGOUT)
        self.conn.settimeout(5.0)
        try:
            while True:
                index = self.read()
                if any(index.valid[i] and index.msgtype(i) == rawfix.LOGOUT.encode() for i in range(index.count)):
                    return True
        except (ConnectionError, TimeoutError, OSError):
            return False


def serve(args: argparse.Namespace) -> None:
    with socket.create_server(("127.0.0.1", args.port)) as server:
        emit("listening", port=args.port)
        server.settimeout(IDLE_TIMEOUT_S)
        conn, _ = server.accept()
    with conn:
        conn.settimeout(IDLE_TIMEOUT_S)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        party = Counterparty(conn, args.sender, args.heartbeat)
        party.accept_logon()
        party.wait_for_seqnum(args.until_seq)
        figures = party.request_everything(args.until_seq)
        emit("resent", **asdict(figures))
        emit("bye", logout_answered=party.log_out())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="port to listen on, 127.0.0.1")
    parser.add_argument("--until-seq", type=int, required=True,
                        help="the initiator's MsgSeqNum(34) to wait for before the ResendRequest")  # fmt: skip
    parser.add_argument("--sender", default="CPTY", help="SenderCompID(49) of this counterparty")
    parser.add_argument("--heartbeat", type=int, default=30, help="HeartBtInt(108) answered, seconds")
    return parser.parse_args(argv)


if __name__ == "__main__":
    try:
        serve(parse_args())
    except (OSError, ConnectionError, ValueError) as exc:
        emit("error", reason=f"{type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
