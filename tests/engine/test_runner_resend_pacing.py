"""A ResendRequest(2) answered with more stored messages than MaxWriteBufferBytes is paced, not dropped.

Our initiator's memory store is pre-filled with ``COUNT`` NewOrderSingles (about 7 MB); the counterparty (a raw
asyncio server with a small receive buffer) answers the Logon, asks for everything (BeginSeqNo(7)=1,
EndSeqNo(16)=0), stops reading for a while, then reads. With SlowConsumerAction=disconnect the write buffer's hard
limit is MaxWriteBufferBytes itself (64 KiB): one write of the whole answer would drop the connection.
"""

from __future__ import annotations

import asyncio
import socket
import time

from engine_kit import initiator_config, run_bounded

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.store import FrameRecord

COUNT = 6000
LIMIT = 64 * 1024  # MaxWriteBufferBytes, bytes
#: Text(58) of each stored order: 6000 orders of about 1.2 kB are more than the kernel's socket buffers take
#: (net.ipv4.tcp_wmem allows 4 MiB), so the answer must queue in the engine
PADDING = "x" * 1000
#: seconds the counterparty does not read once it asked for the resend
STALL_S = 0.5
POSS_DUP, ORDER = b"\x0143=Y\x01", b"\x0135=D\x01"


def _frame(msg_type: str, seqnum: int, sender: str, target: str, *body: tuple[int, object]) -> bytes:
    """A frame sent now (SendingTime(52) must be within the engine's accuracy window)."""
    header: list[tuple[int, object]] = [(35, msg_type), (34, seqnum), (49, sender),
                                        (52, format_utc_timestamp(time.time_ns(), "ms")), (56, target)]  # fmt: skip
    return encode_message("FIX.4.4", header + list(body))


def _orders(count: int) -> list[FrameRecord]:
    now = time.time()
    return [FrameRecord(n, "D", now, _frame("D", n, "US", "THEM", (11, f"ORDER-{n:08d}"), (21, "1"), (38, 100),
                                            (40, "1"), (54, "1"), (55, "EUR/USD"), (60, "20240603-12:00:00"),
                                            (58, PADDING)))
            for n in range(1, count + 1)]  # fmt: skip


def _seqnum(frame: bytes) -> int:
    start = frame.index(b"\x0134=") + 4
    return int(frame[start : frame.index(b"\x01", start)])


class _Counterparty:
    """Answers the Logon, asks for every message again, stalls, then collects the MsgSeqNum(34)s of the resent
    orders (the engine's own Logon comes back as a SequenceReset-GapFill)."""

    def __init__(self) -> None:
        self.resent: set[int] = set()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer = _impl.load("framing").Framer()
        frames: list[bytes] = []
        while not frames:
            frames.extend(framer.feed(await reader.read(4096)).frames())
        writer.write(_frame("A", 1, "THEM", "US", (98, 0), (108, 30)))
        writer.write(_frame("2", 2, "THEM", "US", (7, 1), (16, 0)))
        await asyncio.sleep(STALL_S)  # not reading: the answer piles up on the engine's side
        while len(self.resent) < COUNT:
            data = await reader.read(1 << 16)
            if not data:
                break
            self.resent.update(_seqnum(f) for f in framer.feed(data).frames() if POSS_DUP in f and ORDER in f)
        if not self.done.done():
            self.done.set_result(None)
        writer.close()


def _small_buffer_listener() -> socket.socket:
    listener = socket.socket()
    # a small receive buffer (inherited by the accepted socket): the kernel cannot absorb the whole answer
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    return listener


def test_a_resend_larger_than_max_write_buffer_bytes_is_paced_and_the_session_stays_up() -> None:
    async def scenario() -> tuple[set[int], SessionState]:
        peer = _Counterparty()
        listener = _small_buffer_listener()
        server = await asyncio.start_server(peer.serve, sock=listener, limit=16 * 1024)
        config = initiator_config(listener.getsockname()[1], "US", target="THEM", MaxWriteBufferBytes=LIMIT,
                                  SlowConsumerAction="disconnect")  # fmt: skip
        engine = await FixEngine.create(config, Application())
        await engine.message_store.open()
        await engine.message_store.save_outbound(engine.runner().key, _orders(COUNT))
        try:
            await engine.open()
            await asyncio.wait_for(peer.done, 20)
            state = engine.runner().state
        finally:
            await engine.disconnect(graceful=False)
            server.close()
        return peer.resent, state

    resent, state_after = run_bounded(scenario())
    assert resent == set(range(1, COUNT + 1))
    assert state_after is SessionState.ACTIVE  # not dropped as "peer is not reading"
