"""The message-store contract: what every backend (memory, sqlite3, aiosqlite) offers the session and engine.

Modelled on QuickFIX/J's ``MessageStore`` and kept small. Stores hold the raw frame bytes the engine wrote or
received (never re-encoded copies), keyed by session, direction and MsgSeqNum(34). Every method is async so
that
the same engine code drives an in-process store and one behind a thread or a network.

The original pyfixmsg_plus duck-typed API (``store_message``, ``get_message(..., seq_num=)``,
``get_next_outgoing_sequence_number()`` ...) is kept on :class:`MessageStore` for users' code, bound to the
store's ``default_session``.
"""

from __future__ import annotations

import abc
import enum
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import NamedTuple

from pyfixmsg_plus.store.errors import StoreError

#: sequence numbers are stored in 32 bits beside the stream number (see ``message_key``)
MAX_SEQ_NUM = (1 << 32) - 1


class Direction(enum.IntEnum):
    """Which way a stored message travelled."""

    OUTBOUND = 0
    INBOUND = 1


@dataclass(frozen=True, order=True)
class SessionKey:
    """A FIX session's identity: BeginString(8), SenderCompID(49), TargetCompID(56) and an optional
    qualifier."""

    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    qualifier: str = ""

    def __str__(self) -> str:
        text = f"{self.begin_string}:{self.sender_comp_id}->{self.target_comp_id}"
        return f"{text}:{self.qualifier}" if self.qualifier else text


class FrameRecord(NamedTuple):
    """One frame to store: MsgSeqNum(34), MsgType(35), SendingTime(52) in epoch seconds, and the exact
    bytes. ``data`` must be ``bytes``: the SQL stores refuse anything else with a ValueError naming the record
    (the memory store copies a bytearray or memoryview, so do not rely on that when switching stores)."""

    seq_num: int
    msg_type: str
    sending_time: float
    data: bytes


#: ``new_record((seq_num, msg_type, sending_time, data))``: the FrameRecord of those four fields, built in C
#: (FrameRecord(...) runs the namedtuple's ``__new__``, a Python function, once per stored frame). The fields are
#: taken as given, unchecked, so pass exactly four in FrameRecord's order.
new_record: Callable[[tuple[int, str, float, bytes]], FrameRecord] = functools.partial(tuple.__new__, FrameRecord)


@dataclass(frozen=True)
class StoredMessage:
    """A message read back from a store. ``sending_time`` is in epoch seconds."""

    session: SessionKey
    direction: Direction
    seq_num: int
    msg_type: str
    sending_time: float
    data: bytes


#: one stored outbound message as a replay takes it: MsgSeqNum(34), the frame, MsgType(35)
ReplayFrame = tuple[int, bytes, str]


@dataclass(frozen=True)
class SequenceState:
    """The durable sequence state of one session.

    ``reserved_through`` is the highest outbound MsgSeqNum reserved by a write-behind writer (0 when none):
    any
    number up to it may have reached the peer without being stored. ``creation_time`` is in epoch seconds.
    """

    next_sender_seqnum: int
    next_target_seqnum: int
    reserved_through: int
    creation_time: float

    @property
    def resume_sender_seqnum(self) -> int:
        """The next outbound number that is certainly unused: above every stored and every reserved number."""
        return max(self.next_sender_seqnum, self.reserved_through + 1)

    @property
    def possibly_lost(self) -> range:
        """Outbound numbers that may have been sent but not stored (answer resends for them with GapFill)."""
        return range(self.next_sender_seqnum, self.reserved_through + 1)


@dataclass(frozen=True)
class MessageQuery:
    """A filter over stored messages; every field left None matches everything.

    Sequence bounds are inclusive; times are epoch seconds, ``since`` inclusive and ``until`` exclusive.
    """

    session: SessionKey | None = None
    direction: Direction | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    since: float | None = None
    until: float | None = None
    msg_type: str | None = None
    limit: int | None = None

    def matches(self, message: StoredMessage) -> bool:
        """True when ``message`` passes every filter of this query (the memory store's reference
        semantics)."""
        checks = (
            self.session is None or message.session == self.session,
            self.direction is None or message.direction == self.direction,
            self.first_seq is None or message.seq_num >= self.first_seq,
            self.last_seq is None or message.seq_num <= self.last_seq,
            self.since is None or message.sending_time >= self.since,
            self.until is None or message.sending_time < self.until,
            self.msg_type is None or message.msg_type == self.msg_type,
        )
        return all(checks)


def check_seq_num(seq_num: int, field: str = "MsgSeqNum(34)") -> int:
    """``seq_num`` if it is a storable sequence number (1 .. 2**32-1), else ValueError naming the field."""
    if not 1 <= seq_num <= MAX_SEQ_NUM:
        raise ValueError(f"{field} = {seq_num} is outside 1..{MAX_SEQ_NUM}")
    return seq_num


def check_next_sender(next_sender_seqnum: int) -> int:
    """``next_sender_seqnum`` if it can follow a storable number (1 .. 2**32), else ValueError naming it."""
    if not 1 <= next_sender_seqnum <= MAX_SEQ_NUM + 1:
        raise ValueError(f"next sender MsgSeqNum(34) = {next_sender_seqnum} is outside 1..{MAX_SEQ_NUM + 1}")
    return next_sender_seqnum


def msg_type_of(frame: bytes) -> str:
    """MsgType(35) of a raw frame, '' when the frame has none (used by the original ``store_message`` API)."""
    start = frame.find(b"\x0135=")
    if start < 0:
        return ""
    start += 4
    end = frame.find(b"\x01", start)
    return frame[start : end if end >= 0 else len(frame)].decode("ascii", "replace")


class MessageStore(abc.ABC):
    """The contract every backend implements. All methods are coroutines; sequence numbers are
    MsgSeqNum(34)."""

    #: the session the original single-session API (``get_next_outgoing_sequence_number()`` ...) works on
    default_session: SessionKey | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def open(self) -> None:
        """Open (and create or migrate) the store; called once before use."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the store's resources; pending transactions are already committed."""

    async def __aenter__(self) -> MessageStore:
        await self.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    # -- messages --------------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        """Store outbound frames in one transaction and advance the next sender number past them.

        Raises :class:`SequenceReuseError` when a number is already stored (FIX never reuses MsgSeqNum(34)).
        """

    @abc.abstractmethod
    async def save_inbound(
        self, session: SessionKey, records: Sequence[FrameRecord], next_target_seqnum: int | None = None
    ) -> None:
        """Store inbound frames (a PossDup resend replaces the earlier copy) and, in the same transaction, the
        expected inbound number when given."""

    @abc.abstractmethod
    async def get_outbound(self, session: SessionKey, first_seq: int, last_seq: int) -> list[StoredMessage]:
        """Outbound messages with first_seq <= MsgSeqNum <= last_seq, in order, for a ResendRequest(2).

        ``last_seq`` 0 means "up to the last stored" as EndSeqNo(16)=0 does. Missing numbers are simply
        absent:
        the session answers them with SequenceReset-GapFill.
        """

    async def get_outbound_frames(self, session: SessionKey, first_seq: int, last_seq: int) -> list[ReplayFrame]:
        """What a ResendRequest(2) replay needs of :meth:`get_outbound`'s messages, as ``(MsgSeqNum(34), frame,
        MsgType(35))`` tuples in order (``session.resend.plan_replay`` takes them as they are).

        A store may answer without building one :class:`StoredMessage` per message (the SQL stores do: about
        2 us per message saved on a 100,000-message replay); this default reads :meth:`get_outbound`.
        """
        return [(m.seq_num, m.data, m.msg_type) for m in await self.get_outbound(session, first_seq, last_seq)]

    @abc.abstractmethod
    async def query(self, query: MessageQuery) -> list[StoredMessage]:
        """Messages matching ``query``, ordered by session, direction and sequence number."""

    @abc.abstractmethod
    async def prune(self, older_than: float, session: SessionKey | None = None) -> int:
        """Delete messages whose SendingTime is before ``older_than`` (epoch seconds); returns how many."""

    # -- sequence numbers ------------------------------------------------------------------------------------
    @abc.abstractmethod
    async def sequence_state(self, session: SessionKey) -> SequenceState:
        """The session's durable sequence state (created with both numbers 1 on first use)."""

    @abc.abstractmethod
    async def set_sequence_numbers(
        self,
        session: SessionKey,
        *,
        incoming_seqnum: int | None = None,
        outgoing_seqnum: int | None = None,
    ) -> None:
        """Set the next expected inbound and/or next outbound number (``engine.set_sequence_numbers``).

        Setting the outbound number N is an explicit operator decision to use N again: stored outbound
        messages
        numbered N or above are deleted and any write-behind reservation is lowered to N - 1.
        """

    @abc.abstractmethod
    async def reserve_through(self, session: SessionKey, seq_num: int) -> None:
        """Durably record that outbound numbers up to ``seq_num`` may be used before they are stored."""

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        """Durably raise the next outbound MsgSeqNum(34) to ``next_sender_seqnum`` (never lowering it) without
        storing a message: how sent numbers are kept with ``PersistMessages = N`` (see ``SequenceOnlyStore``).

        This default reserves the numbers below it (:meth:`reserve_through`), which recovery resumes above just
        the same; the bundled stores override it to move the number itself.
        """
        if check_next_sender(next_sender_seqnum) > 1:
            await self.reserve_through(session, next_sender_seqnum - 1)

    @abc.abstractmethod
    async def reset(self, session: SessionKey) -> None:
        """Forget the session's messages, set both numbers to 1 and restart its creation time
        (ResetSeqNumFlag(141)=Y on Logon, or a scheduled reset)."""

    @abc.abstractmethod
    async def sessions(self) -> list[SessionKey]:
        """Every session the store knows, sorted."""

    # -- conveniences built on the contract ------------------------------------------------------------------
    async def next_sender_seqnum(self, session: SessionKey) -> int:
        """The next outbound number that is certainly unused (above every stored and reserved number)."""
        return (await self.sequence_state(session)).resume_sender_seqnum

    async def next_target_seqnum(self, session: SessionKey) -> int:
        """The next expected inbound MsgSeqNum(34)."""
        return (await self.sequence_state(session)).next_target_seqnum

    async def creation_time(self, session: SessionKey) -> float:
        """When the session's sequence numbers were last started or reset, in epoch seconds."""
        return (await self.sequence_state(session)).creation_time

    # -- the original pyfixmsg_plus API ----------------------------------------------------------------------
    def _default(self) -> SessionKey:
        if self.default_session is None:
            raise StoreError(
                "this store has no default session: pass beginstring, sendercompid and targetcompid to "
                "MessageStoreFactory.get_message_store, or use the session-keyed methods"
            )
        return self.default_session

    async def store_message(
        self, beginstring: str, sendercompid: str, targetcompid: str, msgseqnum: int, message: bytes | str
    ) -> None:
        """Store one outbound frame (original API); MsgType is read from the frame, SendingTime is now."""
        data = message.encode() if isinstance(message, str) else bytes(message)
        session = SessionKey(beginstring, sendercompid, targetcompid)
        await self.save_outbound(session, [FrameRecord(msgseqnum, msg_type_of(data), time.time(), data)])

    async def get_message(
        self,
        beginstring: str,
        sendercompid: str,
        targetcompid: str,
        msgseqnum: int | None = None,
        *,
        seq_num: int | None = None,
    ) -> bytes | None:
        """The stored outbound frame with this number, or None (original API; ``seq_num=`` as its docs
        wrote)."""
        number = msgseqnum if msgseqnum is not None else seq_num
        if number is None:
            raise TypeError("get_message() needs msgseqnum (or seq_num=)")
        found = await self.get_outbound(SessionKey(beginstring, sendercompid, targetcompid), number, number)
        return found[0].data if found else None

    async def get_next_outgoing_sequence_number(self) -> int:
        """Next outbound MsgSeqNum(34) of the default session."""
        return await self.next_sender_seqnum(self._default())

    async def get_next_incoming_sequence_number(self) -> int:
        """Next expected inbound MsgSeqNum(34) of the default session."""
        return await self.next_target_seqnum(self._default())

    async def get_current_outgoing_sequence_number(self) -> int:
        """Last outbound number used by the default session (next - 1)."""
        return await self.get_next_outgoing_sequence_number() - 1

    async def get_current_incoming_sequence_number(self) -> int:
        """Last inbound number accepted by the default session (next - 1)."""
        return await self.get_next_incoming_sequence_number() - 1

    async def set_incoming_sequence_number(self, seqnum: int) -> None:
        """Set the default session's next expected inbound number."""
        await self.set_sequence_numbers(self._default(), incoming_seqnum=seqnum)

    async def set_outgoing_sequence_number(self, seqnum: int) -> None:
        """Set the default session's next outbound number."""
        await self.set_sequence_numbers(self._default(), outgoing_seqnum=seqnum)

    async def reset_sequence_numbers(self) -> None:
        """Reset the default session (both numbers to 1, messages forgotten)."""
        await self.reset(self._default())
