"""One open byte stream (TCP or TLS) between us and a peer, with bounded write buffering.

:class:`Connection` is the asyncio protocol of a socket. It hands received bytes to a :class:`Receiver` (the
engine's per-connection handler) and writes bytes for it. It knows nothing of FIX.

Backpressure (a slow reader must not grow our memory without bound), configured by :class:`FlowControl`:

* above ``high_water`` buffered bytes asyncio calls ``pause_writing``: :meth:`Connection.drain` then waits
  until the buffer is back under ``low_water``; with ``pause_reading=True`` we also stop reading from the
  peer, so its requests cannot make us queue more answers;
* above ``max_buffer`` buffered bytes the connection is aborted with a warning naming the peer and the
  setting;
* a writer with more to send than fits (a resend of many stored messages) writes it in pieces, awaiting
  :meth:`Connection.wait_for_room` before each, so that the peer's reading paces it.

Reads: the connection is an ``asyncio.BufferedProtocol`` (asyncio's and uvloop's TCP and TLS transports all
read into the protocol's buffer): each read lands in a reader's buffer (``get_buffer``/``received``) and its
bytes go to :meth:`Receiver.on_data` as one immutable ``bytes`` object, which a frame index and the store may keep.
The reader is a :class:`~pyfixmsg_plus.message.framing.ReadBuffer` of the connection's own until the receiver
names its framer with :meth:`Connection.read_with`: the framer's kept remainder (a frame cut by the end of the
previous read) is then already in front of each read, so splitting a read never joins the two (with the compiled
framing, no copy of a read is made at all). ``data_received`` stays for callers that hand bytes in directly.
A pause made in ``on_connected`` holds on both loops (uvloop reads anyway once ``connection_made`` returns: such
reads are kept until ``resume_reading``), and a TLS peer's bytes that the TLS layer still holds when its TCP ends
without a close_notify are read out in ``connection_lost`` (:func:`~pyfixmsg_plus.transport.tls.read_what_tls_kept`).

Latency: TCP_NODELAY is set on every TCP socket (``FlowControl.nodelay``): FIX messages are small and each one
must leave at once, not wait for the peer's acknowledgement of the previous one (Nagle's algorithm).

Bursts: the first write of an event-loop iteration goes to the transport at once (a lone message pays no delay);
later writes of the same iteration (500 orders sent by as many tasks, the replies to every frame of a read) are
held and handed to the transport together at the start of the next iteration, so a burst costs one send(2)
instead of one per message. Held bytes count in :attr:`Connection.write_buffer_size`; :meth:`Connection.close`
writes them first, :meth:`Connection.abort` drops them. Code above that also acts at the end of an iteration (the
engine's send path groups the sends of one iteration) joins the same loop callback with
:meth:`Connection.at_turn_end`: a lone round trip then costs one loop callback, not one per layer.

Fairness: a peer that sends as fast as it can must not keep the event loop to itself. uvloop reads a busy socket
up to 32 times in one loop iteration (libuv's ``uv__read``), each read fills a 256 KiB buffer (~1,500 market-data
messages) and each is parsed and delivered inside ``buffer_updated``: timers (heartbeats, TestRequest, logout
timeouts) and the other sessions of the process waited 100 ms and more. So once the bytes handed over since
reading last yielded pass ``FlowControl.read_bytes_per_turn`` (512 KiB by default: at most three full reads a
turn; smaller budgets hardly improved the measured timer lateness), reading pauses and resumes from a
``loop.call_soon`` callback, after the loop has run its timers and the callbacks already ready. The yield is a
pause reason of its own beside flow control and :meth:`Connection.pause_reading`: it never resumes reading that
one of those paused, and it costs one comparison per read. asyncio's own loops (selector, proactor) read a socket
once per iteration, TLS included, so there the budget is not applied: a yield would only add a pause, a resume and
an iteration (measured: ~30% more loop CPU a GiB read, transport alone) and no timer would run sooner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol, cast

from pyfixmsg_plus.transport.flow import (
    ConnectionClosed,
    FlowControl,
    TransportError,
    WriteBufferOverflow,
    reads_once_per_iteration,
)
from pyfixmsg_plus.transport.tls import read_what_tls_kept

log = logging.getLogger("pyfixmsg_plus.transport")

#: how often a paced writer checks for room while the buffer is under the high-water mark, seconds
_ROOM_POLL_S = 0.001
#: a read budget never reached, bytes: reading never yields
_UNBOUNDED = 1 << 62


class Receiver(Protocol):
    """What a connection reports to. Called from the event loop; the methods must not block.

    ``on_connected`` comes first, then any number of ``on_data``, then exactly one ``on_disconnected`` (with
    the error that ended the connection, or None for a clean close by either side).
    """

    def on_connected(self, conn: Connection) -> None: ...

    def on_data(self, data: bytes) -> None: ...

    def on_disconnected(self, exc: BaseException | None) -> None: ...


class Reader(Protocol):
    """Where a connection's reads land (``asyncio.BufferedProtocol``'s pair): room for a read, then its bytes."""

    def get_buffer(self, sizehint: int = -1) -> memoryview: ...

    def received(self, nbytes: int) -> bytes: ...


def _own_reader() -> Reader:
    # imported here: the transport layer knows no FIX, the read buffer merely lives beside the framer
    from pyfixmsg_plus import _impl

    return cast(Reader, _impl.load("framing").ReadBuffer())


class Connection(asyncio.BufferedProtocol):
    """An asyncio protocol that forwards bytes to a :class:`Receiver` and bounds its write buffer.

    ``receiver_factory`` is called once the connection is made (after the TLS handshake): an attempt that
    fails never creates a receiver (uvloop creates the protocol before connecting, asyncio after).
    """

    def __init__(self, receiver_factory: Callable[[], Receiver], flow: FlowControl | None = None) -> None:
        self.receiver_factory = receiver_factory
        self.receiver: Receiver | None = None
        self.flow = flow or FlowControl()
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters: list[asyncio.Future[None]] = []
        self._writing_paused = False
        self._reading_paused_by_flow = False
        self._reading_paused_by_user = False
        # reading yields for one loop iteration once bytes_received passes _yield_at_bytes (Fairness, module
        # docstring); _read_budget is FlowControl.read_bytes_per_turn where the loop reads many times an iteration
        self._reading_paused_by_turn = False
        self._read_budget = _UNBOUNDED if reads_once_per_iteration(self._loop) else self.flow.read_bytes_per_turn
        self._yield_at_bytes = self._read_budget
        self._error: BaseException | None = None
        self.peername: tuple[Any, ...] | None = None
        self.sockname: tuple[Any, ...] | None = None
        self.bytes_received = 0
        self.bytes_sent = 0
        # writes held until the next loop iteration (None: nothing written in this one yet)
        self._held: list[bytes] | None = None
        self._held_bytes = 0
        # one loop callback at the start of the next iteration: the callers of at_turn_end, then the held writes
        self._turn_pending = False
        self._turn_callbacks: list[Callable[[], None]] = []
        # where reads land: our own ReadBuffer until read_with names another; _filling gave the current room
        self.reader: Reader | None = None
        self._filling: Reader | None = None
        # reads that came while reading was paused (uvloop reads after a pause made in connection_made), kept for
        # the receiver until reading resumes; _yield_at_bytes is -1 meanwhile, so that such a read is noticed
        self._held_reads: list[bytes] = []
        self._release_pending = False
        # close() or abort() was called (a failed receiver aborts): bytes still held at the end are not handed over
        self._closed_by_us = False
        self._receiver_broken = False

    # ------------------------------------------------------------------ asyncio.Protocol callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it, so no isinstance check.
        self._transport = cast(asyncio.Transport, transport)
        self.peername = transport.get_extra_info("peername")
        self.sockname = transport.get_extra_info("sockname")
        low = self.flow.effective_low_water
        self._transport.set_write_buffer_limits(high=self.flow.high_water, low=low)
        self._set_nodelay(transport.get_extra_info("socket"))
        try:
            self.receiver = self.receiver_factory()
        except Exception as exc:
            log.exception("receiver_factory failed for connection %s; aborting it", self.describe())
            self._error = exc
            self.abort()
            return
        self._guard("on_connected", self.receiver.on_connected, self)
        if self._reading_paused_by_user or self._reading_paused_by_flow:
            self._hold_reads_until_resumed()

    def get_buffer(self, sizehint: int) -> memoryview:
        reader = self.reader
        if reader is None:
            reader = self.reader = _own_reader()
        self._filling = reader  # buffer_updated asks the reader that gave the room, even if read_with came between
        return reader.get_buffer(sizehint)

    def buffer_updated(self, nbytes: int) -> None:
        filling = self._filling
        if filling is None:
            raise TransportError(f"buffer_updated({nbytes}) without get_buffer on connection {self.describe()}")
        self._filling = None
        data = filling.received(nbytes)  # with the framer's kept remainder in front, which was counted before
        self.bytes_received = received = self.bytes_received + nbytes
        if received > self._yield_at_bytes:  # the only per-read cost: fairness, or a read that came while paused
            self._read_past_mark(data)
        else:
            self._hand_over(data)

    def read_with(self, reader: Reader) -> None:
        """Read from now on into ``reader``'s buffers (the receiver's framer, which then finds its kept remainder
        in front of each read). Call it from :meth:`Receiver.on_data` or between reads."""
        self.reader = reader

    def data_received(self, data: bytes) -> None:
        self.bytes_received = received = self.bytes_received + len(data)
        if received > self._yield_at_bytes:
            self._read_past_mark(data)
        else:
            self._hand_over(data)

    def _hand_over(self, data: bytes) -> None:
        """A read's bytes to the receiver (``_guard`` without its per-call arguments: once per read)."""
        receiver = self.receiver
        if receiver is not None:
            try:
                receiver.on_data(data)
            except Exception as exc:
                self._receiver_failed("on_data", exc)

    def eof_received(self) -> bool:
        # The peer shut its write side: FIX has no half-open use, so we close ours too (return False).
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._closed_by_us:
            self._read_what_tls_kept()
            self._hand_over_held_reads()
        error = self._error or exc
        self._wake_drain_waiters(error or ConnectionClosed(f"connection to {self.describe()} closed"))
        if not self._closed.done():
            self._closed.set_result(None)
        if self.receiver is not None:
            self._guard("on_disconnected", self.receiver.on_disconnected, error)

    def pause_writing(self) -> None:
        self._writing_paused = True
        if self.flow.pause_reading and self._transport is not None and not self._transport.is_closing():
            self._reading_paused_by_flow = True
            self._apply_reading()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake_drain_waiters(None)
        if self._reading_paused_by_flow:
            self._reading_paused_by_flow = False
            self._apply_reading()

    # ------------------------------------------------------------------ public API
    @property
    def is_closing(self) -> bool:
        """True once close or abort started, or the peer went away."""
        return self._transport is None or self._transport.is_closing() or self._closed.done()

    @property
    def writing_paused(self) -> bool:
        """True while the write buffer is above the high-water mark."""
        return self._writing_paused

    @property
    def is_reading(self) -> bool:
        """True while bytes from the peer are being read (not paused by flow control or the user; a yield to the
        rest of the event loop, which lasts one iteration, does not count as a pause)."""
        transport = self._transport
        if transport is None or transport.is_closing():
            return False
        if self._reading_paused_by_flow or self._reading_paused_by_user or self._held_reads:
            return False
        return self._reading_paused_by_turn or bool(transport.is_reading())

    @property
    def write_buffer_size(self) -> int:
        """Bytes queued for the peer and not yet handed to the kernel (held writes included)."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size() + self._held_bytes

    @property
    def error(self) -> BaseException | None:
        """Why the connection ended, when it ended on an error (None while open or after a clean close)."""
        return self._error

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """The asyncio transport's extra info (``peercert``, ``ssl_object``, ``socket``, ...)."""
        return default if self._transport is None else self._transport.get_extra_info(name, default)

    def describe(self) -> str:
        """``host:port`` of the peer, for log lines and errors."""
        if not self.peername:
            return "<not connected>"
        host, port = self.peername[0], self.peername[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"

    def write(self, data: bytes) -> None:
        """Queue ``data`` for the peer without waiting. Aborts the connection past ``FlowControl.max_buffer``.

        Raises :class:`ConnectionClosed` when the connection is closing or closed.
        """
        if not self.write_unless_closing(data):
            raise ConnectionClosed(
                f"cannot write {len(data)} bytes: connection to {self.describe()} is closed")

    def write_unless_closing(self, data: bytes) -> bool:
        """:meth:`write`, except that a connection closing or closed drops ``data`` and returns False instead of
        raising (for frames that are stored, which a ResendRequest brings back)."""
        transport = self._transport
        if transport is None or transport.is_closing() or self._closed.done():  # is_closing, inlined
            return False
        self.bytes_sent += len(data)
        held = self._held
        if held is None:
            transport.write(data)  # the first write of this loop iteration: at once
            self._held = []
            if not self._turn_pending:  # _schedule_turn_end, inlined (once per write on the round trip)
                self._turn_pending = True
                self._loop.call_soon(self._end_turn)
        else:
            held.append(data)  # more in the same iteration: one transport write for all at its end
            self._held_bytes += len(data)
        queued = transport.get_write_buffer_size() + self._held_bytes
        if queued > self.flow.max_buffer:
            self._overflow(queued)
        return True

    def at_turn_end(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` at the start of the next event-loop iteration, in the loop callback that hands the
        writes held meanwhile to the transport (before them, so that what it writes joins them in one send).

        Works whatever the connection's state (the callback runs after a close or abort too). An exception from
        the callback is logged; the other callbacks and the held writes still run."""
        self._turn_callbacks.append(callback)
        self._schedule_turn_end()

    def has_room(self, nbytes: int) -> bool:
        """True when ``nbytes`` more can be queued without passing ``FlowControl.max_buffer``."""
        return self.write_buffer_size + nbytes <= self.flow.max_buffer

    async def wait_for_room(self, nbytes: int) -> None:
        """Wait until ``nbytes`` more can be queued without passing ``FlowControl.max_buffer`` (or the buffer is
        empty, for a piece larger than the limit); raises if the connection ends first.

        For writers that pace a long output themselves (a resend). Under the high-water mark asyncio tells
        nothing until the buffer empties, so the wait then polls every ``_ROOM_POLL_S`` seconds.
        """
        while self.write_buffer_size and not self.has_room(nbytes):
            if self._writing_paused:
                await self.drain()
            else:
                self._check_open()
                await asyncio.sleep(_ROOM_POLL_S)
        self._check_open()

    def _check_open(self) -> None:
        if self._error is not None:
            raise self._error
        if self._closed.done() or self.is_closing:
            raise ConnectionClosed(f"connection to {self.describe()} is closed")

    async def drain(self) -> None:
        """Wait until the write buffer is under the low-water mark; raises if the connection ends first."""
        if self._error is not None:
            raise self._error
        if self._closed.done():
            raise ConnectionClosed(f"connection to {self.describe()} is closed")
        if not self._writing_paused:
            return
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._drain_waiters.append(waiter)
        try:
            await waiter
        finally:
            if waiter in self._drain_waiters:
                self._drain_waiters.remove(waiter)

    def pause_reading(self) -> None:
        """Stop reading from the peer (e.g. the engine's inbound queue is full) until :meth:`resume_reading`.
        """
        self._reading_paused_by_user = True
        self._apply_reading()

    def resume_reading(self) -> None:
        """Undo :meth:`pause_reading` (reading stays paused while flow control holds it)."""
        self._reading_paused_by_user = False
        self._apply_reading()

    def close(self) -> None:
        """Close after the queued bytes (held ones first) are written. Idempotent."""
        if self._transport is not None and not self._transport.is_closing():
            self._closed_by_us = True
            self._write_held()
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping the queued bytes. Idempotent."""
        self._held, self._held_bytes = None, 0
        if self._transport is not None:
            if not self._transport.is_closing():
                self._closed_by_us = True
            self._transport.abort()

    async def wait_closed(self) -> None:
        """Wait until the connection is fully closed (``on_disconnected`` was called)."""
        await asyncio.shield(self._closed)

    # ------------------------------------------------------------------ internals
    def _schedule_turn_end(self) -> None:
        if not self._turn_pending:
            self._turn_pending = True
            self._loop.call_soon(self._end_turn)

    def _end_turn(self) -> None:
        """The first callback of the iteration after a write or an :meth:`at_turn_end`: the callers' callbacks,
        then the held writes in one transport call."""
        callbacks = self._turn_callbacks
        if callbacks:
            self._turn_callbacks = []
            for callback in callbacks:
                try:
                    callback()
                except Exception:
                    log.exception("turn-end callback %r of connection %s failed", callback, self.describe())
        # cleared after the callbacks: a write they make is held and joins this send, not a new iteration's
        self._turn_pending = False
        self._write_held()
        if self._turn_callbacks:  # asked for by a callback above: the next iteration
            self._schedule_turn_end()

    def _write_held(self) -> None:
        """Hand the writes held since the first one of the last iteration to the transport, in one call."""
        held, self._held = self._held, None
        if not held:
            return
        self._held_bytes = 0
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # aborted or lost meanwhile: queued bytes are dropped as the transport drops its own
        transport.write(held[0] if len(held) == 1 else b"".join(held))
        queued = transport.get_write_buffer_size()
        if queued > self.flow.max_buffer:
            self._overflow(queued)

    def _set_nodelay(self, sock: socket.socket | None) -> None:
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            return  # a Unix socket or a test double: no Nagle to disable
        with contextlib.suppress(OSError):  # the socket may already be gone; nothing to tune then
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if self.flow.nodelay else 0)
    def _overflow(self, queued: int) -> None:
        message = (f"peer {self.describe()} is not reading: {queued} bytes queued exceed "
                   f"FlowControl.max_buffer={self.flow.max_buffer}; disconnecting")
        log.warning(message)
        self._error = WriteBufferOverflow(message)
        self.abort()

    def _yield_reading(self) -> None:
        """More than ``FlowControl.read_bytes_per_turn`` bytes were handed over since reading last yielded: pause
        reading until the next loop iteration, so that timers and the other connections run before the next read."""
        self._yield_at_bytes = self.bytes_received + self._read_budget
        transport = self._transport
        if self._reading_paused_by_turn or transport is None or transport.is_closing() or not transport.is_reading():
            return  # already yielding, closing, or paused for another reason: no read comes before the loop runs
        self._reading_paused_by_turn = True
        transport.pause_reading()
        self._loop.call_soon(self._end_yield)

    def _end_yield(self) -> None:
        """The loop ran one iteration since reading yielded: read again unless flow control or the user paused
        reading meanwhile (their resume will then restart it)."""
        self._reading_paused_by_turn = False
        self._apply_reading()

    def _read_past_mark(self, data: bytes) -> None:
        """A read took ``bytes_received`` past ``_yield_at_bytes``: either reading is paused and the loop read
        anyway (the bytes are held until reading resumes), or the fairness budget is spent (the bytes are handed
        over, then reading yields)."""
        if self._reading_paused_by_user or self._reading_paused_by_flow or self._held_reads:
            self._held_reads.append(data)
            self._apply_reading()
            return
        self._hand_over(data)
        self._yield_reading()

    def _hold_reads_until_resumed(self) -> None:
        """The receiver paused reading in ``on_connected``. asyncio honours that, uvloop does not: its
        ``_call_connection_made`` starts reading once ``connection_made`` returns, whatever was asked in it (a
        ``pause_reading`` before then finds the stream not reading and does nothing), and its poll phase can
        read before any callback of ours runs. So until reading resumes a read is held, not handed over, and the
        pause is applied again from the next loop callback, once the stream reads and can be stopped."""
        self._yield_at_bytes = -1
        self._loop.call_soon(self._apply_reading)

    def _end_read_hold(self) -> bool:
        """Reading may resume after :meth:`_hold_reads_until_resumed`: True while held reads still wait to be
        handed over (from a loop callback, before any new read, so that the bytes stay in order)."""
        if not self._held_reads:
            self._yield_at_bytes = self.bytes_received + self._read_budget
            return False
        if not self._release_pending:
            self._release_pending = True
            self._loop.call_soon(self._release_held_reads)
        return True

    def _release_held_reads(self) -> None:
        """Hand the reads held during a pause over as one ``bytes`` (the stream in order: the first one carries
        the framer's remainder in front, the others land after it), then read again."""
        self._release_pending = False
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # connection_lost hands them over
        if self._reading_paused_by_user or self._reading_paused_by_flow:
            return  # paused again meanwhile: the next resume comes back here
        self._yield_at_bytes = self.bytes_received + self._read_budget
        self._hand_over_held_reads()
        self._apply_reading()

    def _hand_over_held_reads(self) -> None:
        held = self._held_reads
        if held and not self._receiver_broken:
            self._held_reads = []
            self._hand_over(held[0] if len(held) == 1 else b"".join(held))

    def _read_what_tls_kept(self) -> None:
        """Hand over what the TLS layer still holds when the peer's TCP ended without a close_notify (see
        :func:`~pyfixmsg_plus.transport.tls.read_what_tls_kept`); a no-op on plain TCP, whose FIN follows every
        byte, all of which were read."""
        ssl_object = self.get_extra_info("ssl_object")
        if ssl_object is None or self.receiver is None:
            return
        recovered = read_what_tls_kept(ssl_object, self, lambda: not self._receiver_broken)
        self._filling = None  # the last room asked for was not filled
        if recovered:
            log.info("connection %s: read %d bytes the TLS layer still held when the peer's TCP ended without "
                     "a TLS close_notify", self.describe(), recovered)

    def _apply_reading(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        paused = self._reading_paused_by_flow or self._reading_paused_by_user or self._reading_paused_by_turn
        if not paused and self._yield_at_bytes < 0:  # the end of a pause that reads could slip past
            paused = self._end_read_hold()
        if paused and transport.is_reading():
            transport.pause_reading()
        elif not paused and not transport.is_reading():
            transport.resume_reading()

    def _wake_drain_waiters(self, exc: BaseException | None) -> None:
        for waiter in self._drain_waiters:
            if not waiter.done():
                if exc is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(exc)
        self._drain_waiters.clear()

    def _guard(self, name: str, callback: Any, *args: Any) -> None:
        # A receiver that raises must not take the event loop's protocol machinery with it: log the error with
        # the peer, and drop the connection (its state is unknown from now on).
        try:
            callback(*args)
        except Exception as exc:
            self._receiver_failed(name, exc)

    def _receiver_failed(self, name: str, exc: Exception) -> None:
        """The receiver's ``name`` raised ``exc`` (called from its except block): logged, the connection dropped."""
        log.exception("Receiver.%s failed for connection %s; aborting it", name, self.describe())
        self._receiver_broken = True
        if self._error is None:
            self._error = exc
        self.abort()

    def __repr__(self) -> str:
        state = "closed" if self.is_closing else "open"
        return f"Connection({self.describe()}, {state}, buffered={self.write_buffer_size})"
