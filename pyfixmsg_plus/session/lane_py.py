"""The one-order lane: a received in-sequence application frame, and an application send, in one call each
(pure twin of the ``SessionLane`` in ``_speedups/fastpath_lane.pxi``, compiled into ``_speedups.fastpath``; same
results).

The session core stays the source of truth: the lane keeps no numbers of its own. It reads and writes the
session's own state (``Sequencing``, ``Timers``, the numbers the engine was last told, the armed deadline), so it
is never out of step with the general path, whatever ran in between (gaps, admin messages, resets, an operator
setting numbers). It only does the steady-state case, where the general path's outputs are known in advance:

- receive: a frame of an application MsgType(35) the fast lane's scanner passes (``RunScanner.passes_frame``:
  MsgSeqNum(34) the expected one, no PossDupFlag(43)/PossResend(97), header and SendingTime(52) as expected,
  a learnt shape), while Active with no gap being recovered, no early message queued, no batch MsgTypes, no
  TestRequest(35=1) outstanding, a timer armed, and the engine's saved numbers following the frames. The
  general path's outputs are then exactly StoreInbound + MessageReceived: the lane stores the frame through the
  ``save_inbound`` hook and returns its MsgType for the engine to deliver.
- send: an application message whose fields are all body fields, while Active, a timer armed and the saved
  numbers following the frames. The general path's outputs are then exactly one SendFrame: the lane numbers
  and encodes it and returns its store record (``FrameRecord``: MsgSeqNum, MsgType, time, bytes).

Anything else returns None with nothing changed, and the caller takes the general path
(``Session.receive_single_frame`` / ``Session.send``), which gives the outputs the lane would not know.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pyfixmsg_plus.session.admin import NOT_BODY_TAGS, encoder_module

#: MsgType(35) bytes -> str for accepted frames; bounded, as a counterparty may send endless new MsgTypes
MAX_MSG_TYPE_NAMES = 1024

SaveInbound = Callable[[tuple[Any, ...], int], None]
NewRecord = Callable[[tuple[int, str, float, bytes]], Any]


class SessionLane:
    """The steady-state receive and send of one session (see the module docstring).

    ``session``: the :class:`~pyfixmsg_plus.session.Session` whose state the lane reads and moves.
    ``save_inbound(records, next_target)``: stores accepted inbound frames and the next expected MsgSeqNum(34)
    (the inbound writer's ``received``). ``new_record((seqnum, msg_type, time, frame))``: a store record.
    ``owner``: an object whose ``_saved_next_target`` attribute follows the number handed to ``save_inbound``
    (the engine's runner), or None.
    """

    def __init__(self, session: Any, save_inbound: SaveInbound, new_record: NewRecord, owner: Any = None) -> None:
        self._session = session
        self._save_inbound = save_inbound
        self._new_record = new_record
        self._owner = owner
        self._names: dict[bytes, str] = {}
        config = session.config
        # the header is fixed for the session's life (SessionConfig is frozen): its parts are made once; header
        # and trailer tags among a send's fields are refused (MessageBuilder.application moves them)
        self._encoder = encoder_module().AppFrameEncoder(
            config.begin_string, config.sender_comp_id, config.target_comp_id, config.timestamp_precision,
            NOT_BODY_TAGS,
        )

    def receive(self, frame: bytes, code: bytes, now: float) -> str | None:
        """``frame`` (a read that is exactly one verified frame of MsgType(35) ``code``) received at ``now``
        (seconds since the epoch): accepted, stored through ``save_inbound`` and its MsgType(35) returned for
        delivery; None (nothing changed) when the general path must take it."""
        session = self._session
        if not session._active or not session.received_logon:
            return None
        seq = session.seq
        if seq.resend is not None or seq.queue:
            return None  # a gap being recovered, or early messages waiting: the slow path orders them
        fast = session._fast
        scanner = fast.app
        if scanner is None or fast.batch is not None:
            return None
        timers = session.timers
        # an outstanding TestRequest(35=1), or no deadline armed: the general path computes a new deadline
        if timers.test_requests_sent or session._armed is None:
            return None
        seqnum = seq.next_target
        sender = seq.next_sender
        saved_sender, saved_target = session._saved
        if saved_sender != sender or saved_target != seqnum:
            return None  # the numbers moved other than by frames: a SaveSequenceNumbers is due
        # a garbled frame's claimed BodyLength(9) span covers only the read it came in
        swallow_end = session._swallow_end if session._swallow_buffer is frame else -1
        if swallow_end > 0 or not scanner.passes_frame(frame, code, seqnum, now):
            return None
        msg_type = self._name(code)
        following = seqnum + 1
        session.now = now
        seq.next_target = following
        timers.last_received = now  # Timers.received: no TestRequest was outstanding
        session._swallow_buffer = frame
        session._swallow_end = swallow_end
        session._saved = (sender, following)  # the stored frame tells the engine the next expected number
        owner = self._owner
        if owner is not None:
            owner._saved_next_target = following
        self._save_inbound((self._new_record((seqnum, msg_type, now, frame)),), following)
        return msg_type

    def send(self, msg_type: str, fields: Sequence[tuple[int, Any]], now: float) -> Any:
        """An application message of ``msg_type`` with body ``fields`` ((tag, value) pairs) sent at ``now``
        (seconds since the epoch, its SendingTime(52)): numbered, encoded and its store record returned;
        None (nothing changed) when the general path must build it (not Active, a header or trailer tag among
        ``fields``, bookkeeping due). A value that does not encode raises as ``Session.send`` does, before any
        number is taken."""
        session = self._session
        if not session._active or session._armed is None:
            return None
        seq = session.seq
        seqnum = seq.next_sender
        target = seq.next_target
        saved_sender, saved_target = session._saved
        if saved_sender != seqnum or saved_target != target:
            return None
        # 35, 34, 49, 52 (``now``), 56, then the fields; None when a header tag is among them: header tags join
        # the header, which MessageBuilder.application sorts
        frame = self._encoder.encode(msg_type, seqnum, now, fields)
        if frame is None:
            return None
        following = seqnum + 1
        session.now = now
        seq.next_sender = following  # taken once the frame is built: a message that fails to encode leaves no gap
        session._saved = (following, target)  # the stored frame tells the engine the next sender number
        session.timers.last_sent = now
        return self._new_record((seqnum, msg_type, now, frame))

    def _name(self, code: bytes) -> str:
        names = self._names
        msg_type = names.get(code)
        if msg_type is None:
            msg_type = code.decode("latin-1")
            if len(names) < MAX_MSG_TYPE_NAMES:
                names[code] = msg_type
        return msg_type
