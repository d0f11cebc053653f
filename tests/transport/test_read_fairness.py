"""Read fairness: once ``FlowControl.read_bytes_per_turn`` bytes were handed over, a connection stops reading for
one event-loop iteration, so that timers and other callbacks run during an inbound blast. The yield composes with
the other pause reasons (flow control, the user's ``pause_reading``), and closing during it is harmless.

Bounds are on bytes, never on elapsed time: a ``call_soon`` probe scheduled while a read is handed over runs before
more than ``read_bytes_per_turn`` + one read further bytes arrive; without the budget (uvloop reads a busy socket
up to 32 times per iteration) it does not. asyncio's own loops read a socket once per iteration, so the connection
applies no budget there; the ``yielding`` fixture makes it apply one on every loop, so that the yield's state logic
is tested over asyncio's TCP and TLS transports too.
"""

from __future__ import annotations

import asyncio
import random
import socket
import ssl
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fake_transport import FakeTransport
from hypothesis import given, settings
from hypothesis import strategies as st
from transport_kit import (
    LOOP_KINDS,
    NullReceiver,
    Pki,
    loop_kind_fixture,  # noqa: F401 - pytest fixture
    pki_fixture,  # noqa: F401 - pytest fixture
    run_bounded,
)

from pyfixmsg_plus import _impl
from pyfixmsg_plus.transport import Acceptor, Connection, FlowControl, client_context, server_context
from pyfixmsg_plus.transport import connection as connection_module

#: bytes one read may hold: the receiver's own ReadBuffer capacity (small, so that a few KiB of kernel buffer hold
#: many reads whatever the machine's socket buffer sizes)
READ = 4096
#: the per-turn budget of the bounded runs, bytes
BUDGET = 4 * READ
#: a budget that is never reached: reading never yields
UNBOUNDED = 1 << 62
#: what the peer sends, bytes (random, so that a lost or reordered piece shows)
PAYLOAD = random.Random(8).randbytes(4 * 1024 * 1024)


@pytest.fixture(name="yielding")
def yielding_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections apply their read budget on every loop, asyncio's own included."""
    monkeypatch.setattr(connection_module, "reads_once_per_iteration", lambda loop: False)


# ---------------------------------------------------------------------- a fake transport with a reading state
class PausableTransport(FakeTransport):
    """A FakeTransport that reads until paused, and counts the pauses and resumes it was asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = True
        self.pauses = 0
        self.resumes = 0

    def is_reading(self) -> bool:
        return self.reading and not self.closing

    def pause_reading(self) -> None:
        assert self.reading, "pause_reading while paused"
        self.reading = False
        self.pauses += 1

    def resume_reading(self) -> None:
        # recorded, not raised: a callback's exception would only reach the loop's exception handler
        assert not self.reading, "resume_reading while reading"
        self.reading = not self.closing
        self.resumes += 1


def over_fake(budget: int, pause_reading_on_flow: bool = True) -> tuple[Connection, PausableTransport]:
    """A Connection with ``budget`` bytes per turn over a PausableTransport (call inside a running loop)."""
    conn = Connection(NullReceiver, FlowControl(read_bytes_per_turn=budget, pause_reading=pause_reading_on_flow))
    transport = PausableTransport()
    conn.connection_made(transport)
    return conn, transport


def test_read_bytes_per_turn_is_checked() -> None:
    with pytest.raises(ValueError, match="read_bytes_per_turn=0"):
        FlowControl(read_bytes_per_turn=0)
    with pytest.raises(ValueError, match="read_bytes_per_turn=-5"):
        FlowControl(read_bytes_per_turn=-5)


def test_the_budget_applies_where_the_loop_reads_a_socket_many_times_an_iteration(loop_kind: str) -> None:
    async def scenario() -> tuple[int, bool]:
        conn, transport = over_fake(10)
        conn.data_received(b"x" * 11)
        return transport.pauses, connection_module.reads_once_per_iteration(asyncio.get_running_loop())

    pauses, once = run_bounded(scenario(), loop_kind)
    assert once == (loop_kind == "asyncio")  # uvloop (libuv) reads a busy socket up to 32 times an iteration
    assert pauses == (0 if once else 1)


@pytest.mark.usefixtures("yielding")
def test_reading_yields_past_the_budget_for_one_iteration_and_counts_from_the_yield() -> None:
    async def scenario() -> None:
        conn, transport = over_fake(100)
        conn.data_received(b"x" * 100)  # at the budget, not past it
        assert transport.reading
        conn.data_received(b"x")
        assert not transport.reading and transport.pauses == 1
        assert conn.is_reading  # a yield is not a pause that callers see
        await asyncio.sleep(0)
        assert transport.reading and transport.resumes == 1
        conn.data_received(b"x" * 100)  # counted from the yield: 100 more bytes are still within the budget
        assert transport.reading
        conn.data_received(b"x")
        assert not transport.reading and transport.pauses == 2

    run_bounded(scenario())


@pytest.mark.usefixtures("yielding")
def test_a_user_pause_during_a_yield_holds_after_it() -> None:
    async def scenario() -> None:
        conn, transport = over_fake(10)
        conn.data_received(b"x" * 11)
        conn.pause_reading()
        assert not conn.is_reading
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert not transport.reading and transport.resumes == 0
        conn.resume_reading()
        assert transport.reading and conn.is_reading

    run_bounded(scenario())


@pytest.mark.usefixtures("yielding")
def test_a_user_resume_during_a_yield_waits_for_the_yield_to_end() -> None:
    async def scenario() -> None:
        conn, transport = over_fake(10)
        conn.pause_reading()
        conn.resume_reading()
        conn.data_received(b"x" * 11)
        conn.pause_reading()
        conn.resume_reading()  # the user's pause is over, the yield is not
        assert not transport.reading
        await asyncio.sleep(0)
        assert transport.reading and transport.resumes == 2

    run_bounded(scenario())


@pytest.mark.usefixtures("yielding")
def test_a_flow_control_pause_during_a_yield_holds_after_it() -> None:
    async def scenario() -> None:
        conn, transport = over_fake(10)
        conn.data_received(b"x" * 11)
        conn.pause_writing()  # asyncio: the write buffer passed the high-water mark
        assert not conn.is_reading
        await asyncio.sleep(0)
        assert not transport.reading
        conn.resume_writing()
        assert transport.reading

    run_bounded(scenario())


@pytest.mark.usefixtures("yielding")
def test_a_read_while_paused_by_the_user_schedules_no_yield() -> None:
    async def scenario() -> None:
        conn, transport = over_fake(10)
        conn.pause_reading()
        conn.data_received(b"x" * 50)  # a read the transport had made before the pause took effect
        assert transport.pauses == 1
        await asyncio.sleep(0)
        assert not transport.reading
        conn.resume_reading()
        assert transport.reading

    run_bounded(scenario())


@pytest.mark.parametrize("ending", ["close", "abort"])
@pytest.mark.usefixtures("yielding")
def test_closing_during_a_yield_is_harmless(ending: str) -> None:
    async def scenario() -> None:
        conn, transport = over_fake(10)
        conn.data_received(b"x" * 11)
        getattr(conn, ending)()
        conn.connection_lost(None)
        await asyncio.sleep(0)  # the yield's end finds the transport closing: it resumes nothing
        assert transport.resumes == 0 and conn.is_closing and not conn.is_reading

    run_bounded(scenario())


#: one step of the property below: a read of n bytes, a pause or resume by the user or flow control, a loop turn
STEPS = st.one_of(
    st.tuples(st.just("read"), st.integers(1, 64)),
    st.tuples(st.sampled_from(["user_pause", "user_resume", "flow_pause", "flow_resume", "turn"]), st.just(0)),
)


@pytest.mark.usefixtures("yielding")
@settings(max_examples=60, deadline=None)
@given(st.lists(STEPS, max_size=40), st.integers(1, 100))
def test_no_yield_resumes_what_the_user_or_flow_control_paused(steps: list[tuple[str, int]], budget: int) -> None:
    async def scenario() -> None:
        conn, transport = over_fake(budget)
        user = flow = False
        for action, size in steps:
            if action == "read":
                if transport.is_reading():  # a paused transport reads nothing
                    conn.data_received(b"r" * size)
            elif action == "turn":
                await asyncio.sleep(0)
            elif action.startswith("user"):
                user = action == "user_pause"
                (conn.pause_reading if user else conn.resume_reading)()
            else:
                flow = action == "flow_pause"
                (conn.pause_writing if flow else conn.resume_writing)()
            if user or flow:
                assert not transport.reading and not conn.is_reading
        await asyncio.sleep(0)  # any yield has ended
        assert transport.reading == (not user and not flow) == conn.is_reading

    run_bounded(scenario())


# ---------------------------------------------------------------------- real loopback sockets
class BlastReceiver:
    """Records what arrives in small reads, runs ``on_read`` after each, and notes the connection's end."""

    def __init__(self, expected: int) -> None:
        loop = asyncio.get_running_loop()
        self.expected = expected
        self.received = bytearray()
        self.conn: Connection | None = None
        self.on_read: Callable[[BlastReceiver], None] | None = None
        self.connected: asyncio.Future[Connection] = loop.create_future()
        self.complete: asyncio.Future[None] = loop.create_future()
        self.disconnected: asyncio.Future[BaseException | None] = loop.create_future()

    def on_connected(self, conn: Connection) -> None:
        self.conn = conn
        conn.read_with(_impl.load("framing").ReadBuffer(READ))
        self.connected.set_result(conn)

    def on_data(self, data: bytes) -> None:
        assert not self.disconnected.done(), "bytes after the connection ended"
        self.received += data
        if self.on_read is not None:
            self.on_read(self)
        if len(self.received) >= self.expected and not self.complete.done():
            self.complete.set_result(None)

    def on_disconnected(self, exc: BaseException | None) -> None:
        if not self.disconnected.done():
            self.disconnected.set_result(exc)


class Peer:
    """The sending side, a blocking socket written from a thread (so it is never held up by the loop under test)."""

    def __init__(self, port: int, payload: bytes, context: ssl.SSLContext | None = None) -> None:
        self.port, self.payload, self.context = port, payload, context
        self.sock: socket.socket | None = None
        self.sent = 0
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def connect(self) -> None:
        """Connect (plain TCP: the kernel completes it before the loop accepts, so this does not block)."""
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=15)

    def fill_kernel_buffers(self) -> None:
        """Write without blocking until the kernel takes no more (the receiver is paused): its receive queue and
        our send queue are then full, so the first reads after a resume find all the data they can hold."""
        assert self.sock is not None
        self.sock.setblocking(False)
        try:
            while self.sent < len(self.payload):
                self.sent += self.sock.send(self.payload[self.sent : self.sent + 65536])
        except BlockingIOError:
            pass
        finally:
            self.sock.settimeout(15)

    def start(self) -> None:
        """Send the rest of the payload from a thread, then close."""
        self._thread = threading.Thread(target=self._send_rest, daemon=True)
        self._thread.start()

    def _send_rest(self) -> None:
        try:
            if self.sock is None:  # TLS: the handshake needs the loop, so it happens here
                raw = socket.create_connection(("127.0.0.1", self.port), timeout=15)
                assert self.context is not None
                self.sock = self.context.wrap_socket(raw, server_hostname="localhost")
            self.sock.sendall(self.payload[self.sent :])
            self.sent = len(self.payload)
            if isinstance(self.sock, ssl.SSLSocket):
                # close_notify behind the data: without it asyncio's and uvloop's TLS transports drop the decrypted
                # bytes beyond one read buffer when the TCP connection ends (whether or not reading yields)
                self.sock = self.sock.unwrap()
        except OSError as exc:
            self.error = exc
        finally:
            if self.sock is not None:
                self.sock.close()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(15)
        elif self.sock is not None:
            self.sock.close()


class Probe:
    """Schedules one ``call_soon`` callback from the first read it sees and notes how many bytes had arrived when
    it was scheduled and when it ran."""

    def __init__(self) -> None:
        self.scheduled_at: int | None = None
        self.ran_at: int | None = None

    def __call__(self, receiver: BlastReceiver) -> None:
        if self.scheduled_at is None:
            self.scheduled_at = len(receiver.received)
            asyncio.get_running_loop().call_soon(self._run, receiver)

    def _run(self, receiver: BlastReceiver) -> None:
        self.ran_at = len(receiver.received)

    @property
    def bytes_before_it_ran(self) -> int:
        """Bytes handed over between the probe's scheduling and its run."""
        assert self.scheduled_at is not None and self.ran_at is not None, "the probe never ran"
        return self.ran_at - self.scheduled_at


async def blast_with_probe(budget: int) -> tuple[Probe, BlastReceiver]:
    """A peer fills the kernel buffers while our connection is paused, then keeps sending PAYLOAD; a probe is
    scheduled from the first read after the resume. Returns once everything arrived."""
    receiver = BlastReceiver(len(PAYLOAD))
    async with Acceptor("127.0.0.1", 0, lambda: receiver, flow=FlowControl(read_bytes_per_turn=budget)) as acceptor:
        peer = Peer(acceptor.port, PAYLOAD)
        try:
            peer.connect()
            conn = await receiver.connected
            conn.pause_reading()
            peer.fill_kernel_buffers()
            peer.start()
            probe = Probe()
            receiver.on_read = probe
            conn.resume_reading()
            await receiver.complete
            await receiver.disconnected
        finally:
            peer.join()
    assert peer.error is None
    return probe, receiver


def test_a_probe_runs_within_one_budget_of_bytes_and_every_byte_arrives_in_order(loop_kind: str) -> None:
    probe, receiver = run_bounded(blast_with_probe(BUDGET), loop_kind)
    assert receiver.received == PAYLOAD
    assert probe.bytes_before_it_ran <= BUDGET + READ


@pytest.mark.skipif("uvloop" not in LOOP_KINDS, reason="uvloop is not installed")
def test_without_a_budget_uvloop_reads_far_past_it_before_a_probe_runs() -> None:
    # the contrast that shows the test above measures something: libuv reads a busy socket up to 32 times per
    # iteration (asyncio's selector loop reads it once per iteration, so it has nothing to show here)
    probe, receiver = run_bounded(blast_with_probe(UNBOUNDED), "uvloop")
    assert receiver.received == PAYLOAD
    assert probe.bytes_before_it_ran > BUDGET + READ


@pytest.mark.usefixtures("yielding")
def test_a_probe_runs_within_one_budget_of_bytes_over_tls(pki: Pki, loop_kind: str) -> None:
    async def scenario() -> tuple[Probe, BlastReceiver]:
        receiver = BlastReceiver(len(PAYLOAD))
        probe = Probe()
        receiver.on_read = probe
        flow = FlowControl(read_bytes_per_turn=BUDGET)
        tls = server_context(pki.server_cert, pki.server_key)
        async with Acceptor("127.0.0.1", 0, lambda: receiver, ssl=tls, flow=flow) as acceptor:
            peer = Peer(acceptor.port, PAYLOAD, client_context(cafile=pki.ca))
            peer.start()
            try:
                await receiver.complete
            finally:
                await asyncio.get_running_loop().run_in_executor(None, peer.join)
        assert peer.error is None
        return probe, receiver

    probe, receiver = run_bounded(scenario(), loop_kind)
    assert receiver.received == PAYLOAD
    assert probe.bytes_before_it_ran <= BUDGET + READ


def pause_during_a_yield(pause: Callable[[Connection], None], seen: list[int]) -> Callable[[BlastReceiver], None]:
    """An ``on_read`` that, from the first read past 64 KiB, calls ``pause(conn)`` in the next loop callback: with a
    budget of one byte every read yields, so that callback runs while reading yields. ``seen`` gets the byte count
    at the pause."""

    def on_read(receiver: BlastReceiver) -> None:
        if not seen and len(receiver.received) > 65536:
            seen.append(-1)  # scheduled once

            def paused() -> None:
                assert receiver.conn is not None
                seen[0] = len(receiver.received)
                pause(receiver.conn)

            asyncio.get_running_loop().call_soon(paused)

    return on_read


async def held_pause(pause: Callable[[Connection], None], resume: Callable[[Connection], None]) -> tuple[int, int]:
    """A blast read with a budget of one byte, paused by ``pause`` during a yield: returns the bytes at the pause
    and the bytes received some loop iterations later (before ``resume``); then everything must arrive in order."""
    receiver = BlastReceiver(len(PAYLOAD))
    seen: list[int] = []
    receiver.on_read = pause_during_a_yield(pause, seen)
    async with Acceptor("127.0.0.1", 0, lambda: receiver, flow=FlowControl(read_bytes_per_turn=1)) as acceptor:
        peer = Peer(acceptor.port, PAYLOAD)
        try:
            peer.connect()
            peer.start()
            while not seen or seen[0] < 0:
                await asyncio.sleep(0)
            for _ in range(20):  # many iterations (and a little time for the peer's bytes to reach the kernel)
                await asyncio.sleep(0.001)
            conn = await receiver.connected
            assert not conn.is_reading
            later = len(receiver.received)
            resume(conn)
            await receiver.complete
        finally:
            peer.join()
    assert peer.error is None
    assert receiver.received == PAYLOAD
    return seen[0], later


@pytest.mark.usefixtures("yielding")
def test_a_user_pause_during_a_yield_holds_until_resume(loop_kind: str) -> None:
    at_pause, later = run_bounded(held_pause(Connection.pause_reading, Connection.resume_reading), loop_kind)
    assert later == at_pause


@pytest.mark.usefixtures("yielding")
def test_a_flow_control_pause_during_a_yield_holds_until_writing_resumes(loop_kind: str) -> None:
    # pause_writing/resume_writing are the calls the transport makes when its write buffer crosses the marks
    at_pause, later = run_bounded(held_pause(Connection.pause_writing, Connection.resume_writing), loop_kind)
    assert later == at_pause


@pytest.mark.usefixtures("yielding")
@pytest.mark.parametrize("ending", ["close", "abort"])
def test_closing_during_a_yield_ends_the_connection_cleanly(loop_kind: str, ending: str) -> None:
    async def scenario() -> tuple[BlastReceiver, list[Any]]:
        loop = asyncio.get_running_loop()
        errors: list[Any] = []
        loop.set_exception_handler(lambda _, context: errors.append(context))
        receiver = BlastReceiver(len(PAYLOAD))
        seen: list[int] = []
        receiver.on_read = pause_during_a_yield(lambda conn: getattr(conn, ending)(), seen)
        async with Acceptor("127.0.0.1", 0, lambda: receiver, flow=FlowControl(read_bytes_per_turn=1)) as acceptor:
            peer = Peer(acceptor.port, PAYLOAD)
            try:
                peer.connect()
                peer.start()
                await receiver.disconnected
                for _ in range(5):
                    await asyncio.sleep(0)  # the yield's end, after the close
            finally:
                peer.join()  # the peer's send fails or completes into a closed socket: either is fine here
        return receiver, errors

    receiver, errors = run_bounded(scenario(), loop_kind)
    assert errors == []
    assert receiver.disconnected.result() is None  # a clean close by us
    assert len(receiver.received) < len(PAYLOAD) and PAYLOAD.startswith(receiver.received)
