"""PersistMessages=N end to end: the engine stores no sent message, keeps the sequence numbers (a restart on the
same store file continues them), and answers a ResendRequest(2) with one SequenceReset-GapFill (35=4, 123=Y);
with Y (the default) the stored messages are replayed as before.

Our initiator talks to a raw asyncio counterparty that answers the Logon, lets the engine send ``ORDERS``
NewOrderSingles, then asks for everything after the Logon again (BeginSeqNo(7)=2, EndSeqNo(16)=0) and sends a
TestRequest(1) whose Heartbeat(0) marks the end of the answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_kit import initiator_config, order, run_bounded

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application
from pyfixmsg_plus.bench.live.blaster import field_value as field  # first occurrence, as text
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.store import SessionKey, SQLiteStore
from pyfixmsg_plus.store.contract import Direction, MessageQuery

ORDERS = 3
SESSION = SessionKey("FIX.4.4", "US", "THEM")
#: seconds any one wait for the engine may take before the test fails (a bound, not a timing assertion)
WAIT_S = 10.0
TEST_REQ_ID = "END-OF-RESEND"


class Counterparty:
    """A scripted FIX 4.4 peer "THEM": answers every Logon(A), and records every frame received. Its own
    MsgSeqNum(34) continues across connections, as a real counterparty's store would."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.next_seqnum = 1
        self._writer: asyncio.StreamWriter | None = None
        self._arrived = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer = _impl.load("framing").Framer()
        self._writer = writer
        while data := await reader.read(1 << 16):
            for frame in framer.feed(data).frames():
                self.frames.append(frame)
                if field(frame, 35) == "A":
                    self.send("A", (98, 0), (108, 30))
            self._arrived.set()
        writer.close()

    def send(self, msg_type: str, *body: tuple[int, object]) -> None:
        """Write one frame to the current connection, numbered and stamped now."""
        assert self._writer is not None
        header: list[tuple[int, object]] = [(35, msg_type), (34, self.next_seqnum), (49, "THEM"),
                                            (52, format_utc_timestamp(time.time_ns(), "ms")), (56, "US")]  # fmt: skip
        self.next_seqnum += 1
        self._writer.write(encode_message("FIX.4.4", header + list(body)))

    async def first(self, predicate: Callable[[bytes], bool], start: int = 0) -> int:
        """Index of the first received frame from ``start`` on that ``predicate`` accepts (waits for it)."""
        while True:
            for index in range(start, len(self.frames)):
                if predicate(self.frames[index]):
                    return index
            self._arrived.clear()  # nothing ran since the check: no arrival can be missed
            await asyncio.wait_for(self._arrived.wait(), WAIT_S)


def is_type(msg_type: str) -> Callable[[bytes], bool]:
    return lambda frame: field(frame, 35) == msg_type


async def start_engine(port: int, store: Path | None, **settings: Any) -> FixEngine:
    engine = await FixEngine.create(initiator_config(port, "US", store, target="THEM", **settings), Application())
    await engine.open()
    assert await engine.wait_logged_on(WAIT_S)
    return engine


async def resend_answer(engine: FixEngine, peer: Counterparty) -> list[bytes]:
    """Send ``ORDERS`` orders, ask for MsgSeqNum 2 onwards again, and return the frames of the answer."""
    for n in range(ORDERS):
        assert await engine.send_message(order(engine, f"ORDER-{n}"))
    await peer.first(lambda frame: field(frame, 11) == f"ORDER-{ORDERS - 1}")
    asked_at = len(peer.frames)
    peer.send("2", (7, 2), (16, 0))
    peer.send("1", (112, TEST_REQ_ID))
    end = await peer.first(lambda frame: field(frame, 112) == TEST_REQ_ID, asked_at)
    return peer.frames[asked_at:end]


async def outbound_and_inbound(path: Path) -> tuple[list[int], list[int]]:
    """MsgSeqNum(34)s of the outbound and inbound messages the store file holds for our session."""
    async with SQLiteStore(path) as store:
        found = await store.query(MessageQuery(session=SESSION))
    outbound = [m.seq_num for m in found if m.direction is Direction.OUTBOUND]
    return outbound, [m.seq_num for m in found if m.direction is Direction.INBOUND]


@pytest.mark.parametrize("mode", ["sync", "group", "write_behind"])
def test_persist_messages_n_gap_fills_a_resend_and_the_numbers_survive_a_restart(mode: str, tmp_path: Path) -> None:
    path = tmp_path / "n.db"

    async def scenario() -> tuple[list[bytes], str | None, int]:
        peer = Counterparty()
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            engine = await start_engine(port, path, PersistMessages="N", PersistenceMode=mode)
            answer = await resend_answer(engine, peer)
            await engine.disconnect(graceful=False)
            logons_before = len(peer.frames)
            restarted = await start_engine(port, path, PersistMessages="N", PersistenceMode=mode)
            second_logon = peer.frames[await peer.first(is_type("A"), logons_before)]
            await restarted.disconnect(graceful=False)
        finally:
            server.close()
        return answer, field(second_logon, 34), peer.next_seqnum

    answer, second_logon_seqnum, peer_next = run_bounded(scenario())
    # Logon 1, orders 2..ORDERS+1: one SequenceReset-GapFill numbered 2 up to the next sender number
    assert len(answer) == 1
    assert [field(answer[0], tag) for tag in (35, 34, 123, 43, 36)] == ["4", "2", "Y", "Y", str(ORDERS + 2)]
    # the Heartbeat answering the TestRequest was number ORDERS + 2: the restart's Logon continues after it
    # (write_behind too: a clean disconnect gives its unused reservation back)
    assert second_logon_seqnum is not None
    assert int(second_logon_seqnum) == ORDERS + 3
    outbound, inbound = run_bounded(outbound_and_inbound(path))
    assert outbound == []  # no sent message was kept, by either run
    # what the peer sent is still stored (PersistMessages concerns sent messages), its last Logon included
    assert inbound == list(range(1, peer_next))


@pytest.mark.parametrize("store", ["memory", "database"])
def test_persist_messages_y_replays_the_stored_orders(store: str, tmp_path: Path) -> None:
    path = tmp_path / "y.db" if store == "database" else None

    async def scenario() -> list[bytes]:
        peer = Counterparty()
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        try:
            engine = await start_engine(server.sockets[0].getsockname()[1], path)  # PersistMessages=Y: default
            answer = await resend_answer(engine, peer)
            await engine.disconnect(graceful=False)
        finally:
            server.close()
        return answer

    answer = run_bounded(scenario())
    assert [(field(f, 35), field(f, 34), field(f, 43)) for f in answer] == [
        ("D", str(seq), "Y") for seq in range(2, ORDERS + 2)
    ]
    assert [field(f, 11) for f in answer] == [f"ORDER-{n}" for n in range(ORDERS)]
    if path is not None:
        outbound, _ = run_bounded(outbound_and_inbound(path))
        assert outbound == list(range(1, ORDERS + 3))  # Logon, the orders and the Heartbeat


def test_persist_messages_n_over_the_memory_store_gap_fills_too() -> None:
    async def scenario() -> tuple[list[bytes], list[int], int]:
        peer = Counterparty()
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        try:
            engine = await start_engine(server.sockets[0].getsockname()[1], None, PersistMessages="N")
            answer = await resend_answer(engine, peer)
            found = await engine.message_store.query(MessageQuery(session=SESSION, direction=Direction.OUTBOUND))
            next_sender = await engine.message_store.next_sender_seqnum(SESSION)
            await engine.disconnect(graceful=False)
        finally:
            server.close()
        return answer, [m.seq_num for m in found], next_sender

    answer, outbound, next_sender = run_bounded(scenario())
    assert [(field(f, 35), field(f, 34), field(f, 36)) for f in answer] == [("4", "2", str(ORDERS + 2))]
    assert outbound == []
    assert next_sender == ORDERS + 3


def test_persist_messages_n_gap_fills_messages_an_earlier_y_run_stored(tmp_path: Path) -> None:
    """Switching a store file from Y to N: the orders the Y run stored stay queryable but are not replayed; the
    ResendRequest over them and the new ones gets one SequenceReset-GapFill, as QuickFIX answers with N."""
    path = tmp_path / "y-then-n.db"

    async def scenario() -> tuple[list[bytes], list[bytes]]:
        peer = Counterparty()
        server = await asyncio.start_server(peer.serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            engine = await start_engine(port, path)  # PersistMessages=Y: Logon 1, orders 2.., Heartbeat stored
            first_answer = await resend_answer(engine, peer)
            await engine.disconnect(graceful=False)
            restarted = await start_engine(port, path, PersistMessages="N")
            asked_at = len(peer.frames)
            peer.send("2", (7, 1), (16, 0))  # everything: the Y run's messages and the N run's Logon
            peer.send("1", (112, TEST_REQ_ID))
            end = await peer.first(lambda frame: field(frame, 112) == TEST_REQ_ID, asked_at)
            await restarted.disconnect(graceful=False)
        finally:
            server.close()
        return first_answer, peer.frames[asked_at:end]

    first_answer, answer = run_bounded(scenario())
    assert [field(f, 35) for f in first_answer] == ["D"] * ORDERS  # the Y run replayed its stored orders
    # N run: Logon was ORDERS + 3 (after the Y run's Heartbeat), so the gap fill covers 1 .. ORDERS + 3
    assert [(field(f, 35), field(f, 34), field(f, 123), field(f, 36)) for f in answer] == [
        ("4", "1", "Y", str(ORDERS + 4))
    ]
    outbound, _ = run_bounded(outbound_and_inbound(path))
    assert outbound == list(range(1, ORDERS + 3))  # kept for queries: Logon, orders, Heartbeat of the Y run
