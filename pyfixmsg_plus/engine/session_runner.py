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
and a received message each cost no event-loop iteration of their own. A read holding one frame, given to an
idle runner, does not even start the pump: its outputs are executed by plain calls while they are plain ones
(``_receive_now``), and only what must wait goes to a task that holds the pump: the receive path's job,
:mod:`pyfixmsg_plus.engine.receive_path`.

How frames are stored and written (stored-before-written, sends at once, bursts of one iteration grouped, long
runs paced) is the send path's job: :mod:`pyfixmsg_plus.engine.send_path`.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.application import Application, LogonDecision, call_maybe_async
from pyfixmsg_plus.eager import start_eagerly
from pyfixmsg_plus.engine.metrics import SessionCounters
from pyfixmsg_plus.engine.receive_path import BOOKED_KINDS, ReceivePath
from pyfixmsg_plus.engine.send_path import FRAME_RUN_KINDS, SendPath
from pyfixmsg_plus.engine.session_time import outside_session_time
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
    SendFrame,
    Session,
    SessionState,
    StateChanged,
    StoreInbound,
    StoreInboundRun,
)
from pyfixmsg_plus.session.handlers import RefusedWithoutAnswer
from pyfixmsg_plus.session.schedule import SessionSchedule
from pyfixmsg_plus.session.states import CONNECTED_STATES
from pyfixmsg_plus.store import (
    FrameRecord,
    InboundWriter,
    MessageStore,
    OutboundWriter,
    SessionKey,
    new_record,
)
from pyfixmsg_plus.store.contract import msg_type_of
from pyfixmsg_plus.transport import Connection

log = logging.getLogger("pyfixmsg_plus.engine")

Clock = Callable[[], float]
SessionInput = Callable[[], list[Output]]
_REJECT = "3"  # Reject(35=3): also reported to Application.onReject
#: output lists merged into one execution (bounds one store transaction and one write)
_MAX_MERGED_OUTPUTS = 4096


def overrides(app: object, name: str) -> bool:
    """True when ``app``'s class replaces :class:`Application`'s ``name`` (saves decoding for no-op hooks)."""
    mine = getattr(type(app), name, None)
    return mine is not None and mine is not getattr(Application, name, None)


class SessionNotDisconnected(RuntimeError):
    """An operation that needs the session disconnected was asked while a connection uses it."""


class SessionRunner(ReceivePath, SendPath):
    """Executes one :class:`Session`'s effects and hands its events to the application.

    ``writer`` stores outbound frames as the persistence mode says (sync / group / write_behind); ``inbound``
    stores received frames and the expected inbound number in batches. Each read is framed once here and handed
    to the session as a FrameIndex. ``deliver_per_frame`` feeds the session one frame at a time (a run of
    consecutive batch-type frames stays together) so that messages the application sends from a callback go out
    before the replies to the frames that followed in the same read (QuickFIX's order). ``clock`` gives wall
    time in seconds since the epoch. ``schedule`` is the session time (StartTime/EndTime): a Logon outside it
    is refused without an answer, and a store created in an earlier period is reset before the next Logon.
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
        self.counters = SessionCounters()  # rare events and closed connections' bytes, for the metrics
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
        # steady-state receive and send in one call each; it moves the session's own numbers (no copy to sync)
        self._lane = _impl.load("fastpath").SessionLane(session, inbound.received_hook, new_record, self)
        self._store_timing = session.store_timing

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
        self.counters.connection_opened(conn)
        self.claimed = True
        self._framer = _impl.load("framing").Framer()
        self._enqueue_input(self._open_session, conn)

    def on_disconnected(self, exc: BaseException | None) -> None:
        """The session's connection closed (either side, or an error)."""
        if exc is not None:
            log.info("session %s: connection lost: %s", self.session_id, exc)
        self.counters.connection_closed()
        self.conn = None
        self.claimed = False
        self._framer = None
        self._enqueue_input(lambda: self.session.connection_lost(self.clock()), None)

    def stop_session(self) -> None:
        """The engine stopped this session (disconnect, end of session time): it ends Disconnected, not waiting to
        reconnect (``Session.stop``, after whatever input is queued)."""
        self._enqueue_input(lambda: self.session.stop(self.clock()), None)

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
        """Before the session sees a received Logon(35=A): wait for a sequence reset under way, start a new
        period when one began (sequence reset), then ask the application (async hooks allowed) unless the Logon
        is outside session time."""
        # a reset ([Scheduler] reset, operator, new period) must end before the Logon is answered: a Logout(35=5)
        # refusing it, stored before the store reset, would be wiped while the session moved past its number
        async with self._reset_lock:
            pass
        await self.start_new_period_if_due()
        if not overrides(self.app, "onLogonRequest") or not self.schedule.is_in_session(self.clock()):
            return
        message = self.decode(frame)
        self._logon_decision = await self.app.check_logon(message, self.session_id)

    def _check_logon(self, pairs: list[tuple[int, bytes]]) -> str | None:
        """The session's logon_check: the decision prepared for this Logon, else the plain hook's answer."""
        decision, self._logon_decision = self._logon_decision, None
        outside = outside_session_time(self.schedule, self.clock())
        if outside is not None:
            # the acceptor router refuses such a Logon before routing it; this covers the instants between (and
            # an initiator's Logon answer): QuickFIX closes the connection without an answer, using no MsgSeqNum
            log.warning("session %s: Logon refused without an answer: %s", self.session_id, outside)
            return RefusedWithoutAnswer(outside)
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
    def decode(self, frame: bytes) -> FixMessage:
        """A received frame as a FixMessage (the frame kept as ``raw_message``, as pyfixmsg's from_buffer)."""
        try:
            message = self.codec.parse_message(frame)
        except UnicodeDecodeError as error:  # a value outside the codec's encoding: see decode_undecodable
            message = self.decode_undecodable(frame, error)
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
                while i < count and type(outputs[i]) in FRAME_RUN_KINDS:
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
            elif kind in BOOKED_KINDS:
                self._book(output)
            else:
                await self._execute_rare(output, conn)
            i += 1

    def _book(self, output: Output, now: float | None = None) -> None:
        """The bookkeeping outputs (``_BOOKED_KINDS``): inbound frames to store, SaveSequenceNumbers and
        ArmTimer. ``now`` (seconds since the epoch) is the receive time stored with inbound frames (the clock's
        when None)."""
        kind = type(output)
        if kind is ArmTimer:
            self._arm(output.deadline)  # type: ignore[union-attr]
            return
        if kind is StoreInboundRun:
            run: StoreInboundRun = output  # type: ignore[assignment]
            received = self.clock() if now is None else now
            self.inbound.received_run(run.index, run.start, run.count, run.first_seqnum, received)
            # the session counts the next expected number as saved with the run (no SaveSequenceNumbers follows)
            next_target = run.first_seqnum + run.count
            if next_target != self._saved_next_target:
                self._saved_next_target = next_target
                self.inbound.received((), next_target)
            return
        if kind is StoreInbound:
            record: StoreInbound = output  # type: ignore[assignment]
            frame = record.frame
            # SendingTime(52) is not parsed on the hot path: the receive time stands for it
            received = self.clock() if now is None else now
            msg_type = record.msg_type or msg_type_of(frame)
            # accepted in sequence: the next expected number is the one after it, saved in the same call (the
            # SaveSequenceNumbers that follows then books nothing unless the number moved again)
            next_target = record.seqnum + 1
            self._saved_next_target = next_target
            self.inbound.received((FrameRecord(record.seqnum, msg_type, received, frame),), next_target)
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
            self.counters.logons += 1
            log.info("session %s: logged on%s", sid, " (sequence numbers reset)" if output.reset else "")
            await call_maybe_async(self.app.onLogon, sid)
        elif isinstance(output, LoggedOut):
            self.counters.logouts += 1
            log.info("session %s: logged out: %s", sid, output.reason)
            await call_maybe_async(self.app.onLogout, sid)
        elif isinstance(output, Disconnect):
            log.info("session %s: disconnecting: %s", sid, output.reason)
            if conn is not None:
                conn.close()
        elif isinstance(output, FetchResend):
            self.counters.resend_requests_answered += 1
            await self._resend(output, conn)
        elif isinstance(output, ResetStore):
            await self._reset_store()
        elif isinstance(output, RejectSent):
            self.counters.rejects_sent += 1
            log.info("session %s: sent %s for MsgSeqNum %s: reason %s %s", sid,
                     "Reject(35=3)" if output.msg_type == "3" else "BusinessMessageReject(35=j)",
                     output.ref_seqnum, output.reason, output.text)
        elif isinstance(output, FrameIgnored):
            self.counters.garbled_frames_ignored += 1
            log.warning("session %s: ignored %d garbled bytes at offset %d: %s", sid, output.length,
                        output.offset, output.reason)

    def _deliver(self, event: MessageReceived) -> Awaitable[Any] | None:
        """Hand a received message to the application; None when that is done, else what to await for the rest
        (an async callback, a Reject(35=3) also told to ``onReject``)."""
        return self._deliver_frame(event.frame, event.msg_type, event.is_admin)

    def _deliver_frame(self, frame: bytes, msg_type: str, admin: bool = False) -> Awaitable[Any] | None:
        """:meth:`_deliver` of the message ``frame`` of MsgType(35) ``msg_type`` (``admin``: a session-level one)."""
        message = self.decode(frame)
        if msg_type == _REJECT:
            return self._deliver_reject(message, admin)
        return self.app.deliver_inbound_nowait(message, self._session_id, admin=admin)

    async def _deliver_reject(self, message: FixMessage, admin: bool) -> None:
        await self.app.deliver_inbound(message, self._session_id, admin=admin)
        await call_maybe_async(self.app.onReject, message)

    async def _resend(self, request: FetchResend, conn: Connection | None) -> None:
        """ResendRequest(2): the stored frames of the range (write-behind flushed first), then the replay."""
        await self.writer.flush()
        # (MsgSeqNum, frame, MsgType) rows: no StoredMessage per message, MsgType(35) not read from the frames
        # through the writer's store: with PersistMessages=N that view replays nothing (SequenceOnlyStore)
        frames = await self.writer.store.get_outbound_frames(self.key, request.begin, request.end)
        await self._execute(self.session.fulfil_resend(request.begin, request.end, frames, self.clock()), conn)

    async def _reset_store(self) -> None:
        """Sequence numbers back to 1: store what is queued under the old numbers, then reset the store."""
        self.counters.sequence_resets += 1
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


def _wake_waiter(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
