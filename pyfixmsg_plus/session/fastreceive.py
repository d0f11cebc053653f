"""The session's fast receive path: frames that need nothing but acceptance, accepted without the slow path.

While the session is Active with no gap being recovered and no early message queued (``_fast_path_open``), a
frame whose MsgType(35) has walked clean through the slow path before (:mod:`pyfixmsg_plus.session.fastlane`)
and that a compiled ``RunScanner`` passes (in sequence, no PossDupFlag(43), header as expected, SendingTime(52)
within its window) is accepted as the slow path would accept it: MsgSeqNum(34) advanced, receive time noted,
stored and delivered. Two shapes: a run of spans of a FrameIndex (``_fast_run``), and a read that is exactly
one frame (``receive_single_frame``: no FrameIndex at all). Mixed into :class:`~pyfixmsg_plus.session.Session`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pyfixmsg_plus.message.framing_py import MSGTYPE_WIDTH  # msgtypes keeps up to this many bytes
from pyfixmsg_plus.session.events import MessageReceived, Output, StoreInbound, StoreInboundRun

if TYPE_CHECKING:
    from pyfixmsg_plus.session.batch import BatchCollector
    from pyfixmsg_plus.session.fastlane import FastLane
    from pyfixmsg_plus.session.sequencing import Sequencing
    from pyfixmsg_plus.session.timers import Timers

#: MsgType(35) bytes (as FrameIndex.msgtypes gives them) -> str, for the fast path's per-message events
_MSG_TYPE_NAMES: dict[bytes, str] = {}
_MAX_MSG_TYPE_NAMES = 1024  # a counterparty sending endless new MsgTypes must not grow the table forever


class FastReceive:
    """Accepts frames the fast lane's scanners pass (see the module docstring)."""

    # what the Session provides (set in Session.__init__)
    seq: Sequencing
    timers: Timers
    now: float
    received_logon: bool
    _fast: FastLane
    _batch: BatchCollector
    _active: bool  # the state is Active
    _out: list[Output]
    _swallow_buffer: Any  # the read whose garbled frame's BodyLength(9) claims bytes up to _swallow_end
    _swallow_end: int

    if TYPE_CHECKING:

        def emit(self, output: Output) -> None: ...
        def _note_numbers_and_timer(self, out: list[Output], active: bool | None, later_only: bool = False) -> None: ...
        def _target_follows_frames(self, seqnum: int, count: int = 1) -> None: ...

    def receive_single_frame(self, frame: bytes, code: bytes, now: float) -> list[Output] | None:
        """A read that is exactly one valid frame, ``code`` its MsgType(35) (``Framer.msgtype_if_one_frame``
        said so): its outputs when the fast path accepts it, exactly as :meth:`receive_index` gives them for
        the read; None when it needs the general path (the caller then splits the read with ``Framer.feed``
        and calls :meth:`receive_index`, with ``single_tried=True``). No FrameIndex is built."""
        return self._accept_single(frame, 0, frame, code, now)

    def _receive_single(self, ix: Any, now: float) -> list[Output] | None:
        """A one-span index whose frame the fast path accepts: see :meth:`_accept_single`."""
        if not ix.valid[0]:
            return None
        buffer = ix.buffer
        offset = int(ix.offsets[0])
        return self._accept_single(buffer, offset, buffer[offset : offset + int(ix.lengths[0])], ix.msgtype(0), now)

    def _accept_single(self, buffer: bytes, offset: int, frame: bytes, code: bytes, now: float) -> list[Output] | None:
        """One valid frame at ``offset`` in the read ``buffer`` that the fast path accepts
        (``RunScanner.passes_frame``: the checks of ``scan`` for one frame, without the index's arrays): its
        outputs, as ``_fast_run`` followed by ``_finish`` gives them for it; None when it needs the general path
        (batch MsgTypes in use, the fast path closed, a frame inside a garbled frame's BodyLength(9), or any
        check failing)."""
        fast = self._fast
        app = fast.app
        if app is None or fast.batch is not None or not self._fast_path_open():
            return None
        # the end of a garbled frame's claimed span carries over only within the buffer it was read from
        swallow_end = self._swallow_end if self._swallow_buffer is buffer else -1
        if offset < swallow_end:
            return None
        seqnum = self.seq.next_target
        if not app.passes_frame(frame, code, seqnum, now):
            return None
        msg_type = _MSG_TYPE_NAMES.get(code)
        if msg_type is None:
            msg_type = code.decode("latin-1")
            if len(_MSG_TYPE_NAMES) < _MAX_MSG_TYPE_NAMES:
                _MSG_TYPE_NAMES[code] = msg_type
        self.now = now
        self.seq.next_target = seqnum + 1
        timers = self.timers
        # with no TestRequest(35=1) outstanding, a receive moves every deadline later (none to compute)
        later_only = timers.test_requests_sent == 0
        timers.received(now)
        self._swallow_buffer, self._swallow_end = buffer, swallow_end
        out: list[Output] = [
            StoreInbound(seqnum, frame, msg_type),  # one frame: a record, not a run over an index
            MessageReceived(msg_type, seqnum, None, frame, False, False),  # pairs tokenized only if read
        ]
        self._target_follows_frames(seqnum)
        self._note_numbers_and_timer(out, True, later_only)
        return out

    def _fast_path_open(self) -> bool:
        """Active, logged on, no gap being recovered and no early message waiting: plain in-sequence flow."""
        return (
            self._active
            and self.received_logon
            and self.seq.resend is None
            and not self.seq.queue
        )

    def _fast_run(self, ix: Any, start: int, not_before: int) -> int:
        """Accept the run of frames from span ``start`` on that a scanner passes; how many (0: slow path)."""
        expected = self.seq.next_target
        batch, app = self._fast.batch, self._fast.app
        if batch is not None:
            count = batch.scan(ix, start, expected, not_before, self.now)
            if count:
                self._accept_run(ix, start, count)
                self._batch.add_run(ix, start, count, len(self._out))
                return int(count)
        if app is not None and app.msg_types:
            count = app.scan(ix, start, expected, not_before, self.now)
            if count:
                self._accept_run(ix, start, count)
                self._deliver_run(ix, start, count, expected)
                return int(count)
        return 0

    def _accept_run(self, ix: Any, start: int, count: int) -> None:
        """``count`` frames from span ``start`` on passed the fast path: accepted as the slow path would."""
        first = self.seq.next_target
        self.seq.next_target = first + count
        self.timers.received(self.now)
        self.emit(StoreInboundRun(first, ix, start, count))
        self._target_follows_frames(first, count)

    def _deliver_run(self, ix: Any, start: int, count: int, first_seqnum: int) -> None:
        """One MessageReceived per frame of an accepted run of application messages (no PossDup: none passes)."""
        emit = self._out.append
        stop = start + count
        buffer = ix.buffer
        # the run's columns as Python lists once (indexing NumPy arrays per frame costs more than the slicing)
        offsets = ix.offsets[start:stop].tolist()
        lengths = ix.lengths[start:stop].tolist()
        shorts = ix.msgtypes[start:stop].tolist()
        names = _MSG_TYPE_NAMES
        for k in range(count):
            short = shorts[k]
            msg_type = names.get(short) if len(short) < MSGTYPE_WIDTH else None
            if msg_type is None:  # a new MsgType, or one the index keeps truncated (8 bytes and more)
                msg_type = ix.msgtype(start + k).decode("latin-1")
                if len(short) < MSGTYPE_WIDTH and len(names) < _MAX_MSG_TYPE_NAMES:
                    names[short] = msg_type
            offset = offsets[k]
            frame = buffer[offset : offset + lengths[k]]
            emit(MessageReceived(msg_type, first_seqnum + k, None, frame, False, False))  # pairs when asked
