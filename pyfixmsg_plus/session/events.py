"""What the session gives out: events for the application and effects for the engine.

Every input method of :class:`~pyfixmsg_plus.session.Session` returns a list of these, in the order they
must be
acted on. Effects ask the engine to do I/O; events tell the application what happened.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session.states import SessionState

Pairs = list[tuple[int, bytes]]


class StoreTiming(enum.Enum):
    """Whether and when an outbound frame goes to the message store."""

    NOT_STORED = "not_stored"  # resent messages and gap fills: they already are (or never were) stored
    BEFORE_WRITE = "before_write"  # store, then write (sync and group persistence)
    AFTER_WRITE = "after_write"  # write, then store (write-behind persistence)


# ---------------------------------------------------------------- effects (for the engine)
@dataclass(frozen=True, slots=True)
class SendFrame:
    """Write ``frame`` to the transport; store it under ``seqnum`` as ``store`` says."""

    frame: bytes
    seqnum: int
    msg_type: str
    store: StoreTiming


@dataclass(frozen=True, slots=True)
class StoreInbound:
    """Keep a received frame that the session accepted in sequence (for audit and recovery); ``msg_type`` is
    its MsgType(35) when the session read it ("" when not: the store reads it from the frame)."""

    seqnum: int
    frame: bytes
    msg_type: str = ""


@dataclass(frozen=True, slots=True)
class StoreInboundRun:
    """Keep ``count`` accepted frames of the FrameIndex ``index`` from span ``start`` on, numbered from
    ``first_seqnum`` (the fast path's whole run at once: no object per frame)."""

    first_seqnum: int
    index: Any
    start: int
    count: int


@dataclass(frozen=True, slots=True)
class SaveSequenceNumbers:
    """The next sender and target MsgSeqNum(34) changed: persist them (batched once per input call)."""

    next_sender: int
    next_target: int


@dataclass(frozen=True, slots=True)
class ResetStore:
    """Sequence numbers went back to 1 (ResetSeqNumFlag or a Reset* setting): drop stored messages."""


@dataclass(frozen=True, slots=True)
class FetchResend:
    """Fetch the stored outbound frames with MsgSeqNum in [begin, end] and pass them to
    ``Session.fulfil_resend``.
    """

    begin: int
    end: int


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """Call ``Session.tick`` at ``deadline`` (seconds since the epoch); replaces any earlier ArmTimer."""

    deadline: float


@dataclass(frozen=True, slots=True)
class Disconnect:
    """Close the transport."""

    reason: str


# ---------------------------------------------------------------- events (for the application)
@dataclass(frozen=True, slots=True)
class StateChanged:
    """The session moved from ``old`` to ``new``."""

    old: SessionState
    new: SessionState


@dataclass(frozen=True, slots=True)
class LoggedOn:
    """The Logon exchange finished; ``reset`` says whether sequence numbers were reset to 1."""

    reset: bool


@dataclass(frozen=True, slots=True)
class LoggedOut:
    """The session left Active (Logout exchanged, timed out, or the transport was lost)."""

    reason: str


class MessageReceived:
    """A message accepted in sequence. ``pairs`` are its (tag, value) fields in wire order; the fast path hands
    over None and they are tokenized from ``frame`` on first use (the engine decodes the frame itself)."""

    __slots__ = ("_pairs", "frame", "is_admin", "msg_type", "poss_dup", "seqnum")

    def __init__(
        self, msg_type: str, seqnum: int, pairs: Pairs | None, frame: bytes, is_admin: bool, poss_dup: bool
    ) -> None:
        self.msg_type = msg_type
        self.seqnum = seqnum
        self._pairs = pairs
        self.frame = frame
        self.is_admin = is_admin
        self.poss_dup = poss_dup

    @property
    def pairs(self) -> Pairs:
        """The (tag, value) fields in wire order."""
        if self._pairs is None:
            self._pairs = _impl.load("parser").parse_pairs(self.frame)
        return self._pairs

    def get(self, tag: int, default: bytes | None = None) -> bytes | None:
        """Value of the first ``tag`` field, or ``default``."""
        for t, v in self.pairs:
            if t == tag:
                return v
        return default

    def _key(self) -> tuple[str, int, bytes, bool, bool]:
        # the frame determines the pairs: equal frames, equal messages
        return (self.msg_type, self.seqnum, self.frame, self.is_admin, self.poss_dup)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MessageReceived):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return (f"MessageReceived(msg_type={self.msg_type!r}, seqnum={self.seqnum}, frame={self.frame!r}, "
                f"is_admin={self.is_admin}, poss_dup={self.poss_dup})")


@dataclass(frozen=True, slots=True)
class BatchReceived:
    """Messages of ``SessionConfig.batch_msg_types`` accepted in sequence during one input (one socket read).

    ``index`` is a FrameIndex holding only those frames, in MsgSeqNum(34) order: ``index.buffer`` is the bytes
    read (shared, not copied), ``offsets``/``lengths`` locate each frame in it (bytes), ``seqnums`` and
    ``msgtypes`` are NumPy arrays. No per-message object is built for them; they get no MessageReceived.
    """

    index: Any

    def __len__(self) -> int:
        return len(self.index)


@dataclass(frozen=True, slots=True)
class RejectSent:
    """The session answered a received message with a Reject (35=3) or BusinessMessageReject (35=j)."""

    msg_type: str
    ref_seqnum: int | None
    reason: int
    text: str


@dataclass(frozen=True, slots=True)
class FrameIgnored:
    """A garbled span of input was skipped (FIX: no reply, no sequence increment)."""

    offset: int
    length: int
    reason: str


Effect = (
    SendFrame | StoreInbound | StoreInboundRun | SaveSequenceNumbers | ResetStore | FetchResend | ArmTimer | Disconnect
)
Event = StateChanged | LoggedOn | LoggedOut | MessageReceived | BatchReceived | RejectSent | FrameIgnored
Output = Effect | Event
