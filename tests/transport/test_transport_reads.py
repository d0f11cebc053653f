"""Reads land in the receiver's framer (``Connection`` is an ``asyncio.BufferedProtocol``): over TCP and TLS, on
asyncio and uvloop, frames cut by read boundaries come out whole and in order, and the bytes of every read that a
frame index (or the memory store) keeps stay unchanged after later reads."""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

from transport_kit import (
    Pki,
    free_port,
    loop_kind_fixture,  # noqa: F401 - pytest fixture
    pki_fixture,  # noqa: F401 - pytest fixture
    run_bounded,
)

from pyfixmsg_plus import _impl
from pyfixmsg_plus.config import ConfigManager
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.store import Direction, MessageQuery
from pyfixmsg_plus.transport import Acceptor, Connection, client_context, server_context

ME, PEER = "EXEC", "CLIENT"
COUNT = 400


def frame(msg_type: str, seqnum: int, *body: tuple[int, object]) -> bytes:
    """A frame from the peer (49=CLIENT, 56=EXEC) sent now."""
    sending_time = format_utc_timestamp(int(time.time() * 1e9), "ms").decode()
    return encode_message("FIX.4.4", [(35, msg_type), (34, seqnum), (49, PEER), (52, sending_time), (56, ME), *body])


def market_data(seqnum: int) -> bytes:
    """A MarketDataIncrementalRefresh(35=X) whose price tells the frames apart."""
    return frame("X", seqnum, (268, 1), (279, 0), (269, 0), (55, "EUR/USD"), (270, seqnum), (271, 100))


def odd_chunks(data: bytes, sizes: tuple[int, ...] = (7, 150, 1, 333, 64, 2048)) -> list[bytes]:
    """``data`` cut at sizes that fall inside frames."""
    chunks, at, k = [], 0, 0
    while at < len(data):
        size = sizes[k % len(sizes)]
        chunks.append(data[at : at + size])
        at, k = at + size, k + 1
    return chunks


class FramingReceiver:
    """Frames what it receives as the engine's runner does: reads go into its framer once a remainder is kept."""

    def __init__(self) -> None:
        self.framer = _impl.load("framing").Framer()
        self.conn: Connection | None = None
        self.frames: list[bytes] = []
        self.kept: list[tuple[Any, bytes]] = []  # (index, a copy of its buffer when it came)
        self.wanted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.expected = 0

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn

    def on_data(self, data: bytes) -> None:
        index = self.framer.feed(data)
        if self.framer.pending and self.conn is not None and self.conn.reader is not self.framer:
            self.conn.read_with(self.framer)
        self.kept.append((index, bytes(index.buffer)))
        self.frames += [index.frame(i) for i in range(index.count)]
        if len(self.frames) >= self.expected and not self.wanted.done():
            self.wanted.set_result(None)

    def on_disconnected(self, exc: BaseException | None) -> None:
        pass


async def send_in_pieces(port: int, pieces: list[bytes], context: ssl.SSLContext | None) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context,
                                              server_hostname="localhost" if context else None)
    try:
        for k, piece in enumerate(pieces):
            writer.write(piece)
            if k % 3 == 0:
                await writer.drain()
                await asyncio.sleep(0)  # let the server read a piece at a time now and then
        await writer.drain()
    finally:
        writer.close()


async def frames_through(pieces: list[bytes], expected: int, server_ssl: ssl.SSLContext | None = None,
                         client_ssl: ssl.SSLContext | None = None) -> FramingReceiver:
    receivers: list[FramingReceiver] = []

    def factory() -> FramingReceiver:
        receivers.append(FramingReceiver())
        receivers[-1].expected = expected
        return receivers[-1]

    async with Acceptor("127.0.0.1", 0, factory, ssl=server_ssl) as acceptor:
        await send_in_pieces(acceptor.port, pieces, client_ssl)
        while not receivers:
            await asyncio.sleep(0.01)
        await asyncio.wait_for(receivers[0].wanted, 10)
    return receivers[0]


def check_received(receiver: FramingReceiver, sent: list[bytes]) -> None:
    assert receiver.frames == sent
    assert receiver.conn is not None and receiver.conn.reader is receiver.framer  # reads went into the framer
    assert receiver.conn.bytes_received == sum(len(f) for f in sent)  # the carried remainder counted once
    assert all(bytes(index.buffer) == snapshot for index, snapshot in receiver.kept)


def test_frames_cut_by_reads_come_out_whole_over_tcp(loop_kind: str) -> None:
    sent = [market_data(seq) for seq in range(1, COUNT + 1)]

    async def scenario() -> None:
        receiver = await frames_through(odd_chunks(b"".join(sent)), len(sent))
        assert isinstance(receiver.conn, asyncio.BufferedProtocol)
        check_received(receiver, sent)

    run_bounded(scenario(), loop_kind)


def test_frames_cut_by_reads_come_out_whole_over_tls(pki: Pki, loop_kind: str) -> None:
    sent = [market_data(seq) for seq in range(1, COUNT + 1)]

    async def scenario() -> None:
        receiver = await frames_through(odd_chunks(b"".join(sent)), len(sent),
                                        server_context(pki.server_cert, pki.server_key), client_context(cafile=pki.ca))
        check_received(receiver, sent)

    run_bounded(scenario(), loop_kind)


def test_bytes_handed_in_directly_still_join_the_kept_remainder() -> None:
    async def scenario() -> None:
        receiver = FramingReceiver()
        conn = Connection(lambda: receiver)
        conn.receiver = receiver
        receiver.on_connected(conn)
        whole = market_data(1) + market_data(2)
        for piece in (whole[:30], whole[30:150], whole[150:]):
            conn.data_received(piece)
        assert b"".join(receiver.frames) == whole and len(receiver.frames) == 2
        assert conn.reader is receiver.framer and conn.bytes_received == len(whole)

    run_bounded(scenario())


# ---------------------------------------------------------------------- the engine's memory store
def acceptor_config(port: int) -> ConfigManager:
    return ConfigManager.from_dict({
        "DEFAULT": {"ConnectionType": "acceptor", "SocketAcceptHost": "127.0.0.1", "SocketAcceptPort": port,
                    "HeartBtInt": 30, "StoreType": "memory"},
        "SESSION": [{"SenderCompID": ME, "TargetCompID": PEER}],
    })


#: bytes of a frame written ahead of the rest, so that the framer keeps a remainder (less than any frame's length)
KEPT_BYTES = 37


async def reads_into_framer(runner: Any) -> bool:
    """True once the runner's connection reads into its framer (it keeps a remainder); False after ~5 s."""
    for _ in range(500):
        if runner.conn is not None and runner.conn.reader is runner._framer:
            return True
        await asyncio.sleep(0.01)
    return False


async def stored_inbound(runner: Any, count: int) -> list[bytes]:
    """The data of the inbound application messages stored so far, waiting until ``count`` are."""
    for _ in range(500):
        stored = await runner.store.query(MessageQuery(runner.key, Direction.INBOUND, msg_type="X"))
        if len(stored) >= count:
            return [message.data for message in sorted(stored, key=lambda m: m.seq_num)]
        await asyncio.sleep(0.01)
    raise AssertionError(f"the memory store holds {len(stored)} inbound MarketData frames, {count} expected")


def test_frames_kept_by_the_memory_store_stay_intact_after_later_reads(loop_kind: str) -> None:
    from pyfixmsg_plus.application import Application
    from pyfixmsg_plus.engine import FixEngine

    first = [market_data(seq) for seq in range(2, COUNT + 2)]
    later = [market_data(seq) for seq in range(COUNT + 2, 2 * COUNT + 2)]

    async def scenario() -> None:
        port = free_port()
        engine = await FixEngine.create(acceptor_config(port), Application())
        await engine.open()
        try:
            runner = engine.runner()
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(frame("A", 1, (98, 0), (108, 30)))
            # the first frames, then a later frame's first bytes: whatever reads the kernel makes of them, the
            # framer then keeps a remainder, so the later reads must land after it (without those bytes the reads
            # could all end at frame boundaries, and the connection would rightly keep its own reader)
            rest = b"".join(later)
            for piece in odd_chunks(b"".join(first) + rest[:KEPT_BYTES]):
                writer.write(piece)
                await writer.drain()
            assert await stored_inbound(runner, len(first)) == first
            assert await reads_into_framer(runner)
            for piece in odd_chunks(rest[KEPT_BYTES:], (4096, 5, 999)):
                writer.write(piece)
                await writer.drain()
            stored = await stored_inbound(runner, len(first) + len(later))
            assert stored == first + later  # the first reads' buffers were not reused nor changed
            writer.close()
        finally:
            await engine.disconnect(graceful=False)

    run_bounded(scenario(), loop_kind)

