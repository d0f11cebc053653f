"""Runs one sans-I/O session: feeds it what the transport reads, executes its effects, calls the application.

The :class:`SessionRunner` is the only code that does I/O for its session. It is also the transport's
:class:`~pyfixmsg_plus.transport.Receiver` for the session's connection (the acceptor router hands it an
accepted connection once the Logon named the session).

Ordering rule: frames reach the socket in MsgSeqNum(34) order. Session inputs that arrive from the transport
(connection made, bytes, connection lost) are queued and fed to the session by one pump, one at a time;
the outputs of each input are executed completely (awaiting the store where the persistence mode requires it)
before the next input is fed. Outputs produced meanwhile by the application (``send``) or by the timer are
executed before the next transport input, in the order the session numbered them.

Latency: the pump starts eagerly (:func:`~pyfixmsg_plus.eager.start_eagerly`) in the frame of whoever
woke it (the socket read callback, the timer, the sender's coroutine) and becomes a task only when it has to
wait (a store transaction, an async application callback). With a memory store and plain callbacks a send
and a received message each cost no event-loop iteration of their own.

Bursts: the first send of an event-loop iteration is executed at once, as above; sends that follow it in the
same iteration (500 orders handed over by as many tasks or in a loop) are queued and executed together at the
start of the next iteration, before any input read meanwhile: one store transaction and one socket write for
the burst instead of one per message (group commit of the moment). Their order, their numbering and
stored-before-written are unchanged; their senders' futures resolve once the burst is executed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application, LogonDecision, call_maybe_async
from pyfixmsg_plus.eager import start_eagerly
from pyfixmsg_plus.engine.admin_hook import tell_admin
from pyfixmsg_plus.engine.session_timer import SessionTimer
from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.session import (
    ArmTimer,
    BatchReceived,
    Disconnect,
    FetchResend,
    FrameIgnored,
    LoggedOn,
    LoggedOut,
    MessageReceived,
    Output,
    RejectSent,
    ResetStore,
    SaveSequenceNumbers,
    SendFrame,
    Session,
    SessionState,
    StateChanged,
    StoreInbound,
    StoreInboundRun,
    StoreTiming,
)
from pyfixmsg_plus.session.batch import per_frame_groups, restrict
from pyfixmsg_plus.session.schedule import SessionSchedule
from pyfixmsg_plus.session.states import CONNECTED_STATES
from pyfixmsg_plus.store import (
    FrameRecord,
    InboundWriter,
    MessageStore,
    OutboundWriter,
    SessionKey,
)
from pyfixmsg_plus.store.contract import msg_type_of
from pyfixmsg_plus.transport import Connection, TransportError

log = logging.getLogger("pyfixmsg_plus.engine")

Clock = Callable[[], float]
SessionInput = Callable[[], list[Output]]
_NOT_STORED = StoreTiming.NOT_STORED
_REJECT = "3"  # Reject(35=3): also reported to Application.onReject
#: Text(58) of the Logout answering a Logon outside StartTime..EndTime (QuickFIX's wording)
OUTSIDE_SESSION_TIME = "Logon attempt not within session time"
#: outputs that may be executed after the frames they sit between (they neither write nor wait)
_FRAME_RUN_KINDS = frozenset({SendFrame, SaveSequenceNumbers, ArmTimer})
#: output lists merged into one execution (bounds one store transaction and one write)
_MAX_MERGED_OUTPUTS = 4096
#: a run of frames is stored and written in pieces of at most this many frames and bytes (never more than half
#: FlowControl.max_buffer), each once the connection has room for it
_PIECE_FRAMES = 1000
_PIECE_BYTES = 1 << 20
#: a run of frames up to this many bytes (and _PIECE_FRAMES frames) is written at once, unpaced
_SMALL_RUN_BYTES = 64 * 1024


def overrides(app: object, name: str) -> bool:
    """True when ``app``'s class replaces :class:`Application`'s ``name`` (saves decoding for no-op hooks)."""
    mine = getattr(type(app), name, None)
    return mine is not None and mine is not getattr(Application, name, None)


class SessionNotDisconnected(RuntimeError):
    """An operation that needs the session disconnected was asked while a connection uses it."""


class SessionRunner:
    """Executes one :class:`Session`'s effects and hands its events to the application.

    ``writer`` stores outbound frames as the persistence mode says (sync / group / write_behind); ``inbound``
    stores received frames and the expected inbound number in batches. Each read is framed once here and handed
    to the session as a FrameIndex. ``deliver_per_frame`` feeds the session one frame at a time (a run of
    consecutive batch-type frames stays together) so that messages the application sends from a callback go out
    before the replies to the frames that followed in the same read (QuickFIX's order). ``clock`` gives wall
    time in seconds since the epoch. ``schedule`` is the session time (StartTime/EndTime): a Logon outside it
    is refused, and a store created in an earlier period is reset before the next Logon.
    """

    def __init__(
        self,
        session: Session,
        app: Application,
        codec: Codec,
        store: MessageStore,
        key: SessionKey,
        writer: OutboundWriter,
        inbound: InboundWriter,
        *,
        deliver_per_frame: bool = False,
        clock: Clock = time.time,
        schedule: SessionSchedule | None = None,
    ) -> None:
        self.session = session
        # BeginString and CompIDs never change after construction: one SessionID for every callback
        self._session_id = session.session_id
        self.app = app
        self.codec = codec
        self.store = store
        self.key = key
        self.writer = writer
        self.inbound = inbound
        self.deliver_per_frame = deliver_per_frame
        self.clock = clock
        self.schedule = schedule if schedule is not None else SessionSchedule()
        self.conn: Connection | None = None
        self.claimed = False
        self._saved_next_target = 0  # the last next-target number handed to the inbound store
        self._reset_lock = asyncio.Lock()  # one sequence reset at a time (schedule task, Logon, operator)
        self._inputs: collections.deque[tuple[SessionInput, Connection | None]] = collections.deque()
        self._outputs: collections.deque[
            tuple[list[Output], Connection | None, asyncio.Future[None] | None]
        ] = collections.deque()
        self._pump: asyncio.Task[None] | None = None  # the task finishing a pump that had to wait
        self._pumping = False  # a pump is running: eagerly in a caller's frame, or in ``_pump``
        self._eager_step = False  # the pump runs eagerly right now (the caller's frame is the pump's)
        self._sent_this_turn = False  # a send was executed in this event-loop iteration: later ones wait for its end
        self._timer = SessionTimer(clock, self._on_timer)
        self._framer: Any = None
        self._logon_decision: LogonDecision | None = None
        self._state_waiters: list[asyncio.Future[None]] = []  # woken at every state change
        batch_types = frozenset(app.batch_msg_types) if overrides(app, "onBatch") else frozenset()
        self._batch_types = frozenset(t.encode("latin-1") for t in batch_types)  # as FrameIndex.msgtype gives
        self._notify_admin = overrides(app, "toAdmin")
        session.set_batch_msg_types(batch_types)
        session.set_logon_check(self._check_logon)
        session.add_listener(self._on_state_change)

    # ------------------------------------------------------------------ identity and state
    @property
    def session_id(self) -> Any:
        """The session's :class:`~pyfixmsg_plus.session.SessionID` (what the application callbacks receive)."""
        return self._session_id

    @property
    def state(self) -> SessionState:
        """The session's current state."""
        return self.session.state

    async def wait_for(self, predicate: Callable[[SessionState], bool], timeout: float | None) -> bool:
        """Wait until ``predicate(state)`` holds (seconds); False when ``timeout`` passed first.

        The caller resumes in the loop iteration after the change (a future per wait, no helper task), so code
        that waits for a state acts on it before code that only polls the state later."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate(self.session.state):
            if deadline is not None and loop.time() >= deadline:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._state_waiters.append(waiter)
            expiry = None if deadline is None else loop.call_at(deadline, _wake_waiter, waiter)
            try:
                await waiter
            finally:
                if expiry is not None:
                    expiry.cancel()
                if waiter in self._state_waiters:
                    self._state_waiters.remove(waiter)
        return True

    def _on_state_change(self, old: SessionState, new: SessionState) -> None:
        waiters, self._state_waiters = self._state_waiters, []
        for waiter in waiters:
            _wake_waiter(waiter)

    # ------------------------------------------------------------------ store recovery
    async def recover(self) -> None:
        """Restore both sequence numbers from the store (above every number write-behind may have sent)."""
        state = await self.writer.recover()
        self._saved_next_target = state.next_target_seqnum
        self.session.restore(state.resume_sender_seqnum, state.next_target_seqnum)

    async def start_new_period_if_due(self) -> bool:
        """QuickFIX's new-period reset: when the store was created in an earlier session period than now, both
        sequence numbers go back to 1 (store and session) before the next Logon. True when it reset.

        The schedule task and a routed Logon may both ask at StartTime: the lock makes the second see the first's
        reset, and the state is checked again after the store query, since a session may have logged on meanwhile.
        """
        if self.schedule.always:
            return False
        async with self._reset_lock:
            if self.session.state in CONNECTED_STATES:
                return False
            now = self.clock()
            if not self.schedule.is_in_session(now):
                return False
            created = await self.store.creation_time(self.key)
            if self.schedule.same_period(created, now) or self.session.state in CONNECTED_STATES:
                return False
            log.info("session %s: new session period (store created %s): sequence numbers reset to 1",
                     self.session_id, time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created)))
            await self._restart_numbers()
            return True

    async def reset_while_disconnected(self) -> None:
        """Both sequence numbers back to 1 in the session and the store; refused while a connection uses them
        (while Active, a Logon with ResetSeqNumFlag(141)=Y is the way)."""
        async with self._reset_lock:
            await self.flush()
            if self.claimed or self.session.state in CONNECTED_STATES:
                raise SessionNotDisconnected(
                    f"cannot reset the sequence numbers of session {self.session_id} while it is "
                    f"{self.session.state.value}: log off first, or reset while Active (Logon with 141=Y)"
                )
            await self._restart_numbers()

    async def _restart_numbers(self) -> None:
        # the session first, with no await since the caller's state check: a connection coming up during the
        # store reset then starts from 1 as well, never a session at N over a store at 1 (a reused number)
        self.session.restore(1, 1)
        await self._reset_store()

    async def set_sequence_numbers(self, incoming: int | None, outgoing: int | None) -> None:
        """Set the next expected inbound and/or next outbound MsgSeqNum(34), in the session and the store."""
        await self.flush()
        await self.store.set_sequence_numbers(self.key, incoming_seqnum=incoming, outgoing_seqnum=outgoing)
        self._saved_next_target = 0  # the store's number changed under us: save the next one again
        await self.writer.recover()  # write-behind: the reservation may have been lowered
        # an operator's decision, allowed while connected too (as the original engine did)
        self.session.set_sequence_numbers(next_sender=outgoing, next_target=incoming)

    async def flush(self) -> None:
        """Wait until every queued input and output is executed and the writers stored what they hold."""
        if (self._outputs or self._inputs) and not self._pumping:
            self._wake()  # sends queued behind this iteration's first one: executed now, not at the iteration's end
        while self._pump is not None and not self._pump.done():
            if self._inside_pump():
                break
            await asyncio.shield(self._pump)
        await self.writer.flush()
        await self.inbound.flush()

    async def close(self) -> None:
        """Stop the timer, execute what is queued, and flush and close the writers (the store stays open)."""
        self._cancel_timer()
        await self.flush()
        await self.writer.close()
        await self.inbound.close()

    # ------------------------------------------------------------------ transport Receiver
    def claim(self) -> bool:
        """Reserve the session for a connection being routed to it; False when another already has it."""
        if self.claimed or self.session.state in CONNECTED_STATES:
            return False
        self.claimed = True
        return True

    def release(self) -> None:
        """Undo :meth:`claim` (the routed connection went away before it was bound)."""
        if self.conn is None:
            self.claimed = False

    def on_connected(self, conn: Connection) -> None:
        """A connection for this session is open."""
        self.conn = conn
        self.claimed = True
        self._framer = _impl.load("framing").Framer()
        self._enqueue_input(self._open_session, conn)

    def on_data(self, data: bytes) -> None:
        """Bytes read from the session's connection: framed once, then fed to the session as a FrameIndex."""
        if self._framer is None:
            self._framer = _impl.load("framing").Framer()
        index = self._framer.feed(data)
        if not len(index):
            return  # only part of a frame so far: the framer keeps it
        conn = self.conn
        if not self.deliver_per_frame:
            self._inputs.append((functools.partial(self._receive, index), conn))
        else:
            for positions in per_frame_groups(index, self._batch_types):
                self._inputs.append((functools.partial(self._receive, restrict(index, positions)), conn))
        self._wake()  # once all are queued: one pump runs them in order

    def _receive(self, index: Any) -> list[Output]:
        return self.session.receive_index(index, self.clock())

    def on_disconnected(self, exc: BaseException | None) -> None:
        """The session's connection closed (either side, or an error)."""
        if exc is not None:
            log.info("session %s: connection lost: %s", self.session_id, exc)
        self.conn = None
        self.claimed = False
        self._framer = None
        self._enqueue_input(lambda: self.session.connection_lost(self.clock()), None)

    def _open_session(self) -> list[Output]:
        now = self.clock()
        outputs: list[Output] = []
        if self.session.config.is_initiator and self.session.state in (
            SessionState.DISCONNECTED,
            SessionState.RECONNECTING,
        ):
            outputs.extend(self.session.start(now))
        outputs.extend(self.session.connection_made(now))
        return outputs

    # ------------------------------------------------------------------ Logon check (application hook)
    async def prepare_logon(self, frame: bytes) -> None:
        """Before the session sees a received Logon(35=A): start a new period when one began (sequence reset),
        then ask the application (async hooks allowed) unless the Logon is outside session time."""
        await self.start_new_period_if_due()
        if not overrides(self.app, "onLogonRequest") or not self.schedule.is_in_session(self.clock()):
            return
        message = self.decode(frame)
        self._logon_decision = await self.app.check_logon(message, self.session_id)

    def _check_logon(self, pairs: list[tuple[int, bytes]]) -> str | None:
        """The session's logon_check: the decision prepared for this Logon, else the plain hook's answer."""
        decision, self._logon_decision = self._logon_decision, None
        if not self.schedule.is_in_session(self.clock()):
            # QuickFIX: a Logon outside StartTime..EndTime is answered by Logout and the connection closed
            log.warning("session %s: Logon refused: outside session time %r", self.session_id, self.schedule)
            return OUTSIDE_SESSION_TIME
        if decision is None and overrides(self.app, "onLogonRequest"):
            message = FixMessage({tag: value.decode("latin-1") for tag, value in pairs})
            message.codec = self.codec
            answer = self.app.onLogonRequest(message, self.session_id)
            if asyncio.iscoroutine(answer):
                answer.close()
                log.warning(
                    "session %s: async onLogonRequest is consulted on the acceptor's first Logon only; "
                    "this Logon is accepted", self.session_id)
                return None
            decision = LogonDecision(answer is None or answer is True, answer if isinstance(answer, str) else None)
            if answer is False:
                decision = LogonDecision(False, "Logon refused")
        if decision is None or decision.accepted:
            return None
        log.warning("session %s: Logon refused by the application: %s", self.session_id, decision.text)
        return decision.text or "Logon refused"

    # ------------------------------------------------------------------ application side
    def send_outputs(self, outputs: list[Output]) -> asyncio.Future[None] | None:
        """Execute outputs the session just produced, after what is queued; returns a future to await until they
        were executed, or None when they already were (or when called from inside the pump, which must not
        wait on its own work: they are executed right after the current input's outputs)."""
        if not outputs:
            return None
        if self._inside_pump():
            self._outputs.append((outputs, self.conn, None))
            return None
        loop = asyncio.get_running_loop()
        if self._sent_this_turn:
            waiter: asyncio.Future[None] = loop.create_future()
            self._outputs.append((outputs, self.conn, waiter))
            return waiter  # a later send of this iteration: executed with the others at its end (_end_turn)
        self._sent_this_turn = True
        loop.call_soon(self._end_turn)
        if not self._pumping and self._sendable_at_once(outputs):
            return self._send_at_once(outputs, self.conn)
        waiter = loop.create_future()
        self._outputs.append((outputs, self.conn, waiter))
        self._wake()  # an idle pump executes them at once, in this frame
        if waiter.done() and waiter.exception() is None:
            return None
        return waiter

    def _sendable_at_once(self, outputs: list[Output]) -> bool:
        """A plain send to an idle runner: frames and bookkeeping only, for one unpaced write, no toAdmin."""
        if self._notify_admin or self._outputs or self._inputs:
            return False
        size = 0
        for output in outputs:
            kind = type(output)
            if kind is SendFrame:
                size += len(output.frame)  # type: ignore[union-attr]
            elif kind not in _FRAME_RUN_KINDS:
                return False
        return size <= _SMALL_RUN_BYTES

    def _send_at_once(self, outputs: list[Output], conn: Connection | None) -> asyncio.Future[None] | None:
        """What the pump would do with a plain send, in the caller's frame and without its coroutines: store the
        frames (a store that commits without waiting, as the memory store, finishes here), write them, then the
        bookkeeping. When the store has to wait, a task finishes the send and holds the pump meanwhile, so that
        later sends and reads queue behind it as they would behind the pump. Returns None when done, else a
        future resolved once done (or failed with the error that dropped the connection)."""
        frames = [output for output in outputs if type(output) is SendFrame]
        records = self._records(frames)
        try:
            pending = start_eagerly(self.writer.before_send(records)) if records else None
            if pending is None:
                self._after_store(frames, records, outputs, conn)
                return None
        except Exception as exc:
            log.exception("session %s: executing session effects failed; disconnecting", self._session_id)
            self._abort(conn)
            failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            return failed
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        self._pumping = True
        self._pump = loop.create_task(
            self._send_after_store(pending, frames, records, outputs, conn, waiter))
        return waiter

    async def _send_after_store(
        self, pending: Awaitable[Any], frames: list[SendFrame], records: list[FrameRecord],
        outputs: list[Output], conn: Connection | None, waiter: asyncio.Future[None],
    ) -> None:  # fmt: skip
        """The rest of :meth:`_send_at_once` once the store committed, then whatever queued meanwhile."""
        try:
            try:
                await pending
                self._after_store(frames, records, outputs, conn)
            except Exception as exc:
                log.exception("session %s: executing session effects failed; disconnecting", self._session_id)
                self._abort(conn)
                if not waiter.done():
                    waiter.set_exception(exc)
            else:
                if not waiter.done():
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
            if type(output) is not SendFrame:
                self._book(output)

    def _end_turn(self) -> None:
        """The first callback of the event-loop iteration after a send: execute the sends queued behind it."""
        self._sent_this_turn = False
        if self._outputs:
            self._wake()

    def decode(self, frame: bytes) -> FixMessage:
        """A received frame as a FixMessage (the frame kept as ``raw_message``, as pyfixmsg's from_buffer)."""
        message = self.codec.parse_message(frame)
        message.raw_message = frame
        return message

    # ------------------------------------------------------------------ the pump
    def _enqueue_input(self, call: SessionInput, conn: Connection | None) -> None:
        self._inputs.append((call, conn))
        self._wake()

    def _wake(self) -> None:
        """Start the pump unless it runs: eagerly, so that work needing no wait costs no loop iteration."""
        if self._pumping:
            return
        self._pumping = self._eager_step = True
        try:
            task = start_eagerly(self._run_pump())
        finally:
            self._eager_step = False
        if task is not None:
            self._pump = task

    def _inside_pump(self) -> bool:
        """True when the caller runs inside the pump (an application callback it called, directly or not)."""
        return self._eager_step or (self._pump is not None and asyncio.current_task() is self._pump)

    async def _run_pump(self) -> None:
        try:
            while True:
                if self._outputs:
                    await self._execute_queued_outputs()
                elif self._inputs:
                    call, conn = self._inputs.popleft()
                    try:
                        outputs = call()
                    except Exception:
                        log.exception("session %s: the session failed on an input; disconnecting",
                                      self.session_id)
                        self._abort(conn)
                        continue
                    await self._execute_guarded(outputs, conn)
                else:
                    break
        finally:
            self._pump = None
            self._pumping = False

    async def _execute_queued_outputs(self) -> None:
        """Every queued output list of the same connection at once: their frames form one store transaction
        (group commit) and one socket write, in the order the session numbered them."""
        outputs, conn, waiter = self._outputs.popleft()
        waiters = [waiter]
        merged = list(outputs)
        while self._outputs and self._outputs[0][1] is conn and len(merged) < _MAX_MERGED_OUTPUTS:
            more, _, more_waiter = self._outputs.popleft()
            merged.extend(more)
            waiters.append(more_waiter)
        await self._execute_guarded(merged, conn, waiters)

    async def _execute_guarded(
        self, outputs: list[Output], conn: Connection | None, waiters: Sequence[asyncio.Future[None] | None] = ()
    ) -> None:
        try:
            await self._execute(outputs, conn)
        except Exception as exc:
            log.exception("session %s: executing session effects failed; disconnecting", self.session_id)
            self._abort(conn)
            for waiter in waiters:
                if waiter is not None and not waiter.done():
                    waiter.set_exception(exc)
            return
        for waiter in waiters:
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _execute(self, outputs: Sequence[Output], conn: Connection | None) -> None:
        """Carry out outputs in order; consecutive frames are stored together then written in one call."""
        i, count = 0, len(outputs)
        while i < count:
            output = outputs[i]
            kind = type(output)
            if kind is SendFrame:
                # frames separated only by bookkeeping (numbers saved, timer re-armed) go out together
                frames: list[SendFrame] = []
                later: list[Output] = []
                while i < count and type(outputs[i]) in _FRAME_RUN_KINDS:
                    (frames if type(outputs[i]) is SendFrame else later).append(outputs[i])  # type: ignore[arg-type]
                    i += 1
                await self._write_paced(frames, conn)
                if later:
                    await self._execute(later, conn)
                continue
            if kind is MessageReceived:
                pending = self._deliver(output)  # type: ignore[arg-type]
                if pending is not None:
                    await pending
            elif kind is BatchReceived:
                await call_maybe_async(self.app.onBatch, output.index, self.session_id)  # type: ignore[union-attr]
            elif kind is StoreInbound:
                frame = output.frame  # type: ignore[union-attr]
                # SendingTime(52) is not parsed on the hot path: the receive time stands for it
                record = FrameRecord(output.seqnum, msg_type_of(frame), self.clock(), frame)  # type: ignore[union-attr]
                self.inbound.received((record,))
            elif kind is StoreInboundRun:
                run: StoreInboundRun = output  # type: ignore[assignment]
                self.inbound.received_run(run.index, run.start, run.count, run.first_seqnum, self.clock())
            elif kind is SaveSequenceNumbers or kind is ArmTimer:
                self._book(output)
            else:
                await self._execute_rare(output, conn)
            i += 1

    def _book(self, output: Output) -> None:
        """The bookkeeping outputs: SaveSequenceNumbers and ArmTimer."""
        if type(output) is ArmTimer:
            self._arm(output.deadline)
            return
        # only the inbound number is persisted here (outbound numbers are covered by the stored frames and
        # write-behind reservations): a send-only session must not cost a store write per flush
        next_target = output.next_target  # type: ignore[union-attr]
        if next_target != self._saved_next_target:
            self._saved_next_target = next_target
            self.inbound.received((), next_target)

    async def _execute_rare(self, output: Output, conn: Connection | None) -> None:
        sid = self.session_id
        if isinstance(output, StateChanged):
            await self.app.notify_state_change(sid, output.old, output.new)
        elif isinstance(output, LoggedOn):
            log.info("session %s: logged on%s", sid, " (sequence numbers reset)" if output.reset else "")
            await call_maybe_async(self.app.onLogon, sid)
        elif isinstance(output, LoggedOut):
            log.info("session %s: logged out: %s", sid, output.reason)
            await call_maybe_async(self.app.onLogout, sid)
        elif isinstance(output, Disconnect):
            log.info("session %s: disconnecting: %s", sid, output.reason)
            if conn is not None:
                conn.close()
        elif isinstance(output, FetchResend):
            await self._resend(output, conn)
        elif isinstance(output, ResetStore):
            await self._reset_store()
        elif isinstance(output, RejectSent):
            log.info("session %s: sent %s for MsgSeqNum %s: reason %s %s", sid,
                     "Reject(35=3)" if output.msg_type == "3" else "BusinessMessageReject(35=j)",
                     output.ref_seqnum, output.reason, output.text)
        elif isinstance(output, FrameIgnored):
            log.warning("session %s: ignored %d garbled bytes at offset %d: %s", sid, output.length,
                        output.offset, output.reason)

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
            frames = await tell_admin(frames, self.app, self.codec, self.decode, self.session_id)
        records = self._records(frames)
        if records:
            await self.writer.before_send(records)
        self._write(frames, conn)
        if records:
            self.writer.after_send(records)

    def _records(self, frames: Sequence[SendFrame]) -> list[FrameRecord]:
        """The store records of the frames that are stored (resent frames and gap fills are not)."""
        now = self.clock()
        return [FrameRecord(f.seqnum, f.msg_type, now, f.frame) for f in frames if f.store is not _NOT_STORED]

    def _write(self, frames: Sequence[SendFrame], conn: Connection | None) -> None:
        """The frames to the connection in one write, unless it was replaced or is closing (then they are lost
        with it: they are stored, and a ResendRequest brings them back)."""
        if frames and conn is not None and conn is self.conn and not conn.is_closing:
            conn.write(frames[0].frame if len(frames) == 1 else b"".join(f.frame for f in frames))

    def _deliver(self, event: MessageReceived) -> Awaitable[Any] | None:
        """Hand a received message to the application; None when that is done, else what to await for the rest
        (an async callback, a Reject(35=3) also told to ``onReject``)."""
        message = self.decode(event.frame)
        if event.msg_type == _REJECT:
            return self._deliver_reject(message, event.is_admin)
        return self.app.deliver_inbound_nowait(message, self._session_id, admin=event.is_admin)

    async def _deliver_reject(self, message: FixMessage, admin: bool) -> None:
        await self.app.deliver_inbound(message, self._session_id, admin=admin)
        await call_maybe_async(self.app.onReject, message)

    async def _resend(self, request: FetchResend, conn: Connection | None) -> None:
        """ResendRequest(2): the stored frames of the range (write-behind flushed first), then the replay."""
        await self.writer.flush()
        stored = await self.store.get_outbound(self.key, request.begin, request.end)
        frames = [(message.seq_num, message.data) for message in stored]
        await self._execute(self.session.fulfil_resend(request.begin, request.end, frames, self.clock()), conn)

    async def _reset_store(self) -> None:
        """Sequence numbers back to 1: store what is queued under the old numbers, then reset the store."""
        await self.writer.flush()
        await self.inbound.flush()
        await self.store.reset(self.key)
        self._saved_next_target = 0  # the store's number changed under us: save the next one again
        await self.writer.recover()  # write-behind: the reservation restarts too

    # ------------------------------------------------------------------ timer
    def _arm(self, deadline: float) -> None:
        """Call ``Session.tick`` at ``deadline`` (wall seconds): see :class:`SessionTimer`."""
        self._timer.arm(deadline)

    def _cancel_timer(self) -> None:
        self._timer.cancel()

    def _on_timer(self) -> None:
        outputs = self.session.tick(self.clock())
        if outputs:
            self._outputs.append((outputs, self.conn, None))
            self._wake()

    def _abort(self, conn: Connection | None) -> None:
        if conn is not None:
            conn.abort()

    def __repr__(self) -> str:
        return f"SessionRunner({self.session_id}, {self.session.state.value})"


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


def _wake_waiter(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
