"""The initiator side of the scale scenario: many light FIX sessions in one process, over raw sockets.

Run as ``python -m pyfixmsg_plus.bench.live.scale_driver --port P --sessions N`` by
:mod:`pyfixmsg_plus.bench.live.scale`, which drives it through standard input, one command a line:

* ``reset``: zero the counters (the start of a phase);
* ``load R``: every session sends R NewOrderSingle (35=D) a second, spread evenly over time and sessions;
* ``quiet``: stop sending orders;
* ``report``: print the counters since ``reset``;
* ``logout``: Logout (35=5) every session, wait for the answers (at most 5 s), print ``bye`` and exit.

It answers with one JSON object a line on standard output (``ready``, ``reset``, ``report``, ``bye``).

Each session keeps FIX's heartbeat rules as a QuickFIX initiator would: a Heartbeat (35=0) after HeartBtInt(108)
seconds without sending, a Heartbeat carrying TestReqID(112) for every TestRequest (35=1), and a TestRequest of
its own after 1.5 x HeartBtInt without hearing anything (QuickFIX's default TestRequestDelayMultiplier 0.5). That
TestRequest is the initiators' count of a missed heartbeat.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, fields
from typing import Any, cast

from pyfixmsg_plus.bench.live import rawfix
from pyfixmsg_plus.bench.live.roundtrip import order_fields
from pyfixmsg_plus.message.framing import Framer
from pyfixmsg_plus.transport.loop import run as run_loop

#: TestRequest after this many HeartBtInt of silence (QuickFIX: 1 + TestRequestDelayMultiplier 0.5)
TEST_REQUEST_AFTER = 1.5
#: how often the heartbeat timers and the order pacing are looked at, seconds
TICK_S = 0.02
#: sessions connecting at the same time: keeps the acceptor's listen backlog from overflowing
CONNECT_WAVE = 50
LOGON_TIMEOUT_S = 30.0
LOGOUT_TIMEOUT_S = 5.0


@dataclass
class Counters:
    """What the initiators saw during one phase (since ``reset``); times in seconds."""

    frames_sent: int = 0
    orders_sent: int = 0
    heartbeats_received: int = 0
    test_requests_received: int = 0
    test_requests_sent: int = 0
    rejects_received: int = 0
    connections_lost: int = 0
    #: longest silence of the acceptor seen by any session (frames received back to back)
    max_gap_s: float = 0.0

    def clear(self) -> None:
        """Every counter back to zero (shared by the sessions, so reset in place)."""
        for counter in fields(self):
            setattr(self, counter.name, counter.default)


class DriverSession(asyncio.Protocol):
    """One FIX initiator session: ``sender`` -> ``target``, numbering its frames from 1."""

    def __init__(self, sender: str, target: str, heartbeat_s: int, counters: Counters) -> None:
        self.sender, self.target, self.heartbeat_s = sender, target, heartbeat_s
        self.counters = counters
        self.framer = Framer()
        self.transport: asyncio.Transport | None = None
        self.next_seqnum = 1
        self.logged_on = asyncio.Event()
        self.logged_out = asyncio.Event()
        self.last_sent = self.last_received = time.monotonic()
        self.test_request_pending = False

    # -- asyncio.Protocol ------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods
        self.transport = cast(asyncio.Transport, transport)
        self.send(rawfix.LOGON, rawfix.logon_body(self.heartbeat_s))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        if self.logged_on.is_set():
            self.counters.max_gap_s = max(self.counters.max_gap_s, now - self.last_received)
        self.last_received = now
        self.test_request_pending = False
        index = self.framer.feed(data)
        for i in range(index.count):
            if index.valid[i]:
                self._on_frame(index.msgtype(i).decode("ascii"), index.frame(i))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.logged_out.is_set():
            self.counters.connections_lost += 1
        self.logged_out.set()
        self.transport = None

    # -- session rules ---------------------------------------------------------------------------------------
    def _on_frame(self, msg_type: str, frame: bytes) -> None:
        if msg_type == rawfix.HEARTBEAT:
            self.counters.heartbeats_received += 1
        elif msg_type == rawfix.TEST_REQUEST:
            # FIX: a TestRequest is answered by a Heartbeat carrying its TestReqID(112)
            self.counters.test_requests_received += 1
            self.send(rawfix.HEARTBEAT, [(112, rawfix.field_value(frame, 112) or b"")])
        elif msg_type == rawfix.LOGON:
            self.logged_on.set()
        elif msg_type == rawfix.LOGOUT:
            self.logged_out.set()
        elif msg_type in (rawfix.REJECT, rawfix.BUSINESS_REJECT):
            self.counters.rejects_received += 1

    def send(self, msg_type: str, body: list[tuple[int, object]] | None = None) -> bool:
        """Number, encode and write one frame; False (nothing written) when the connection is gone."""
        if self.transport is None or self.transport.is_closing():
            return False
        self.transport.write(rawfix.build_frame(msg_type, self.next_seqnum, self.sender, self.target, body or ()))
        self.next_seqnum += 1
        self.last_sent = time.monotonic()
        self.counters.frames_sent += 1
        return True

    def keep_alive(self, now: float) -> None:
        """FIX heartbeat rules at ``now`` (monotonic seconds): Heartbeat when quiet, TestRequest when deaf."""
        if not self.logged_on.is_set() or self.logged_out.is_set():
            return
        if not self.test_request_pending and now - self.last_received >= TEST_REQUEST_AFTER * self.heartbeat_s:
            self.test_request_pending = True
            self.counters.test_requests_sent += 1
            self.send(rawfix.TEST_REQUEST, [(112, f"DRV{self.next_seqnum}")])
        elif now - self.last_sent >= self.heartbeat_s:
            self.send(rawfix.HEARTBEAT)

    def send_order(self) -> None:
        """One NewOrderSingle, counted only when written (a lost session sends nothing)."""
        if self.send(rawfix.NEW_ORDER_SINGLE, order_fields(f"{self.sender}-{self.next_seqnum}")):
            self.counters.orders_sent += 1


class Driver:
    """Every session of the run, their shared counters, and the timer and pacing task."""

    def __init__(self, port: int, names: list[str], target: str, heartbeat_s: int) -> None:
        self.port, self.target, self.heartbeat_s = port, target, heartbeat_s
        self.counters = Counters()
        self.sessions = [DriverSession(name, target, heartbeat_s, self.counters) for name in names]
        self.rate = 0.0
        self._load_started = 0.0
        self._orders_due_sent = 0

    async def log_on(self) -> int:
        """Connect and log on every session, ``CONNECT_WAVE`` at a time; returns how many are logged on."""
        loop = asyncio.get_running_loop()
        for start in range(0, len(self.sessions), CONNECT_WAVE):
            wave = self.sessions[start : start + CONNECT_WAVE]
            await asyncio.gather(*(self._connect(loop, session) for session in wave), return_exceptions=True)
        return sum(session.logged_on.is_set() for session in self.sessions)

    async def _connect(self, loop: asyncio.AbstractEventLoop, session: DriverSession) -> None:
        await loop.create_connection(lambda: session, "127.0.0.1", self.port)
        await asyncio.wait_for(session.logged_on.wait(), LOGON_TIMEOUT_S)

    def reset(self) -> None:
        self.counters.clear()
        now = time.monotonic()
        for session in self.sessions:
            session.last_received = min(session.last_received, now)

    def start_load(self, rate: float) -> None:
        """``rate`` orders a second per session from now on (0 stops)."""
        self.rate = rate
        self._load_started = time.monotonic()
        self._orders_due_sent = 0

    async def tick_forever(self) -> None:
        """Heartbeat rules for every session, and the orders that fell due, every ``TICK_S``."""
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            for session in self.sessions:
                session.keep_alive(now)
            if self.rate > 0:
                self._send_due_orders(now)

    def _send_due_orders(self, now: float) -> None:
        # orders go round-robin over the sessions, so each one sends `rate` a second, evenly spaced
        due = math.floor((now - self._load_started) * self.rate * len(self.sessions))
        live = self.sessions
        for number in range(self._orders_due_sent, due):
            live[number % len(live)].send_order()
        self._orders_due_sent = max(due, self._orders_due_sent)

    async def log_out(self) -> int:
        """Logout every logged-on session and wait for the answers; returns how many answered in time."""
        for session in self.sessions:
            if session.logged_on.is_set() and not session.logged_out.is_set():
                session.send(rawfix.LOGOUT)
        waits = [asyncio.wait_for(s.logged_out.wait(), LOGOUT_TIMEOUT_S) for s in self.sessions]
        outcomes = await asyncio.gather(*waits, return_exceptions=True)
        for session in self.sessions:
            if session.transport is not None:
                session.transport.close()
        return sum(1 for outcome in outcomes if not isinstance(outcome, BaseException))


def emit(event: str, **values: Any) -> None:
    """One JSON line on standard output for the parent process."""
    sys.stdout.write(json.dumps({"event": event, **values}) + "\n")
    sys.stdout.flush()


async def _commands(driver: Driver) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).decode().strip():
        command, _, argument = line.partition(" ")
        if command == "reset":
            driver.reset()
            emit("reset")
        elif command == "load":
            driver.start_load(float(argument))
        elif command == "quiet":
            driver.start_load(0.0)
        elif command == "report":
            emit("report", **asdict(driver.counters))
        elif command == "logout":
            break
        else:
            emit("error", reason=f"unknown command {line!r}")
    emit("bye", logouts_answered=await driver.log_out())


async def main_async(args: argparse.Namespace) -> None:
    names = [f"{args.prefix}{i:04d}" for i in range(1, args.sessions + 1)]
    driver = Driver(args.port, names, args.target, args.heartbeat)
    ticker = asyncio.create_task(driver.tick_forever())
    try:
        emit("ready", logged_on=await driver.log_on(), sessions=len(names))
        await _commands(driver)
    finally:
        ticker.cancel()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="the acceptor's port on 127.0.0.1")
    parser.add_argument("--sessions", type=int, required=True, help="sessions to open")
    parser.add_argument("--heartbeat", type=int, default=1, help="HeartBtInt(108), seconds (default 1)")
    parser.add_argument("--target", default="PYFIX", help="TargetCompID(56) of every session (the acceptor)")
    parser.add_argument("--prefix", default="S", help="SenderCompID(49) prefix: S0001, S0002, ...")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_loop(main_async(parse_args()))
