"""The sans-I/O FIX session: bytes and clock ticks in, events and effects out.

Every public input method takes ``now`` (seconds since the epoch, UTC) and returns the list of outputs (see
:mod:`pyfixmsg_plus.session.events`) in the order the engine must act on them. Nothing here does I/O.

The admin protocol (Logon, Heartbeat, TestRequest, ResendRequest, Reject, SequenceReset, Logout) is handled in
:mod:`pyfixmsg_plus.session.handlers`, frames that need nothing but acceptance in
:mod:`pyfixmsg_plus.session.fastreceive`; this module holds the inputs, the outputs and the connection life
cycle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session.admin import Field, MessageBuilder
from pyfixmsg_plus.session.batch import BatchCollector
from pyfixmsg_plus.session.config import (
    LogonCheck,
    PairsValidator,
    Persistence,
    Role,
    SessionConfig,
    SessionID,
    check_batch_msg_types,
)
from pyfixmsg_plus.session.events import (
    ArmTimer,
    BatchReceived,
    Disconnect,
    FetchResend,
    FrameIgnored,
    LoggedOut,
    Output,
    SaveSequenceNumbers,
    SendFrame,
    StateChanged,
    StoreInbound,
    StoreTiming,
)
from pyfixmsg_plus.session.fastlane import FastLane
from pyfixmsg_plus.session.fastreceive import FastReceive
from pyfixmsg_plus.session.fixt import ApplVerValidator, FixtDictionaries, is_fixt
from pyfixmsg_plus.session.inbound import Inbound
from pyfixmsg_plus.session.logon import LogonHandlers
from pyfixmsg_plus.session.resend import GapFill, plan_replay
from pyfixmsg_plus.session.sequencing import Sequencing
from pyfixmsg_plus.session.states import CONNECTED_STATES, SessionState, StateListener, StateMachine
from pyfixmsg_plus.session.timers import TimerAction, Timers

log = logging.getLogger("pyfixmsg_plus.session")

_STORE_TIMING = {
    Persistence.SYNC: StoreTiming.BEFORE_WRITE,
    Persistence.GROUP: StoreTiming.BEFORE_WRITE,
    Persistence.WRITE_BEHIND: StoreTiming.AFTER_WRITE,
}
_CHECKSUM_FIELD_LENGTH = 7  # "10=nnn<SOH>"


class SessionNotActive(RuntimeError):
    """An application message was given to a session that is not logged on."""


class Session(FastReceive, LogonHandlers):
    """One FIX session (acceptor or initiator, as ``config.role`` says) as a pure state machine.

    ``validator``: the data dictionary check of received messages (None: none). On a FIXT.1.1 session a
    :class:`~pyfixmsg_plus.session.fixt.FixtDictionaries` picks the dictionary per message (transport for
    admin messages, else ApplVerID(1128) or the counterparty's DefaultApplVerID(1137)); any other validator
    judges every message."""

    def __init__(self, config: SessionConfig, validator: PairsValidator | FixtDictionaries | None = None) -> None:
        self.config = config
        self.is_fixt = is_fixt(config.begin_string)
        if isinstance(validator, FixtDictionaries):
            validator = ApplVerValidator(validator)  # per session: it keeps the counterparty's default
        self.validator: PairsValidator | None = validator
        self.appl_ver = validator if isinstance(validator, ApplVerValidator) else None
        self.target_default_appl_ver_id = None
        self.builder = MessageBuilder(config)
        self.seq = Sequencing()
        self.timers = Timers(
            config.test_request_margin, config.receive_timeout_factor, config.heartbeat_interval
        )
        self.now = 0.0
        self.received_logon = False
        self.sent_reset = False
        self.sent_logout = False
        self.sent_next_expected: int | None = None
        self._machine = StateMachine()
        self._active = False  # state is Active: kept by _record_state_change (an attribute, not a property call)
        self._machine.add_listener(self._record_state_change)
        self._framer: Any = None
        self._batch = BatchCollector()
        self._fast = FastLane(config, validator)
        # a garbled frame's claimed span (FIX: BodyLength(9) trusted as QuickFIX's reader does) in the buffer it
        # was read from, kept across receive_index calls that share that buffer (per-frame delivery)
        self._swallow_buffer: Any = None
        self._swallow_end = -1
        self._out: list[Output] = []
        self._armed: float | None = None
        self._saved: tuple[int, int] = (1, 1)
        self._store_timing = _STORE_TIMING[config.persistence]

    # ------------------------------------------------------------------ public state
    @property
    def state(self) -> SessionState:
        """The current :class:`SessionState`."""
        return self._machine.state

    @property
    def store_timing(self) -> StoreTiming:
        """When this session's new outbound frames are stored: before the write (sync, group) or after it
        (write_behind), as its persistence mode says."""
        return self._store_timing

    @property
    def session_id(self) -> SessionID:
        """BeginString + SenderCompID + TargetCompID (+ qualifier)."""
        return self.config.session_id

    @property
    def next_sender_seqnum(self) -> int:
        """MsgSeqNum (34) of the next new message this side sends."""
        return self.seq.next_sender

    @property
    def next_target_seqnum(self) -> int:
        """MsgSeqNum (34) expected next from the counterparty."""
        return self.seq.next_target

    @property
    def heartbeat_interval(self) -> int:
        """HeartBtInt (108) in force, in seconds."""
        return self.timers.heartbeat_interval

    @property
    def is_logged_on(self) -> bool:
        """True in the Active state."""
        return self.state is SessionState.ACTIVE

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener(old, new)`` on every state change (also reported as StateChanged outputs)."""
        self._machine.add_listener(listener)

    def remove_listener(self, listener: StateListener) -> None:
        """Stop calling ``listener``."""
        self._machine.remove_listener(listener)

    def restore(self, next_sender: int, next_target: int) -> None:
        """Set both sequence numbers from the store before connecting (each >= 1)."""
        if self.state in CONNECTED_STATES:
            raise RuntimeError(
                f"restore() needs a disconnected session; {self.session_id} is {self.state.value}"
            )
        for name, value in (("next_sender", next_sender), ("next_target", next_target)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, not {value!r}")
        self.seq.next_sender, self.seq.next_target = next_sender, next_target
        self._saved = (next_sender, next_target)

    def set_sequence_numbers(self, next_sender: int | None = None, next_target: int | None = None) -> None:
        """An operator's decision, in any state: the next MsgSeqNum(34) to send and/or to expect (each >= 1).

        While connected the new numbers apply to the next message; early messages queued below a new expected
        number are dropped and a gap recovery that the new number closes is forgotten. The caller keeps the store
        in step (no SaveSequenceNumbers output follows).
        """
        for name, value in (("next_sender", next_sender), ("next_target", next_target)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, not {value!r}")
        if self.state not in CONNECTED_STATES:
            self.restore(next_sender or self.seq.next_sender, next_target or self.seq.next_target)
            return
        if next_sender is not None:
            self.seq.next_sender = next_sender
        if next_target is not None:
            self.seq.set_next_target(next_target)
            gap = self.seq.resend
            if gap is not None and gap.end < next_target:
                self.seq.resend = None
        self._saved = (self.seq.next_sender, self.seq.next_target)

    def set_logon_check(self, check: LogonCheck | None) -> None:
        """Use ``check(pairs) -> None | refusal text`` on every received Logon(35=A) (None: accept all)."""
        self.config.logon_check = check

    def forget_fast_shapes(self) -> None:
        """The fast path learns its shapes afresh (the dictionary that judged the learnt ones changed)."""
        self._fast.rebuild()

    def set_batch_msg_types(self, msg_types: Iterable[str]) -> None:
        """Deliver accepted messages of these application MsgTypes(35) as one BatchReceived per input.

        ValueError names an admin or empty MsgType (admin messages keep their per-message handling).
        """
        self.config.batch_msg_types = check_batch_msg_types(msg_types)
        self._fast.rebuild()

    # ------------------------------------------------------------------ inputs: connection life cycle
    def start(self, now: float) -> list[Output]:
        """Initiator: begin opening the transport (Disconnected/Reconnecting -> Connecting)."""
        self._begin(now)
        if not self.config.is_initiator:
            raise RuntimeError(f"start() is for initiators; {self.session_id} is an acceptor")
        self._move(SessionState.CONNECTING)
        return self._finish()

    def connection_failed(self, now: float, reason: str = "connect failed") -> list[Output]:
        """Initiator: the transport could not be opened (Connecting -> Reconnecting)."""
        self._begin(now)
        self._move(SessionState.RECONNECTING)
        return self._finish()

    def connection_made(self, now: float) -> list[Output]:
        """The transport is open: an acceptor waits for Logon, an initiator sends it."""
        self._begin(now)
        self._framer = _impl.load("framing").Framer()
        self.received_logon = self.sent_reset = self.sent_logout = False
        self.sent_next_expected = None
        self.timers.start(now)
        self.timers.heartbeat_interval = self.config.heartbeat_interval
        self.timers.logon_deadline = now + self.config.logon_timeout
        self._move(SessionState.LOGON_IN_PROGRESS)
        if self.config.is_initiator:
            if self.config.reset_on_logon:
                self.reset_sequences()
                self.sent_reset = True
            self.send_logon(self.sent_reset)
        return self._finish()

    def stop(self, now: float) -> list[Output]:
        """The engine stopped the session for good (disconnect, end of session time): it ends Disconnected, not
        waiting to reconnect; a session still connected is disconnected first, as on a lost connection."""
        self._begin(now)
        self.disconnect("session stopped", emit_effect=False)
        if self.state in (SessionState.RECONNECTING, SessionState.CONNECTING):
            self._move(SessionState.DISCONNECTED)
        return self._finish()

    def connection_lost(self, now: float) -> list[Output]:
        """The transport closed (by either side); a no-op when the session already disconnected."""
        self._begin(now)
        self.disconnect("connection lost", emit_effect=False)
        return self._finish()

    # ------------------------------------------------------------------ inputs: data and time
    def receive_data(self, data: bytes | bytearray | memoryview, now: float) -> list[Output]:
        """Bytes read from the transport (any split: frames may span calls)."""
        framer = self._framer
        code = None if framer is None else framer.msgtype_if_one_frame(data)
        if code is not None:  # one whole frame: no FrameIndex unless the fast path refuses it
            single = self.receive_single_frame(data, code, now)  # type: ignore[arg-type]  # bytes (code says so)
            if single is not None:
                return single
        self._begin(now)
        if framer is None or not self._connected():
            return self._finish()
        index = framer.feed(data)
        self._process_index(index)
        return self._finish()

    def receive_index(self, index: Any, now: float, single_tried: bool = False) -> list[Output]:
        """Every span of a FrameIndex that the engine split from a read itself (``framing.Framer.feed``).

        The engine frames each read once and hands the whole index over (or parts of it, restricted with
        :func:`pyfixmsg_plus.session.batch.restrict`, keeping span order). Garbled spans are reported and
        skipped; accepted messages of ``config.batch_msg_types`` come out as one :class:`BatchReceived`.
        Ignored while no connection is open. ``single_tried``: :meth:`receive_single_frame` already refused
        this one-frame read (its checks are not run twice).
        """
        if index.count == 1 and not single_tried:  # a session trading one order at a time reads one frame per read
            single = self._receive_single(index, now)
            if single is not None:
                return single
        self._begin(now)
        if self._connected() and len(index):
            self._process_index(index)
        return self._finish()

    def receive_frame(self, frame: bytes, now: float) -> list[Output]:
        """One complete, already verified frame (for engines that split frames themselves)."""
        self._begin(now)
        if self.state in CONNECTED_STATES:
            self._process(Inbound.from_frame(frame))
        return self._finish()

    def tick(self, now: float) -> list[Output]:
        """The clock reached ``now``: send Heartbeat/TestRequest, or give up on a silent counterparty."""
        self._begin(now)
        self._armed = None  # the engine's timer fired: the next deadline is asked for again, later or not
        for _ in range(4):  # several deadlines may fall on the same instant
            action = self.timers.action(now, self.state is SessionState.ACTIVE)
            if action is TimerAction.NOTHING or not self._run_timer_action(action):
                break
        return self._finish()

    # ------------------------------------------------------------------ inputs: from the application
    def send(self, msg_type: str, fields: Sequence[Field], now: float) -> list[Output]:
        """Send an application message; ``fields`` are (tag, value) pairs without 8, 9, 10, 34, 35, 49, 52,
        56.

        Header tags among them (e.g. PossResend 97, OnBehalfOfCompID 115) are placed in the header.
        """
        if not self._active:
            raise SessionNotActive(
                f"cannot send MsgType {msg_type!r} on {self.session_id}: "
                f"session is {self.state.value}, not Active"
            )
        # send_new, emit_frame and _begin/_finish inlined (the per-message path of every application send):
        # a send collects no batch and leaves the session Active, so only the numbers and the timer are noted
        self.now = now
        seq = self.seq
        seqnum = seq.next_sender
        frame = self.builder.application(msg_type, seqnum, now, fields)
        seq.next_sender = seqnum + 1  # taken once the frame is built: a message that fails to encode leaves no gap
        out: list[Output] = [SendFrame(frame, seqnum, msg_type, self._store_timing)]
        self._sender_follows_frame(seqnum)
        self.timers.sent(now)
        self._note_numbers_and_timer(out, True, later_only=True)  # a send only moves the Heartbeat due time later
        return out

    def logout(self, now: float, text: str = "") -> list[Output]:
        """Start the Logout handshake; the transport closes on the answer or after LogoutTimeout."""
        self._begin(now)
        self.initiate_logout(text)
        return self._finish()

    def reset_sequence(self, now: float) -> list[Output]:
        """Intraday reset while Active: both numbers back to 1 and a Logon with ResetSeqNumFlag(141)=Y."""
        self._begin(now)
        if self.state is not SessionState.ACTIVE:
            raise SessionNotActive(
                f"reset_sequence() needs an Active session; {self.session_id} is {self.state.value}"
            )
        self.reset_sequences()
        self.sent_reset = True
        self.send_logon(reset=True)
        return self._finish()

    def fulfil_resend(
        self,
        begin: int,
        end: int,
        frames: Mapping[int, bytes] | Iterable[tuple[int, bytes] | tuple[int, bytes, str]],
        now: float,
    ) -> list[Output]:
        """The stored outbound frames for a FetchResend(begin, end): replay them, gap-filling the rest.

        ``frames``: ``{MsgSeqNum: frame}``, ``(MsgSeqNum, frame)`` pairs, or the store's ``(MsgSeqNum, frame,
        MsgType)`` replay tuples (MsgType(35) is then not read from the frames again)."""
        self._begin(now)
        if self.seq.fetch_is_stale(begin, end):
            log.warning("%s: FetchResend(%d, %d) was asked before a sequence reset: not replayed",
                        self.config.session_id, begin, end)  # fmt: skip
            return self._finish()
        if self.state not in CONNECTED_STATES:
            return self._finish()
        stored = frames.items() if isinstance(frames, Mapping) else frames
        builder, out, not_stored = self.builder, self._out, StoreTiming.NOT_STORED
        # every frame of the answer carries the same SendingTime(52): ``now`` is one instant, formatted once
        sending_time = builder.sending_time(now)
        steps = plan_replay(begin, end, stored, self.resendable)
        for step in steps:
            if isinstance(step, GapFill):
                frame = builder.gap_fill_at(step.seqnum, sending_time, step.new_seqno)
                out.append(SendFrame(frame, step.seqnum, "4", not_stored))
            else:
                out.append(SendFrame(builder.resent_at(step.frame, sending_time), step.seqnum, "", not_stored))
        if steps:
            self.timers.sent(now)  # what emit_frame notes per frame, once for the answer (one instant)
        return self._finish()

    def resendable(self, msg_type: str) -> bool:
        """True for stored messages replayed as they are (application messages not marked non-resendable)."""
        return msg_type not in ("0", "1", "2", "3", "4", "5", "A") and msg_type not in (
            self.config.non_resendable_msg_types
        )

    # ------------------------------------------------------------------ output helpers used by the handlers
    def collect_batch(self, inbound: Inbound) -> None:
        """An accepted message of a batch MsgType: delivered with the others of this input (BatchReceived).
        It walked clean through the slow path: later messages of its shape may take the fast path."""
        self._batch.add(inbound.frame, inbound.source, inbound.position, len(self._out))
        self._fast.learn_batch(inbound.pairs)

    def delivered(self, inbound: Inbound) -> None:
        """An accepted message was delivered one by one (MessageReceived): an application MsgType may take the
        fast path from now on (admin messages never do: their handlers act on them)."""
        if inbound.msg_type not in self._HANDLERS:
            self._fast.learn_app(inbound.msg_type, inbound.pairs)

    def emit(self, output: Output) -> None:
        """Append an output for the current input call."""
        self._out.append(output)

    def emit_fetch(self, fetch: FetchResend) -> None:
        """Ask the engine for stored outbound frames (answered by ``fulfil_resend``)."""
        self.seq.fetch_asked(fetch.begin, fetch.end)
        self._out.append(fetch)

    def emit_frame(self, frame: bytes, seqnum: int, msg_type: str, store: StoreTiming) -> None:
        """Write ``frame`` (and note the send time for the heartbeat timer)."""
        self._out.append(SendFrame(frame, seqnum, msg_type, store))
        self.timers.sent(self.now)

    def send_new(self, msg_type: str, build: Callable[[int], bytes]) -> int:
        """Number, build (``build(seqnum) -> bytes``) and send a new message; returns its MsgSeqNum.

        The number is taken once the frame is built: a message that fails to encode leaves no gap."""
        seqnum = self.seq.next_sender
        frame = build(seqnum)
        self.seq.take_sender()
        self.emit_frame(frame, seqnum, msg_type, self._store_timing)
        self._sender_follows_frame(seqnum)
        return seqnum

    def emit_stored_inbound(self, seqnum: int, frame: bytes, msg_type: str) -> None:
        """Keep a frame accepted in sequence as MsgSeqNum ``seqnum``: StoreInbound, which also tells the engine
        that the next expected inbound number is ``seqnum + 1``."""
        self._out.append(StoreInbound(seqnum, frame, msg_type))
        self._target_follows_frames(seqnum)

    def disconnect(self, reason: str, emit_effect: bool = True) -> None:
        """Leave the connected states; ask the engine to close the transport when ``emit_effect``."""
        if self.state not in CONNECTED_STATES:
            return
        was_logged_on = self.state in (SessionState.ACTIVE, SessionState.LOGOUT_IN_PROGRESS)
        if emit_effect:
            self.emit(Disconnect(reason))
        if was_logged_on:
            self.emit(LoggedOut(reason))
        self._framer = None
        self._swallow_buffer, self._swallow_end = None, -1
        self.received_logon = self.sent_reset = self.sent_logout = False
        self.sent_next_expected = None
        self.timers.logon_deadline = self.timers.logout_deadline = None
        self.seq.queue.clear()
        self.seq.resend = None
        self.seq.fetches.clear()
        if self.config.reset_on_disconnect:
            self.reset_sequences()
        after = SessionState.RECONNECTING if self.config.role is Role.INITIATOR else SessionState.DISCONNECTED
        self._move(after)

    def move_to(self, state: SessionState) -> None:
        """Change state through the transition table."""
        self._move(state)

    # ------------------------------------------------------------------ internals
    def _begin(self, now: float) -> None:
        self.now = now
        self._out = []
        self._batch.begin(None)

    def _finish(self) -> list[Output]:
        out = self._out
        batch = self._batch
        if len(batch):
            out.insert(batch.insert_at, BatchReceived(batch.take()))
        state = self._machine.state
        if state is SessionState.ACTIVE:  # Active first: an Enum member's hash is a Python call
            self._note_numbers_and_timer(out, True)
        elif state in CONNECTED_STATES:
            self._note_numbers_and_timer(out, False)
        else:
            self._note_numbers_and_timer(out, None)
        self._out = []
        return out

    def _note_numbers_and_timer(self, out: list[Output], active: bool | None, later_only: bool = False) -> None:
        """Append SaveSequenceNumbers when the numbers moved other than their frames say, then ArmTimer when the
        next deadline is earlier than the one asked for last (``active``: the session is Active; None: not
        connected, no timer). ``later_only``: the input moved only the last-sent/last-received times (and no
        TestRequest(35=1) was outstanding), so the deadline cannot have moved earlier and is not computed.

        Between ArmTimers the true deadline only moves later: the engine's tick at the armed one is then early,
        finds nothing due, and asks for the new deadline (every tick and every state change re-arms)."""
        seq = self.seq
        saved_sender, saved_target = self._saved
        if seq.next_sender != saved_sender or seq.next_target != saved_target:
            numbers = (seq.next_sender, seq.next_target)
            self._saved = numbers
            out.append(SaveSequenceNumbers(*numbers))
        if active is None:
            self._armed = None
            return
        armed = self._armed
        if later_only and armed is not None:
            return
        deadline = self.timers.next_deadline(active)
        if deadline is not None and (armed is None or deadline < armed):
            self._armed = deadline
            out.append(ArmTimer(deadline))

    def _sender_follows_frame(self, seqnum: int) -> None:
        """A new message went out as MsgSeqNum ``seqnum`` (a SendFrame): the engine knows the next sender
        number is ``seqnum + 1`` from it, so the saved numbers follow without a SaveSequenceNumbers."""
        saved_sender, saved_target = self._saved
        if saved_sender == seqnum:
            self._saved = (seqnum + 1, saved_target)

    def _target_follows_frames(self, seqnum: int, count: int = 1) -> None:
        """``count`` received frames were kept from MsgSeqNum ``seqnum`` on (a StoreInbound, or a
        StoreInboundRun, which the engine stores with the next expected number ``seqnum + count``): the saved
        numbers follow without a SaveSequenceNumbers."""
        saved_sender, saved_target = self._saved
        if saved_target == seqnum:
            self._saved = (saved_sender, seqnum + count)

    def _connected(self) -> bool:
        """``state in CONNECTED_STATES``, Active first: hashing an Enum member for the set is a Python call."""
        state = self._machine.state
        return state is SessionState.ACTIVE or state in CONNECTED_STATES

    def _move(self, state: SessionState) -> None:
        self._machine.move_to(state)

    def _record_state_change(self, old: SessionState, new: SessionState) -> None:
        self._out.append(StateChanged(old, new))
        self._active = new is SessionState.ACTIVE
        self._armed = None  # the deadlines of the new state are asked for afresh (ArmTimer at this input's end)

    def _process_index(self, ix: Any) -> None:
        """Every span of a FrameIndex in order: garbled ones are ignored (FIX: no reply, no sequence
        increment).
        """
        self._batch.begin(ix)
        swallowed_until = self._swallow_end if self._swallow_buffer is ix.buffer else -1
        swallowed_until = self._process_spans(ix, swallowed_until)
        if self._connected():
            self._swallow_buffer, self._swallow_end = ix.buffer, swallowed_until

    def _process_spans(self, ix: Any, swallowed_until: int) -> int:
        """The loop of :meth:`_process_index`; returns the end of the span a garbled BodyLength(9) claims.

        Where the fast path is open, runs of frames that need nothing but acceptance are accepted whole; each
        other frame takes the slow path (:meth:`_process`)."""
        framing = _impl.load("framing")
        fast = self._fast
        run = -1  # spans [0, run) are valid and in sequence; computed when the slow path first needs it
        i, count = 0, len(ix)
        while i < count:
            if (fast.batch is not None or fast.app is not None) and self._fast_path_open():  # implies connected
                accepted = self._fast_run(ix, i, max(swallowed_until, 0))
                if accepted:
                    i += accepted
                    continue
            elif self._machine.state not in CONNECTED_STATES:
                break
            if run < 0:
                run = self._in_sequence_run(ix, i)
            swallowed_until = self._process_span(ix, i, run, swallowed_until, framing)
            i += 1
        return swallowed_until

    def _in_sequence_run(self, ix: Any, first_slow: int) -> int:
        """The end of the unbroken in-sequence run of spans from span 0 (the batch sequence check, compiled):
        frames inside it skip gap bookkeeping. Every span before ``first_slow`` was accepted by the fast path,
        valid and numbered from the expected number on, so the run is counted from there at today's number."""
        expected = max(self.seq.next_target, 1)
        return first_slow + int(_impl.load("seqcheck").in_sequence_run(ix.seqnums, ix.valid, expected, first_slow))

    def _process_span(self, ix: Any, i: int, run: int, swallowed_until: int, framing: Any) -> int:
        """Span ``i`` on the slow path: garbled (reported), swallowed, or one frame through every rule; returns
        the end of the span a garbled BodyLength(9) claims."""
        offset, length = int(ix.offsets[i]), int(ix.lengths[i])
        reason = int(ix.reasons[i])
        if not ix.valid[i]:
            self.emit(FrameIgnored(offset, length, framing.REASON_NAMES[reason]))
            if reason == framing.BAD_LENGTH and self.config.discard_frames_within_bad_length:
                swallowed_until = max(swallowed_until, _declared_end(ix.buffer, offset))
        elif offset < swallowed_until:
            self.emit(FrameIgnored(offset, length, "inside the BodyLength(9) of a garbled frame"))
        else:
            self._process(Inbound.from_frame(ix.frame(i), ix, i), known_in_sequence=i < run)
        return swallowed_until

    def _process(self, inbound: Inbound, known_in_sequence: bool = False) -> None:
        """One valid frame, then whatever early messages it made processable (FIX: in sequence order)."""
        self.handle(inbound, queued=False, known_in_sequence=known_in_sequence)
        while self._connected():
            ready = self.seq.pop_ready()
            if ready is None:
                break
            if ready.already_processed:  # a Logon or ResendRequest acted on when it arrived early
                self.accept(ready, deliver=False)
                continue
            self.handle(ready, queued=True, known_in_sequence=False)

    def _run_timer_action(self, action: TimerAction) -> bool:
        """Do one timer action; False when the session disconnected."""
        if action is TimerAction.LOGON_TIMEOUT:
            self.disconnect(f"no Logon within LogonTimeout ({self.config.logon_timeout:g} s)")
            return False
        if action is TimerAction.LOGOUT_TIMEOUT:
            self.disconnect(f"no Logout answer within LogoutTimeout ({self.config.logout_timeout:g} s)")
            return False
        if action is TimerAction.RECEIVE_TIMEOUT:
            self.disconnect(
                f"timed out waiting for heartbeat (HeartBtInt {self.timers.heartbeat_interval} s)"
            )
            return False
        if action is TimerAction.TEST_REQUEST:
            test_req_id = self.config.test_request_id
            self.send_new("1", lambda seqnum: self.builder.test_request(seqnum, self.now, test_req_id))
            self.timers.test_requests_sent += 1
        elif action is TimerAction.HEARTBEAT:
            self.send_new("0", lambda seqnum: self.builder.heartbeat(seqnum, self.now))
        return True


def _declared_end(buffer: bytes, offset: int) -> int:
    """Where a frame at ``offset`` ends if its BodyLength(9) is believed (-1 when it has none readable)."""
    start = buffer.find(b"\x019=", offset, offset + 32)
    if start < 0:
        return -1
    value_end = buffer.find(b"\x01", start + 3, start + 16)
    digits = buffer[start + 3 : value_end] if value_end > 0 else b""
    if not digits.isdigit():
        return -1
    return value_end + 1 + int(digits) + _CHECKSUM_FIELD_LENGTH
