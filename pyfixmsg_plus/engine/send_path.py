"""The runner's send path: outbound frames stored as the persistence mode says, then written, in MsgSeqNum order.

Durability: a frame is handed to the :class:`~pyfixmsg_plus.store.OutboundWriter` before it is written
(``before_send``: stored in sync/group mode, its number durably reserved in write_behind mode), and to
``after_send`` once written (write_behind queues it for a batch). A frame written to a connection that was replaced
or is closing is lost with it, never unstored: a ResendRequest(2) brings it back.

Latency: a plain send to an idle runner (frames and bookkeeping only, one small write, no admin frame for an
overridden ``toAdmin``) is executed in the sender's frame: with a store that commits without waiting (the memory
store) it costs no event-loop iteration; a store that waits finishes it in a task that holds the pump meanwhile.
The end of the iteration (see Bursts) is marked in the connection's own end-of-iteration callback
(:meth:`~pyfixmsg_plus.transport.Connection.at_turn_end`): a lone send costs one loop callback, not two.

Bursts: the first send of an event-loop iteration is executed at once, as above; sends that follow it in the
same iteration (500 orders handed over by as many tasks or in a loop) are queued and executed together at the
start of the next iteration, before any input read meanwhile: one store transaction and one socket write for
the burst instead of one per message (group commit of the moment). Their order, their numbering and
stored-before-written are unchanged; their senders' futures resolve once the burst is executed.

Pacing: a long run of frames (a ResendRequest answered with 100,000 stored messages) is stored and written in
pieces the connection's write buffer can take, each once the peer has read enough of the previous ones.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pyfixmsg_plus.eager import start_eagerly
from pyfixmsg_plus.engine.admin_hook import tell_admin
from pyfixmsg_plus.engine.session_timer import SessionTimer
from pyfixmsg_plus.session import ArmTimer, Output, SaveSequenceNumbers, SendFrame, Session, StoreTiming
from pyfixmsg_plus.session.config import ADMIN_MSG_TYPES
from pyfixmsg_plus.store import FrameRecord, OutboundWriter, new_record
from pyfixmsg_plus.transport import Connection, TransportError

if TYPE_CHECKING:
    from pyfixmsg_plus.application import Application
    from pyfixmsg_plus.message.codec import Codec
    from pyfixmsg_plus.message.fixmessage import FixMessage

log = logging.getLogger("pyfixmsg_plus.engine")

_NOT_STORED = StoreTiming.NOT_STORED
#: outputs that may be executed after the frames they sit between (they neither write nor wait)
FRAME_RUN_KINDS = frozenset({SendFrame, SaveSequenceNumbers, ArmTimer})
#: a run of frames is stored and written in pieces of at most this many frames and bytes (never more than half
#: FlowControl.max_buffer), each once the connection has room for it
_PIECE_FRAMES = 1000
_PIECE_BYTES = 1 << 20
#: a run of frames up to this many bytes (and _PIECE_FRAMES frames) is written at once, unpaced
_SMALL_RUN_BYTES = 64 * 1024


class SendPath:
    """Stores and writes the frames a session produced (mixed into :class:`~pyfixmsg_plus.engine.SessionRunner`).

    It uses the runner's connection, outbound writer, clock and pump (the queues ``_outputs``/``_inputs`` and
    the flags ``_pumping``/``_pump`` the runner keeps, and its ``_wake``, ``_run_pump``, ``_inside_pump``,
    ``_book``, ``_abort`` and ``decode``): a send either runs at once in the caller's frame or queues behind the
    pump, never beside it, so frames keep their MsgSeqNum(34) order.
    """

    # what the runner provides (set in SessionRunner.__init__)
    session: Session
    conn: Connection | None
    writer: OutboundWriter
    clock: Callable[[], float]  # wall time, seconds since the epoch
    app: Application
    codec: Codec
    _session_id: Any
    _notify_admin: bool
    _outputs: collections.deque[tuple[list[Output], Connection | None, asyncio.Future[None] | None]]
    _inputs: collections.deque[Any]  # (session input, connection): non-empty means the pump has work
    _pump: asyncio.Task[None] | None
    _pumping: bool
    _sent_this_turn: bool  # a send was executed in this event-loop iteration: later ones wait for its end
    _eager_step: bool  # the pump runs eagerly right now, in the caller's frame
    _timer: SessionTimer  # the session's heartbeat/TestRequest timer (ArmTimer)
    _saved_next_target: int  # the last next-target number handed to the inbound store
    _lane: Any  # the session's fastpath.SessionLane (steady-state receive and send in one call each)
    _store_timing: StoreTiming  # when the session's new frames are stored (before or after the write)

    if TYPE_CHECKING:

        def decode(self, frame: bytes) -> FixMessage: ...
        def _wake(self) -> None: ...
        def _inside_pump(self) -> bool: ...
        async def _run_pump(self) -> None: ...
        def _book(self, output: Output, now: float | None = None) -> None: ...
        def _abort(self, conn: Connection | None) -> None: ...

    def send_outputs(self, outputs: list[Output], now: float | None = None) -> asyncio.Future[None] | None:
        """Execute outputs the session just produced, after what is queued; returns a future to await until they
        were executed, or None when they already were (or when called from inside the pump, which must not
        wait on its own work: they are executed right after the current input's outputs). ``now`` (seconds
        since the epoch) is the time the session numbered them at, stored with the frames when they are stored
        at once (then equal to their SendingTime(52)); the clock's when None."""
        if not outputs:
            return None
        if self._inside_pump():
            self._outputs.append((outputs, self.conn, None))
            return None
        if self._sent_this_turn:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._outputs.append((outputs, self.conn, waiter))
            return waiter  # a later send of this iteration: executed with the others at its end (_end_turn)
        conn = self._claim_turn()
        if not self._pumping and not self._outputs and not self._inputs:
            plain = self._plain_send(outputs, now)
            if plain is not None:
                return self._send_at_once(plain[0], plain[1], outputs, conn)
        waiter = asyncio.get_running_loop().create_future()
        self._outputs.append((outputs, self.conn, waiter))
        self._wake()  # an idle pump executes them at once, in this frame
        if waiter.done() and waiter.exception() is None:
            return None
        return waiter

    def _claim_turn(self) -> Connection | None:
        """Mark this loop iteration's first send and schedule its end (:meth:`_end_turn`, the loop callback
        that also writes the iteration's held bytes); returns the connection to write to."""
        self._sent_this_turn = True
        conn = self.conn
        if conn is not None:
            conn.at_turn_end(self._end_turn)
        else:
            asyncio.get_running_loop().call_soon(self._end_turn)
        return conn

    def send_fields_now(self, msg_type: str, fields: Sequence[tuple[int, Any]]) -> asyncio.Future[None] | None:
        """``Session.send`` then :meth:`send_outputs`, in one call for the usual send: the session's lane
        numbers and encodes the message (``SessionLane.send``) and, when the runner is idle and this is the
        iteration's first send, its frame is stored and written here (:meth:`_send_record_at_once`); anything
        else takes the general path, with the same results. Returns as :meth:`send_outputs` does."""
        now = self.clock()  # SendingTime(52) and the stored record's time: one instant
        record = self._lane.send(msg_type, fields, now)
        if record is None:
            return self.send_outputs(self.session.send(msg_type, fields, now), now)
        if self._eager_step:  # sent from a callback the pump runs in this frame: after that input's outputs
            self._outputs.append(([SendFrame(record.data, record.seq_num, msg_type, self._store_timing)], self.conn,
                                  None))  # fmt: skip
            return None
        if (
            self._sent_this_turn or self._pumping or self._outputs or self._inputs or self._inside_pump()
            or len(record.data) > _SMALL_RUN_BYTES or (self._notify_admin and msg_type in ADMIN_MSG_TYPES)
        ):  # fmt: skip
            return self.send_outputs([SendFrame(record.data, record.seq_num, msg_type, self._store_timing)], now)
        return self._send_record_at_once(record, self._claim_turn())

    def _send_record_at_once(
        self, record: FrameRecord, conn: Connection | None, report: bool = True
    ) -> asyncio.Future[None] | None:
        """:meth:`_send_at_once` of one new frame (its store ``record``): stored, written, handed to
        write-behind, with no bookkeeping output to execute (the lane's steady state has none)."""
        records = [record]
        writer = self.writer
        try:
            started = writer.before_send_now(records)
            pending = None if started is None else start_eagerly(started)
            if pending is None:  # stored (write_behind: reserved) without waiting
                if conn is not None and conn is self.conn:
                    conn.write_unless_closing(record.data)
                writer.after_send(records)
                return None
        except Exception as exc:
            return self._send_failed(exc, conn, report)
        frames = [SendFrame(record.data, record.seq_num, record.msg_type, self._store_timing)]
        return self._finish_send_in_task(pending, frames, records, list(frames), conn, report)

    def _plain_send(
        self, outputs: list[Output], now: float | None
    ) -> tuple[list[SendFrame], list[FrameRecord]] | None:
        """The frames of a plain send and the store records of those stored (stamped ``now``, seconds since the
        epoch; the clock's when None), in one pass; None when the send is not plain: anything but frames and
        bookkeeping, more than one unpaced write, or a frame for ``toAdmin`` (an application that overrides it
        sees admin frames only: its application frames go at once)."""
        if now is None:
            now = self.clock()
        notify_admin = self._notify_admin
        frames: list[SendFrame] = []
        records: list[FrameRecord] = []
        size = 0
        for output in outputs:
            kind = type(output)
            if kind is SendFrame:
                sent: SendFrame = output  # type: ignore[assignment]
                if notify_admin and sent.msg_type in ADMIN_MSG_TYPES:
                    return None  # toAdmin may change it before it is stored and written (tell_admin)
                size += len(sent.frame)
                frames.append(sent)
                if sent.store is not _NOT_STORED:  # resent frames and gap fills are not stored again
                    records.append(FrameRecord(sent.seqnum, sent.msg_type, now, sent.frame))
            elif kind not in FRAME_RUN_KINDS:
                return None
        return (frames, records) if size <= _SMALL_RUN_BYTES else None

    def send_queued_at_once(self) -> bool:
        """The sends that callbacks queued while a read was executed in the caller's frame (one output list, no
        input behind it), executed as a plain send instead of by the pump's coroutines, once that read is done
        (where the pump would take them up). True when they were executed (or handed to a task holding the pump,
        when the store must wait); False when the pump must run (they are not plain, or more is queued)."""
        queued = self._outputs
        if self._pumping or self._inputs or len(queued) != 1:
            return False
        outputs, conn, waiter = queued[0]
        sent = outputs[0] if waiter is None and len(outputs) == 1 else None
        if (
            type(sent) is SendFrame and sent.store is not _NOT_STORED and len(sent.frame) <= _SMALL_RUN_BYTES
            and not (self._notify_admin and sent.msg_type in ADMIN_MSG_TYPES)
        ):  # fmt: skip
            # a callback's one new frame (send_fields_nowait from fromApp): a plain send of its own, at once
            queued.popleft()
            self._send_record_at_once(new_record((sent.seqnum, sent.msg_type, self.clock(), sent.frame)), conn, False)
            return True
        plain = None if waiter is not None else self._plain_send(outputs, None)
        if plain is None:
            return False
        queued.popleft()
        # failures are logged and drop the connection there, as the pump does; nobody waits for this send
        self._send_at_once(plain[0], plain[1], outputs, conn, report=False)
        return True

    def _send_at_once(
        self, frames: list[SendFrame], records: list[FrameRecord], outputs: list[Output], conn: Connection | None,
        report: bool = True,
    ) -> asyncio.Future[None] | None:
        """What the pump would do with a plain send (``frames`` and their store ``records``, from ``outputs``),
        in the caller's frame and without its coroutines: store the frames (a store that commits without waiting,
        as the memory store, finishes here), write them, then the bookkeeping. When the store has to wait, a task
        finishes the send and holds the pump meanwhile, so that later sends and reads queue behind it as they
        would behind the pump. Returns None when done, else a future resolved once done (or failed with the
        error that dropped the connection). With ``report`` False no future is made (nobody would retrieve it):
        None is returned."""
        try:
            started = self.writer.before_send_now(records) if records else None
            pending = None if started is None else start_eagerly(started)
            if pending is None:
                self._after_store(frames, records, outputs, conn)
                return None
        except Exception as exc:
            return self._send_failed(exc, conn, report)
        return self._finish_send_in_task(pending, frames, records, outputs, conn, report)

    def _send_failed(self, exc: Exception, conn: Connection | None, report: bool) -> asyncio.Future[None] | None:
        """A send executed at once failed: logged, the connection dropped (as the pump does), and a future
        holding the error when ``report`` (else None: nobody would retrieve it)."""
        log.exception("session %s: executing session effects failed; disconnecting", self._session_id, exc_info=exc)
        self._abort(conn)
        if not report:
            return None
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failed.set_exception(exc)
        return failed

    def _finish_send_in_task(
        self, pending: Awaitable[Any], frames: list[SendFrame], records: list[FrameRecord], outputs: list[Output],
        conn: Connection | None, report: bool,
    ) -> asyncio.Future[None] | None:  # fmt: skip
        """The store has to wait: a task finishes the send and holds the pump meanwhile; a future resolved once
        done when ``report``."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] | None = loop.create_future() if report else None
        self._pumping = True
        self._pump = loop.create_task(self._send_after_store(pending, frames, records, outputs, conn, waiter))
        return waiter

    async def _send_after_store(
        self, pending: Awaitable[Any], frames: list[SendFrame], records: list[FrameRecord],
        outputs: list[Output], conn: Connection | None, waiter: asyncio.Future[None] | None,
    ) -> None:  # fmt: skip
        """The rest of :meth:`_send_at_once` once the store committed, then whatever queued meanwhile."""
        try:
            try:
                await pending
                self._after_store(frames, records, outputs, conn)
            except Exception as exc:
                log.exception("session %s: executing session effects failed; disconnecting", self._session_id)
                self._abort(conn)
                if waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
            else:
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            await self._run_pump()
        finally:
            self._pump = None
            self._pumping = False

    def _after_store(
        self, frames: list[SendFrame], records: list[FrameRecord], outputs: list[Output], conn: Connection | None
    ) -> None:
        """A plain send's frames are stored: write them, hand them to write-behind, then the bookkeeping."""
        self._write(frames, conn)
        if records:
            self.writer.after_send(records)
        for output in outputs:
            kind = type(output)
            if kind is ArmTimer:
                self._timer.arm(output.deadline)  # type: ignore[union-attr]
            elif kind is SaveSequenceNumbers:
                # a send moves only the sender's number, which the stored frames cover: nothing to book
                if output.next_target != self._saved_next_target:  # type: ignore[union-attr]
                    self._book(output)
            elif kind is not SendFrame:
                self._book(output)

    def _end_turn(self) -> None:
        """The first callback of the event-loop iteration after a send: execute the sends queued behind it."""
        self._sent_this_turn = False
        if self._outputs:
            self._wake()

    async def _write_paced(self, frames: Sequence[SendFrame], conn: Connection | None) -> None:
        """Frames in pieces the write buffer can take (``_PIECE_BYTES``, ``_PIECE_FRAMES``), each stored and
        written once the peer has read enough of the previous ones: a ResendRequest(2) answered with 100k
        stored messages must not queue past FlowControl.max_buffer (the engine would drop a peer that reads)."""
        start, count = 0, len(frames)
        if count == 1 or conn is None or _piece_end(frames, 0, _SMALL_RUN_BYTES)[0] == count:
            await self._write_frames(frames, conn)  # the usual case: one write, no pacing
            return
        limit = max(1, min(_PIECE_BYTES, conn.flow.max_buffer // 2))
        while start < count:
            end, size = _piece_end(frames, start, limit)
            if conn is self.conn and not conn.is_closing and not conn.has_room(size):
                with contextlib.suppress(TransportError):  # gone meanwhile: the rest is stored, not written
                    await conn.wait_for_room(size)
            await self._write_frames(frames if end - start == count else frames[start:end], conn)
            start = end

    async def _write_frames(self, frames: Sequence[SendFrame], conn: Connection | None) -> None:
        """Store (sync/group) or reserve (write_behind) the frames, write them, then hand them to write-behind."""
        if self._notify_admin:
            frames = await tell_admin(frames, self.app, self.codec, self.decode, self._session_id)
        records = self._records(frames)
        if records:
            pending = self.writer.before_send_now(records)
            if pending is not None:
                await pending
        self._write(frames, conn)
        if records:
            self.writer.after_send(records)

    def _records(self, frames: Sequence[SendFrame], now: float | None = None) -> list[FrameRecord]:
        """The store records of the frames that are stored (resent frames and gap fills are not), stamped
        ``now`` (seconds since the epoch; the clock's when None)."""
        if now is None:
            now = self.clock()
        return [FrameRecord(f.seqnum, f.msg_type, now, f.frame) for f in frames if f.store is not _NOT_STORED]

    def _write(self, frames: Sequence[SendFrame], conn: Connection | None) -> None:
        """The frames to the connection in one write, unless it was replaced or is closing (then they are lost
        with it: they are stored, and a ResendRequest brings them back)."""
        if frames and conn is not None and conn is self.conn:
            conn.write_unless_closing(frames[0].frame if len(frames) == 1 else b"".join(f.frame for f in frames))


def _piece_end(frames: Sequence[SendFrame], start: int, limit: int) -> tuple[int, int]:
    """End (exclusive) and size in bytes of the piece of ``frames`` from ``start`` on: at most
    ``_PIECE_FRAMES`` frames and ``limit`` bytes, and at least one frame."""
    end, size, count = start, 0, len(frames)
    while end < count and end - start < _PIECE_FRAMES:
        length = len(frames[end].frame)
        if end > start and size + length > limit:
            break
        size += length
        end += 1
    return end, size
