"""The runner without sockets (a fake connection): onBatch gets whole reads, toAdmin changes reach the wire,
operator sequence numbers go through the session's public API. Plus toAdmin credentials over real loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_kit import Client, acceptor_config, free_port, initiator_config, run_bounded

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application
from pyfixmsg_plus.engine import FixEngine
from pyfixmsg_plus.engine.session_runner import SessionRunner
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp
from pyfixmsg_plus.message.parser_py import parse_pairs
from pyfixmsg_plus.session import SessionState
from pyfixmsg_plus.session.batch import per_frame_groups
from pyfixmsg_plus.store import Direction, MessageQuery

ME, PEER = "EXEC", "CLIENT"
MD_TYPE = "X"  # MarketDataIncrementalRefresh


class FakeConnection:
    """Records what the runner writes; never closes by itself."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closed = False

    @property
    def is_closing(self) -> bool:
        return self.closed

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def write_unless_closing(self, data: bytes) -> bool:
        if self.closed:
            return False
        self.written.append(data)
        return True

    def at_turn_end(self, callback: Callable[[], None]) -> None:
        # as Connection.at_turn_end: at the start of the next event-loop iteration
        asyncio.get_running_loop().call_soon(callback)

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def describe(self) -> str:
        return "fake"

    def frames(self) -> list[bytes]:
        index = _impl.load("framing").split_frames(b"".join(self.written))
        assert all(index.valid), index.errors()
        return list(index.frames())


def frame(msg_type: str, seqnum: int, *body: tuple[int, object]) -> bytes:
    """A frame from the peer (49=CLIENT, 56=EXEC) sent now."""
    sending_time = format_utc_timestamp(int(time.time() * 1e9), "ms").decode()
    return encode_message("FIX.4.4", [(35, msg_type), (34, seqnum), (49, PEER), (52, sending_time), (56, ME),
                                      *body])


def logon(seqnum: int = 1) -> bytes:
    return frame("A", seqnum, (98, 0), (108, 30))


def market_data(seqnum: int, price: int) -> bytes:
    return frame(MD_TYPE, seqnum, (268, 1), (279, 0), (269, 0), (55, "EUR/USD"), (270, price), (271, 100))


def order(seqnum: int, clordid: str) -> bytes:
    return frame("D", seqnum, (11, clordid), (21, "1"), (55, "EUR/USD"), (54, "1"), (60, "20240603-12:00:00"),
                 (38, 100), (40, "1"))


def tags(raw: bytes) -> list[int]:
    return [tag for tag, _ in parse_pairs(raw)]


def value(raw: bytes, tag: int) -> bytes | None:
    return next((v for t, v in parse_pairs(raw) if t == tag), None)


class MarketDataUser(Application):
    """Consumes X in batches; everything else through the usual callbacks."""

    batch_msg_types = frozenset({MD_TYPE})

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[Any] = []
        self.events: list[tuple[str, Any]] = []

    def onBatch(self, batch: Any, sessionID: Any) -> None:
        self.batches.append(batch)
        self.events.append(("batch", [int(s) for s in batch.seqnums]))

    def fromApp(self, message: Any, sessionID: Any) -> None:
        self.events.append(("fromApp", message[35]))


async def acceptor_runner(tmp_path: Path, app: Application, **options: Any) -> tuple[FixEngine, SessionRunner]:
    """An initialized acceptor engine (never opened: no socket) and its runner."""
    engine = await FixEngine.create(acceptor_config(free_port(), [PEER], tmp_path / "a.db"), app, **options)
    await engine.initialize()
    return engine, engine.runner()


async def logged_on(runner: SessionRunner, conn: FakeConnection) -> None:
    runner.on_connected(conn)  # type: ignore[arg-type]
    runner.on_data(logon())
    await runner.flush()
    assert runner.state is SessionState.ACTIVE


@pytest.fixture
def parsed_frames(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every frame the codec turns into a FixMessage during the test."""
    seen: list[bytes] = []
    original = Codec.parse_message

    def counting(self: Codec, buff: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(bytes(buff))
        return original(self, buff, *args, **kwargs)

    monkeypatch.setattr(Codec, "parse_message", counting)
    return seen


def test_one_read_of_market_data_is_one_on_batch_call_without_message_objects(
    tmp_path: Path, parsed_frames: list[bytes]
) -> None:
    count = 300

    async def scenario() -> None:
        app = MarketDataUser()
        engine, runner = await acceptor_runner(tmp_path, app)
        conn = FakeConnection()
        await logged_on(runner, conn)
        read = b"".join(market_data(n, 100 + n) for n in range(2, 2 + count))
        runner.on_data(read)
        await runner.flush()
        assert len(app.batches) == 1
        [batch] = app.batches
        assert len(batch) == count
        assert batch.seqnums.tolist() == list(range(2, 2 + count))
        assert batch.buffer is read  # positions in the bytes read: nothing copied
        prices = [value(batch.frame(i), 270) for i in range(count)]  # price = 100 + MsgSeqNum
        assert prices == [str(100 + n).encode() for n in range(2, 2 + count)]
        assert runner.session.next_target_seqnum == 2 + count
        assert app.events == [("batch", list(range(2, 2 + count)))]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())
    assert not [f for f in parsed_frames if b"\x0135=X\x01" in f]


def test_batch_frames_are_still_stored_and_other_types_keep_their_callbacks(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = MarketDataUser()
        engine, runner = await acceptor_runner(tmp_path, app)
        await logged_on(runner, FakeConnection())
        runner.on_data(market_data(2, 1) + order(3, "O1") + frame("0", 4) + market_data(5, 2))
        await runner.flush()
        # one batch per read, placed where its first frame was
        assert app.events == [("batch", [2, 5]), ("fromApp", "D")]
        await runner.flush()
        stored = await runner.store.query(MessageQuery(runner.key, Direction.INBOUND, first_seq=2))
        assert [(m.seq_num, m.msg_type) for m in stored] == [(2, "X"), (3, "D"), (4, "0"), (5, "X")]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_per_frame_delivery_keeps_runs_of_market_data_together(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = MarketDataUser()
        engine, runner = await acceptor_runner(tmp_path, app, deliver_per_frame=True)
        await logged_on(runner, FakeConnection())
        read = market_data(2, 1) + market_data(3, 2) + order(4, "O1") + market_data(5, 3)
        runner.on_data(read)
        await runner.flush()
        assert app.events == [("batch", [2, 3]), ("fromApp", "D"), ("batch", [5])]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_per_frame_groups_keep_garbled_spans_with_the_next_frame() -> None:
    framing = _impl.load("framing")
    garbled = logon(9)[:-4] + b"999\x01"  # checksum mismatch
    index = framing.split_frames(market_data(2, 1) + garbled + market_data(3, 2) + order(4, "O") + market_data(5, 1))
    assert per_frame_groups(index, frozenset({b"X"})) == [[0], [1, 2], [3], [4]]
    assert per_frame_groups(index, frozenset()) == [[0], [1, 2], [3], [4]]
    clean = framing.split_frames(market_data(2, 1) + market_data(3, 2) + order(4, "O") + market_data(5, 1))
    assert per_frame_groups(clean, frozenset({b"X"})) == [[0, 1], [2], [3]]


class Credentials(Application):
    """The classic toAdmin: Username(553) and Password(554) added to the Logon."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def toAdmin(self, message: Any, sessionID: Any) -> None:
        self.seen.append(message[35])
        if message[35] == "A":
            message[553] = "trader"
            message[554] = "s3cret"
            message[34] = "77"  # not the application's to change: the session's number is kept


def test_to_admin_changes_reach_the_wire_and_the_store(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = Credentials()
        engine, runner = await acceptor_runner(tmp_path, app)
        conn = FakeConnection()
        await logged_on(runner, conn)
        runner.on_data(frame("1", 2, (112, "ping")))  # answered with a Heartbeat that toAdmin leaves alone
        await runner.flush()
        logon_answer, heartbeat = conn.frames()
        assert value(logon_answer, 35) == b"A" and value(logon_answer, 34) == b"1"
        assert (value(logon_answer, 553), value(logon_answer, 554)) == (b"trader", b"s3cret")
        assert tags(heartbeat)[:7] == [8, 9, 35, 34, 49, 52, 56]  # unchanged: the session's own bytes
        assert value(heartbeat, 112) == b"ping"
        assert app.seen == ["A", "0"]
        await runner.flush()
        [stored] = await runner.store.get_outbound(runner.key, 1, 1)
        assert stored.data == logon_answer
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


def test_set_sequence_numbers_while_active_goes_through_the_session(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = MarketDataUser()
        engine, runner = await acceptor_runner(tmp_path, app)
        await logged_on(runner, FakeConnection())
        await engine.set_sequence_numbers(incoming_seqnum=50, outgoing_seqnum=60)
        assert (runner.session.next_target_seqnum, runner.session.next_sender_seqnum) == (50, 60)
        assert await runner.store.get_next_outgoing_sequence_number() == 60
        runner.on_data(market_data(50, 1))
        await runner.flush()
        assert app.events == [("batch", [50])]
        await engine.disconnect(graceful=False)

    run_bounded(scenario())


class Guard(Application):
    """Acceptor side: refuses a Logon without the right password."""

    def __init__(self) -> None:
        super().__init__()
        self.users: list[str | None] = []

    def onLogonRequest(self, message: Any, sessionID: Any) -> Any:
        self.users.append(message.get(553))
        return True if message.get(554) == "s3cret" else "bad password"


def test_password_added_by_to_admin_logs_on_over_loopback(tmp_path: Path) -> None:
    class Trader(Client):
        def toAdmin(self, message: Any, sessionID: Any) -> None:
            if message[35] == "A":
                message[553], message[554] = "trader", "s3cret"

    async def scenario() -> None:
        port = free_port()
        guard = Guard()
        acceptor = await FixEngine.create(acceptor_config(port, ["CLIENT"], tmp_path / "a.db"), guard)
        await acceptor.open()
        async with await FixEngine.create(initiator_config(port, "CLIENT", tmp_path / "c.db"), Trader()) as engine:
            assert await engine.wait_logged_on(5)
            assert guard.users == ["trader"]
            await asyncio.sleep(0)
        await acceptor.disconnect()

    run_bounded(scenario())
