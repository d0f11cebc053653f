"""``PersistMessages = N``: a view of a store that keeps outbound sequence numbers but not outbound messages.

QuickFIX's PersistMessages=N stops storing sent messages while the store still keeps the next sender and target
numbers, so a restart continues the numbering; a ResendRequest(2) is then answered with SequenceReset-GapFill
(35=4, 123=Y) over the range, which is what the session's replay does for numbers the store does not hold. The
view replays nothing even where the wrapped store still holds messages from a run with PersistMessages=Y, so the
answer does not depend on what an earlier configuration kept.

:func:`~pyfixmsg_plus.store.persistence.make_writer` is the one place that decides: with
``persist_messages=False`` the session's outbound writer saves through a :class:`SequenceOnlyStore`, so the
persistence mode (sync / group / write_behind) still decides *when* the number is made durable relative to the
socket write, and nothing else in the engine changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pyfixmsg_plus.store.contract import (
    FrameRecord,
    MessageQuery,
    MessageStore,
    ReplayFrame,
    SequenceState,
    SessionKey,
    StoredMessage,
    check_seq_num,
)


class SequenceOnlyStore(MessageStore):
    """Wraps ``store``: :meth:`save_outbound` only advances the next sender MsgSeqNum(34) past the records (no
    message bytes are written); every other method is the wrapped store's own."""

    def __init__(self, store: MessageStore) -> None:
        self.inner = store
        self.default_session = store.default_session

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def save_outbound(self, session: SessionKey, records: Sequence[FrameRecord]) -> None:
        """Advance the next sender number past ``records`` (1 .. 2**32-1, else ValueError naming the number);
        their bytes are dropped."""
        if records:
            await self.inner.advance_sender_seqnum(session, next_after(records))

    def plain_save(self) -> Callable[[SessionKey, Sequence[FrameRecord]], None] | None:
        """:meth:`save_outbound` as a plain call when the wrapped store advances without waiting (its
        ``plain_advance()``, which the memory store offers), for the group-commit writer's hot path; None
        otherwise."""
        plain_advance = getattr(self.inner, "plain_advance", None)
        advance_now: Callable[[SessionKey, int], None] | None = plain_advance() if plain_advance else None
        if advance_now is None:
            return None

        def save_now(session: SessionKey, records: Sequence[FrameRecord]) -> None:
            if records:
                advance_now(session, next_after(records))

        return save_now

    async def save_inbound(
        self, session: SessionKey, records: Sequence[FrameRecord], next_target_seqnum: int | None = None
    ) -> None:
        # inbound messages are kept as before: PersistMessages concerns what this side sent
        await self.inner.save_inbound(session, records, next_target_seqnum)

    async def get_outbound(self, session: SessionKey, first_seq: int, last_seq: int) -> list[StoredMessage]:
        return await self.inner.get_outbound(session, first_seq, last_seq)

    async def get_outbound_frames(self, session: SessionKey, first_seq: int, last_seq: int) -> list[ReplayFrame]:
        """No frame to replay, ever: a ResendRequest(2) is answered with SequenceReset-GapFill over the whole range,
        as QuickFIX does with PersistMessages=N, also for messages an earlier PersistMessages=Y run stored (they
        stay in the store for queries, :meth:`get_outbound`)."""
        return []

    async def query(self, query: MessageQuery) -> list[StoredMessage]:
        return await self.inner.query(query)

    async def prune(self, older_than: float, session: SessionKey | None = None) -> int:
        return await self.inner.prune(older_than, session)

    async def sequence_state(self, session: SessionKey) -> SequenceState:
        return await self.inner.sequence_state(session)

    async def set_sequence_numbers(
        self, session: SessionKey, *, incoming_seqnum: int | None = None, outgoing_seqnum: int | None = None
    ) -> None:
        await self.inner.set_sequence_numbers(session, incoming_seqnum=incoming_seqnum, outgoing_seqnum=outgoing_seqnum)

    async def advance_sender_seqnum(self, session: SessionKey, next_sender_seqnum: int) -> None:
        await self.inner.advance_sender_seqnum(session, next_sender_seqnum)

    async def reserve_through(self, session: SessionKey, seq_num: int) -> None:
        await self.inner.reserve_through(session, seq_num)

    async def reset(self, session: SessionKey) -> None:
        await self.inner.reset(session)

    async def sessions(self) -> list[SessionKey]:
        return await self.inner.sessions()


def next_after(records: Sequence[FrameRecord]) -> int:
    """One above the highest MsgSeqNum(34) of non-empty ``records``, once every number is storable (1 .. 2**32-1,
    else ValueError naming MsgSeqNum(34) and the value)."""
    if len(records) == 1:  # the usual send: one message
        return check_seq_num(records[0].seq_num) + 1
    numbers = [record.seq_num for record in records]
    check_seq_num(min(numbers))
    return check_seq_num(max(numbers)) + 1
