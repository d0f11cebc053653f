"""Plays QuickFIX acceptance scripts over real TCP against an engine acceptor (the test's own runner).

Same script language and comparison as :mod:`pyfixmsg_plus.testing.conformance`, but with sockets and the wall
clock: ``I`` lines are written to the socket, ``E`` lines wait for the acceptor's next frame.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from pyfixmsg_plus import _impl
from pyfixmsg_plus.testing import conformance as c

#: real seconds an expectation waits (the scripts' timers use HeartBtInt 2 and LogonTimeout 10)
EXPECT_TIMEOUT = 15.0


@dataclass
class ClientConnection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    framer: object = field(default_factory=lambda: _impl.load("framing").Framer())
    frames: list[bytes] = field(default_factory=list)
    closed: bool = False

    async def next_frame(self, timeout: float) -> bytes | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.frames and not self.closed:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                data = await asyncio.wait_for(self.reader.read(65536), remaining)
            except TimeoutError:
                return None
            except ConnectionError:
                data = b""
            if not data:
                self.closed = True
                break
            index = self.framer.feed(data)  # type: ignore[attr-defined]
            self.frames.extend(index.frames())
        return self.frames.pop(0) if self.frames else None

    async def wait_closed(self, timeout: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self.closed:
            self.frames.clear()
            if await self.next_frame(max(0.0, deadline - loop.time())) is None and not self.closed:
                return False
        return True


async def play(path: Path, port: int, patterns: dict) -> str | None:  # type: ignore[type-arg]
    """None when the script passes against the acceptor on ``port``, else the first failure."""
    steps = c.parse_script(path.read_text(encoding="latin-1"))
    conns: dict[int, ClientConnection] = {}
    try:
        for step in steps:
            conn = conns.get(step.connection)
            if step.kind == "connect":
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                conns[step.connection] = ClientConnection(reader, writer)
            elif step.kind == "expect_connect":
                continue
            elif conn is None:
                return f"line {step.line}: connection {step.connection} was never opened"
            elif step.kind == "disconnect":
                conn.writer.close()
                conn.closed = True
            elif step.kind == "send":
                if not conn.writer.is_closing():
                    conn.writer.write(c.complete_message(c.substitute_time(step.text, _now())))
                    await conn.writer.drain()
            elif step.kind == "expect":
                actual = await conn.next_frame(EXPECT_TIMEOUT)
                expected = c.complete_message(c.substitute_time(step.text, _now()))
                if actual is None:
                    return f"line {step.line}: expected {c.readable(expected)}, got nothing (closed={conn.closed})"
                problem = c.compare(expected, actual, patterns)
                if problem is not None:
                    return (f"line {step.line}: {problem}\n  expected {c.readable(expected)}\n"
                            f"  received {c.readable(actual)}")
            elif step.kind == "expect_disconnect" and not await conn.wait_closed(EXPECT_TIMEOUT):
                return f"line {step.line}: expected the acceptor to disconnect"
        return None
    finally:
        for conn in conns.values():
            conn.writer.close()


def _now() -> float:
    return time.time()
