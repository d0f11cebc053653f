"""The runner's receive path: each read framed once and fed to the session, a one-frame read without the pump.

A read is framed once (:class:`~pyfixmsg_plus.message.framing.Framer`). The common case of a session trading one
order at a time is a read holding exactly one whole frame, given to an idle runner: it is not split into a
FrameIndex (``Framer.msgtype_if_one_frame`` gives its MsgType(35), ``Session.receive_single_frame`` takes the
bytes), and its outputs are executed by plain calls in the read callback while they are plain ones (stored
inbound, a message delivered to plain callbacks, bookkeeping), without the pump's coroutines. From the first output
that must wait, the rest goes the pump's way in a task that holds the pump. Any other read is queued as a pump
input (whole, or per frame with ``deliver_per_frame``), so that outputs keep their order.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.eager import start_eagerly
from pyfixmsg_plus.engine.session_timer import SessionTimer
from pyfixmsg_plus.session import (
    ArmTimer,
    MessageReceived,
    Output,
    SaveSequenceNumbers,
    Session,
    StoreInbound,
    StoreInboundRun,
)
from pyfixmsg_plus.session.batch import per_frame_groups, restrict
from pyfixmsg_plus.session.inbound import parse_pairs
from pyfixmsg_plus.session.validation import quote_received
from pyfixmsg_plus.transport import Connection

if TYPE_CHECKING:
    from pyfixmsg_plus.application import Application
    from pyfixmsg_plus.message.codec import Codec
    from pyfixmsg_plus.message.fixmessage import FixMessage

log = logging.getLogger("pyfixmsg_plus.engine")
_REJECT = "3"  # Reject(35=3): also told to Application.onReject (SessionRunner._deliver_frame)

#: outputs executed by plain calls (SessionRunner._book): nothing to wait for, nothing written
BOOKED_KINDS = frozenset({StoreInbound, StoreInboundRun, SaveSequenceNumbers, ArmTimer})


class ReceivePath:
    """Feeds reads to the session and executes a one-frame read's outputs in the read callback (mixed into
    :class:`~pyfixmsg_plus.engine.SessionRunner`, which provides the session, the framer, the clock, the pump's
    queues and flags, and the methods below under ``TYPE_CHECKING``)."""

    # what the runner provides (set in SessionRunner.__init__ / on_connected)
    session: Session
    conn: Connection | None
    clock: Callable[[], float]  # wall time, seconds since the epoch
    deliver_per_frame: bool
    _framer: Any  # the connection's framing.Framer (None until connected)
    _batch_types: frozenset[bytes]  # MsgTypes(35) delivered as batches, as the framer gives them
    _inputs: collections.deque[Any]  # (session input, connection): non-empty means the pump has work
    _outputs: collections.deque[Any]  # (outputs, connection, waiter) queued behind the pump
    _pump: asyncio.Task[None] | None
    _pumping: bool
    _eager_step: bool
    _timer: SessionTimer
    app: Application
    codec: Codec
    _session_id: Any
    _lane: Any  # the session's fastpath.SessionLane (steady-state receive and send in one call each)
    _latin1_codec: Codec | None = None  # decodes the frames ``codec`` cannot (decode_undecodable)

    if TYPE_CHECKING:

        @property
        def session_id(self) -> Any: ...
        def _wake(self) -> None: ...
        async def _run_pump(self) -> None: ...
        async def _execute(self, outputs: Sequence[Output], conn: Connection | None) -> None: ...
        def _deliver(self, event: MessageReceived) -> Awaitable[Any] | None: ...
        def _deliver_frame(self, frame: bytes, msg_type: str, admin: bool = False) -> Awaitable[Any] | None: ...
        def _book(self, output: Output, now: float | None = None) -> None: ...
        def _abort(self, conn: Connection | None) -> None: ...
        def send_queued_at_once(self) -> bool: ...

    def decode_undecodable(self, frame: bytes, error: UnicodeDecodeError) -> FixMessage:
        """A received frame holding a value the codec's encoding cannot decode, as a FixMessage all the same.

        FIX String fields are ASCII (the Encoded* fields excepted); a counterparty that sends other bytes must
        not cost the connection nor the message, which the session has already accepted and stored: its values
        are decoded as latin-1 (each byte one character, so none is lost or changed; ``raw_message`` keeps the
        bytes), with a warning naming the field and value."""
        encoding = self.codec.encoding or "utf-8"
        tag, value = undecodable_field(frame, encoding)
        log.warning("session %s: %s(%d)=%s is not %s (%s); the message is given to the application decoded as "
                    "latin-1", self.session_id, field_name(self.codec.spec, tag), tag, quote_received(value), encoding,
                    error.reason)  # fmt: skip
        latin1 = self._latin1_codec
        if latin1 is None:  # made at the first such frame: most sessions never see one
            from pyfixmsg_plus.message.codec import Codec

            latin1 = self._latin1_codec = Codec(self.codec.spec, decode_as="latin-1")
        message: FixMessage = latin1.parse_message(frame)
        message.codec = self.codec
        return message

    def on_data(self, data: bytes) -> None:
        """Bytes read from the session's connection: framed once, then fed to the session as a FrameIndex (a
        read that is one whole frame, given to an idle runner, as that frame: no index unless it must)."""
        framer = self._framer
        if framer is None:
            framer = self._framer = _impl.load("framing").Framer()
        conn = self.conn
        idle = not self._pumping and not self._inputs and not self._outputs
        if idle:
            code = framer.msgtype_if_one_frame(data)
            if code is not None:
                if not self._receive_on_lane(data, code, conn):
                    self._receive_now(data, code, conn)  # the pump's work without its coroutines, nor an index
                return
        index = framer.feed(data)
        if framer.pending and conn is not None and conn.reader is not framer:
            conn.read_with(framer)  # later reads land after the kept remainder: feed then joins nothing
        count = index.count
        if not count:
            return  # only part of a frame so far: the framer keeps it
        if count == 1 and idle:
            self._receive_now(index, None, conn)  # one frame to an idle runner: the pump's work without coroutines
            return
        if not self.deliver_per_frame:
            self._inputs.append((functools.partial(self._receive, index), conn))
        else:
            for positions in per_frame_groups(index, self._batch_types):
                self._inputs.append((functools.partial(self._receive, restrict(index, positions)), conn))
        self._wake()  # once all are queued: one pump runs them in order

    def _receive(self, index: Any) -> list[Output]:
        return self.session.receive_index(index, self.clock())

    def _receive_on_lane(self, frame: bytes, code: bytes, conn: Connection | None) -> bool:
        """A read that is one whole frame of MsgType(35) ``code``, taken by the session's lane when it is an
        in-sequence application message in steady state (``SessionLane.receive``: accepted and stored in one
        call), then delivered here; False (nothing done) when the general path must take it. What the
        callbacks send meanwhile is queued and sent once they return, as after :meth:`_receive_now`."""
        try:
            msg_type = self._lane.receive(frame, code, self.clock())
        except Exception:  # the scanner's or the inbound store's error: as _receive_now treats them
            log.exception("session %s: executing session effects failed; disconnecting", self.session_id)
            self._abort(conn)
            return True
        if msg_type is None:
            return False
        self._pumping = self._eager_step = True
        pending: Awaitable[Any] | None = None
        try:
            if msg_type == _REJECT:
                pending = self._deliver_frame(frame, msg_type)
            else:  # _deliver_frame, inlined: once per order
                try:
                    message = self.codec.parse_message(frame)
                except UnicodeDecodeError as error:
                    message = self.decode_undecodable(frame, error)
                message.raw_message = frame
                pending = self.app.deliver_inbound_nowait(message, self._session_id, admin=False)
        except Exception:
            log.exception("session %s: executing session effects failed; disconnecting", self.session_id)
            self._abort(conn)
        finally:
            self._eager_step = False
        if pending is not None:
            self._after_plain_prefix(pending, [], 0, conn)  # an async callback: finished in a task
            return True
        self._pumping = False  # _after_plain_prefix's usual case, inlined
        if self._outputs:
            self.send_queued_at_once()  # the callbacks' answer, as a plain send when it is one
            if self._outputs or self._inputs:
                self._wake()
        elif self._inputs:
            self._wake()
        return True

    def _receive_now(self, read: Any, code: bytes | None, conn: Connection | None) -> None:
        """What the pump does with one read (``read``: a one-span FrameIndex, or, with ``code`` its MsgType(35),
        the bytes of a read that is one whole frame), done in the caller's frame without coroutines while every output
        is a plain one (stored inbound, a message delivered to plain callbacks, bookkeeping). From the first
        output that must wait (an async callback, a Reject(35=3) also told to onReject) or is anything else
        (frames to send, state changes, ...), the rest goes the pump's way in a task that holds the pump, as
        the eager pump would. Sends made by the callbacks meanwhile are queued behind (they see the pump
        running) and executed after these outputs, as the pump does."""
        self._pumping = self._eager_step = True
        pending: Awaitable[Any] | None = None
        outputs: list[Output] = []
        i = 0
        try:
            now = self.clock()
            try:
                outputs = self._receive_read(read, code, now)
            except Exception:
                log.exception("session %s: the session failed on an input; disconnecting", self.session_id)
                self._abort(conn)
            i, pending = self._execute_plain_prefix(outputs, now)
        except Exception:
            log.exception("session %s: executing session effects failed; disconnecting", self.session_id)
            self._abort(conn)
            pending, i = None, len(outputs)
        finally:
            self._eager_step = False
        self._after_plain_prefix(pending, outputs, i, conn)

    def _after_plain_prefix(
        self, pending: Awaitable[Any] | None, outputs: list[Output], i: int, conn: Connection | None
    ) -> None:
        """After a read's outputs were executed up to ``i`` in the caller's frame (the pump held): release the
        pump and send what the callbacks queued when all were, else finish in a task that holds the pump."""
        if pending is None and i == len(outputs):
            self._pumping = False
            if self._outputs:
                self.send_queued_at_once()  # the callbacks' answer, as a plain send when it is one
            if self._outputs or self._inputs:
                self._wake()  # sends the callbacks made: executed now, in this frame
            return
        self._eager_step = True
        try:
            task = start_eagerly(self._receive_rest(pending, outputs[i:], conn))
        finally:
            self._eager_step = False
        if task is not None:
            self._pump = task

    def _receive_read(self, read: Any, code: bytes | None, now: float) -> list[Output]:
        """The session's outputs for one read: a FrameIndex (``code`` None), or a read that is one whole frame
        of MsgType(35) ``code``, split into an index only when the session's one-frame path refuses it."""
        session = self.session
        if code is None:
            return session.receive_index(read, now)
        outputs = session.receive_single_frame(read, code, now)
        if outputs is None:
            outputs = session.receive_index(self._framer.feed(read), now, single_tried=True)
        return outputs

    def _execute_plain_prefix(self, outputs: list[Output], now: float) -> tuple[int, Awaitable[Any] | None]:
        """Execute outputs from the first on while they are plain ones; returns how many were executed and,
        when the last one's delivery must still be awaited, what to await. ``now`` is the input's time."""
        i, count = 0, len(outputs)
        while i < count:
            output = outputs[i]
            kind = type(output)
            if kind is MessageReceived:
                pending = self._deliver(output)  # type: ignore[arg-type]
                if pending is not None:
                    return i + 1, pending
            elif kind is ArmTimer:  # _book's first case, without its call
                self._timer.arm(output.deadline)  # type: ignore[union-attr]
            elif kind in BOOKED_KINDS:
                self._book(output, now)
            else:
                break
            i += 1
        return i, None

    async def _receive_rest(self, pending: Awaitable[Any] | None, rest: list[Output], conn: Connection | None) -> None:
        """The rest of :meth:`_receive_now` once something must wait, then whatever queued meanwhile."""
        try:
            try:
                if pending is not None:
                    await pending
                await self._execute(rest, conn)
            except Exception:
                log.exception("session %s: executing session effects failed; disconnecting", self.session_id)
                self._abort(conn)
            await self._run_pump()
        finally:
            self._pump = None
            self._pumping = False


def undecodable_field(frame: bytes, encoding: str) -> tuple[int, bytes]:
    """The first (tag, value) of ``frame`` whose value ``encoding`` cannot decode ((0, b"") if none)."""
    for tag, value in parse_pairs(frame):
        try:
            value.decode(encoding)
        except UnicodeDecodeError:
            return tag, value
    return 0, b""


def field_name(spec: Any, tag: int) -> str:
    """The name ``spec`` (a FixSpec, or None) gives ``tag``, else ``Tag``."""
    tags = getattr(spec, "tags", None)
    known = tags.get(tag) if tags is not None else None
    return str(getattr(known, "name", None) or "Tag")
