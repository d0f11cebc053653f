"""An in-memory message store: the reference semantics of the contract, and the choice for tests and for
sessions that need no persistence (``message_store_type = memory``). Nothing survives the process."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from pyfixmsg_plus.store.contract import (
    MAX_SEQ_NUM,
    Direction,
    FrameRecord,
    MessageQuery,
    MessageStore,
    ReplayFrame,
    SequenceState,
    SessionKey,
    StoredMessage,
    check_next_sender,
    check_seq_num,
)
from pyfixmsg_plus.store.errors import SequenceReuseError, StoreClosedError
from pyfixmsg_plus.store.runs import FrameRun, RecordChunks, RunColumns, column_records

#: a frame as this store keeps it: an EXACT tuple (MsgSeqNum(34), MsgType(35), SendingTime(52) in epoch seconds,
#: frame bytes), FrameRecord's field order. Holding only atomic objects, CPython untracks it at its first
#: collection, so full collections do not walk what the store holds (a FrameRecord, a tuple subclass, stays tracked)
Kept = tuple[int, str, float, bytes]

#: a kept frame's (MsgSeqNum(34), frame, MsgType(35)): the ReplayFrame a replay takes
_REPLAY_FRAME = itemgetter(
    FrameRecord._fields.index("seq_num"), FrameRecord._fields.index("data"), FrameRecord._fields.index("msg_type")
)


@dataclass
class _SessionData:
    creation_time: float
    next_sender_seqnum: int = 1
    next_target_seqnum: int = 1
    reserved_through: int = 0
    #: sent frames by MsgSeqNum(34), kept as given (a StoredMessage is built only when something reads one)
    outbound: dict[int, Kept] = field(default_factory=dict)
    _inbound: dict[int, Kept] = field(default_factory=dict)
    #: received frames in arrival order until something reads the inbound side, in one list per session (no
    #: list or tuple per batch): runs kept whole as RunColumns and single frames as Kept, none of them tracked
    #: by the collector once it has seen them
    runs: list[Kept | RunColumns] = field(default_factory=list)

    @property
    def inbound(self) -> dict[int, Kept]:
        """Inbound frames by MsgSeqNum(34) (what was received so far is folded in first, in arrival order, so
        a later copy of a number, such as a PossDupFlag(43) resend, wins)."""
        if self.runs:
            runs, self.runs = self.runs, []
            inbound = self._inbound
            for entry in runs:
                if len(entry) == _KEPT_FIELDS:
                    inbound[entry[0]] = entry  # type: ignore[assignment]
                else:
                    for kept in column_records(entry, tuple):  # type: ignore[arg-type]
                        inbound[kept[0]] = kept
        return self._inbound


_KEPT_FIELDS = len(FrameRecord._fields)


class MemoryStore(MessageStore):
    """Messages and sequence numbers held in dictionaries, per session."""

    def __init__(self, default_session: SessionKey | None = None) -> None:
        self.default_session = default_session
        self._sessions: dict[SessionKey, _SessionData] = {}
        self._closed = False
        # the session used last and its data: a session's own key object is found by identity, without
        # SessionKey.__hash__ (a Python call) per save; cleared by close() and reset()
        self._last_key: SessionKey | None = None
        self._last_data: _SessionData | None = None

    async def open(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        self._last_key = self._last_data = None

    def _data(self, session: SessionKey) -> _SessionData:
        if self._closed:
            raise StoreClosedError(f"memory store used after close() (session {session})")
        found = self._sessions.get(session)
        if found is None:
            found = self._sessions[session] = _SessionData(creation_time=time.time())
        self._last_key, self._last_data = session, found
        return found

    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        self.save_outbound_now(session, records)

    def plain_save(self) -> Callable[[SessionKey, Sequence[FrameRecord]], None] | None:
        """:meth:`save_outbound_now` while ``save_outbound`` is this class's own (which only calls it), for the
        group-commit writer's hot path; None when a subclass overrides ``save_outbound`` (to wait, fail or
        count): it then stays in use."""
        if getattr(type(self), "save_outbound", None) is not MemoryStore.save_outbound:
            return None
        return self.save_outbound_now

    def save_outbound_now(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        """:meth:`save_outbound` as a plain call (this store never waits): the group-commit writer's hot path
        stores a send with it, without a coroutine. Raises what ``save_outbound`` raises."""
        data = self._last_data if session is self._last_key else self._data(session)
        assert data is not None  # set together with _last_key, which is never None here
        outbound = data.outbound
        # one pass for the usual batch (increasing new numbers in range); anything else is checked in full
        highest = 0
        for record in records:
            seq_num = record.seq_num
            if seq_num <= highest or seq_num > MAX_SEQ_NUM or seq_num in outbound:
                highest = _checked_highest(session, outbound, records)
                break
            highest = seq_num
        # kept as exact tuples (a FrameRecord's slice is one, copied in C): see Kept
        for record in records:
            outbound[record.seq_num] = (
                record[:] if type(record) is FrameRecord and type(record.data) is bytes else _kept(record)
            )
        if highest >= data.next_sender_seqnum:
            data.next_sender_seqnum = highest + 1

    async def save_inbound(
        self, session: SessionKey, records: Sequence[FrameRecord], next_target_seqnum: int | None = None
    ) -> None:
        data = self._last_data if session is self._last_key else self._data(session)
        assert data is not None  # set together with _last_key, which is never None here
        # exact types first: isinstance against these Sequence subclasses is a Python-level ABC check
        kind = type(records)
        plain = kind is list or kind is tuple or not isinstance(records, RecordChunks)
        parts: Sequence[Sequence[FrameRecord]] = (records,) if plain else records.parts  # type: ignore[attr-defined]
        runs = data.runs
        append = runs.append
        before = len(runs)
        try:
            for part in parts:
                kind = type(part)
                if kind is not list and kind is not tuple and isinstance(part, FrameRun):
                    check_seq_num(part.first_seqnum)
                    check_seq_num(part.first_seqnum + part.size - 1)
                    # kept whole, as columns: no object per frame on the receive path
                    append(part.columns())
                    continue
                for record in part:
                    seq_num = record.seq_num
                    if not 1 <= seq_num <= MAX_SEQ_NUM:
                        check_seq_num(seq_num)  # raises, naming MsgSeqNum(34) and the value
                    # copied now: the caller may reuse its buffer, and a FrameRecord would stay tracked
                    append(record[:] if type(record) is FrameRecord and type(record.data) is bytes else _kept(record))
        except BaseException:
            del runs[before:]  # a refused batch keeps nothing
            raise
        if next_target_seqnum is not None:
            data.next_target_seqnum = check_seq_num(next_target_seqnum, "next target MsgSeqNum(34)")

    async def get_outbound(self, session: SessionKey, first_seq: int, last_seq: int) -> list[StoredMessage]:
        return [
            _stored(session, Direction.OUTBOUND, record)
            for record in _outbound_range(self._data(session).outbound, first_seq, last_seq)
        ]

    async def get_outbound_frames(self, session: SessionKey, first_seq: int, last_seq: int) -> list[ReplayFrame]:
        # the replay tuples straight from the kept frames: no StoredMessage per message
        return list(map(_REPLAY_FRAME, _outbound_range(self._data(session).outbound, first_seq, last_seq)))

    async def query(self, query: MessageQuery) -> list[StoredMessage]:
        found = [
            message
            for session in sorted(self._sessions)
            for direction in (Direction.OUTBOUND, Direction.INBOUND)
            for message in _sorted_messages(session, self._sessions[session], direction)
            if query.matches(message)
        ]
        return found if query.limit is None else found[: query.limit]

    async def prune(self, older_than: float, session: SessionKey | None = None) -> int:
        removed = 0
        for key, data in self._sessions.items():
            if session is not None and key != session:
                continue
            for messages in (data.outbound, data.inbound):
                old = [seq for seq, (_, _, sending_time, _) in messages.items() if sending_time < older_than]
                for seq in old:
                    del messages[seq]
                removed += len(old)
        return removed

    async def sequence_state(self, session: SessionKey) -> SequenceState:
        data = self._data(session)
        return SequenceState(
            data.next_sender_seqnum, data.next_target_seqnum, data.reserved_through, data.creation_time
        )

    async def set_sequence_numbers(
        self, session: SessionKey, *, incoming_seqnum: int | None = None, outgoing_seqnum: int | None = None
    ) -> None:
        data = self._data(session)
        if incoming_seqnum is not None:
            data.next_target_seqnum = check_seq_num(incoming_seqnum, "incoming_seqnum")
        if outgoing_seqnum is not None:
            data.next_sender_seqnum = check_seq_num(outgoing_seqnum, "outgoing_seqnum")
            data.reserved_through = min(data.reserved_through, outgoing_seqnum - 1)
            # an explicit reset of the outbound number re-opens the numbers above it: their old copies go
            for seq in [seq for seq in data.outbound if seq >= outgoing_seqnum]:
                del data.outbound[seq]

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        self.advance_sender_seqnum_now(session, next_sender_seqnum)

    def plain_advance(self) -> Callable[[SessionKey, int], None] | None:
        """:meth:`advance_sender_seqnum_now` while ``advance_sender_seqnum`` is this class's own, neither
        overridden by a subclass nor replaced on the instance; None otherwise (the coroutine stays in use)."""
        if getattr(type(self), "advance_sender_seqnum", None) is not MemoryStore.advance_sender_seqnum:
            return None
        if "advance_sender_seqnum" in self.__dict__:
            return None
        return self.advance_sender_seqnum_now

    def advance_sender_seqnum_now(self, session: SessionKey, next_sender_seqnum: int) -> None:
        """:meth:`advance_sender_seqnum` as a plain call (this store never waits): PersistMessages=N's hot path."""
        data = self._last_data if session is self._last_key else self._data(session)
        assert data is not None  # set together with _last_key, which is never None here
        data.next_sender_seqnum = max(data.next_sender_seqnum, check_next_sender(next_sender_seqnum))

    async def reserve_through(self, session: SessionKey, seq_num: int) -> None:
        data = self._data(session)
        data.reserved_through = max(data.reserved_through, check_seq_num(seq_num, "reserved MsgSeqNum(34)"))

    async def reset(self, session: SessionKey) -> None:
        self._data(session)
        self._sessions[session] = _SessionData(creation_time=time.time())
        self._last_key = self._last_data = None

    async def sessions(self) -> list[SessionKey]:
        return sorted(self._sessions)


def _stored(session: SessionKey, direction: Direction, kept: Kept) -> StoredMessage:
    seq_num, msg_type, sending_time, frame = kept
    return StoredMessage(session, direction, seq_num, msg_type, sending_time, frame)


def _kept(record: FrameRecord) -> Kept:
    """``record`` as the store keeps it (see Kept): its data as immutable bytes (a caller's bytearray or
    memoryview is copied, as this store always did; the SQL stores accept bytes only)."""
    return (record.seq_num, record.msg_type, record.sending_time, bytes(record.data))


def _checked_highest(session: SessionKey, outbound: dict[int, Kept], records: Sequence[FrameRecord]) -> int:
    """The highest MsgSeqNum(34) of ``records`` (0 when empty) once each is storable and new; else the first
    fault in order: ValueError naming MsgSeqNum(34) and the value, or SequenceReuseError."""
    seen: set[int] = set()
    for record in records:
        seq_num = record.seq_num
        if not 1 <= seq_num <= MAX_SEQ_NUM:
            check_seq_num(seq_num)  # raises, naming MsgSeqNum(34) and the value
        # FIX never reuses an outbound MsgSeqNum(34): the whole batch is refused before any of it is kept
        if seq_num in outbound or seq_num in seen:
            raise SequenceReuseError(f"session {session}: outbound MsgSeqNum(34) {seq_num} already stored")
        seen.add(seq_num)
    return max(seen, default=0)


def _outbound_range(outbound: dict[int, Kept], first_seq: int, last_seq: int) -> list[Kept]:
    """The kept frames with first_seq <= MsgSeqNum(34) <= last_seq in order; ``last_seq`` 0 is "through the last
    stored" as EndSeqNo(16)=0 is."""
    last = last_seq if last_seq > 0 else max(outbound, default=0)
    if last - first_seq < len(outbound):
        # a range narrower than the store (the usual ResendRequest(2)): look its numbers up, sort nothing
        return list(filter(None, map(outbound.get, range(max(first_seq, 1), last + 1))))
    return [outbound[seq] for seq in sorted(outbound) if first_seq <= seq <= last]


def _sorted_messages(session: SessionKey, data: _SessionData, direction: Direction) -> list[StoredMessage]:
    if direction is Direction.OUTBOUND:
        outbound = data.outbound
        return [_stored(session, direction, outbound[seq]) for seq in sorted(outbound)]
    inbound = data.inbound
    return [_stored(session, direction, inbound[seq]) for seq in sorted(inbound)]
