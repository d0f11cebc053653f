"""Sequence numbers: the next numbers to send and expect, the queue of early messages, the gap being
recovered.

FIX rule (MsgSeqNum, 34): a message numbered above the expected one reveals a gap; the receiver asks for the
missing range with one ResendRequest (35=2), keeps what arrived early, and processes it in order once the
gap is
filled. Asking in chunks (ResendRequestChunkSize) bounds the size of each replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyfixmsg_plus.session.inbound import Inbound

#: EndSeqNo (16) meaning "up to the last message sent": 0 from FIX 4.2, 999999 before
INFINITY_FROM_FIX42 = 0
INFINITY_BEFORE_FIX42 = 999999
#: the largest MsgSeqNum(34) the stores keep (``store.contract.MAX_SEQ_NUM``; the session imports no store): a
#: NewSeqNo(36) above it would make the next expected number one no store can save
MAX_SEQ_NUM = (1 << 32) - 1
#: FetchResend ranges remembered until fulfilled (the oldest are forgotten past this)
MAX_FETCHES_KEPT = 64


@dataclass(slots=True)
class ResendRange:
    """A gap being recovered: messages ``begin``..``end`` are missing, ``chunk_end`` is the last one asked
    for.
    """

    begin: int
    end: int
    chunk_end: int


@dataclass(slots=True)
class ResendRequestFields:
    """BeginSeqNo (7) and EndSeqNo (16) of a ResendRequest to send."""

    begin: int
    end: int


@dataclass(slots=True)
class Sequencing:
    """Next outbound/inbound MsgSeqNum, the early-message queue and the gap in recovery."""

    next_sender: int = 1
    next_target: int = 1
    queue: dict[int, Inbound] = field(default_factory=dict)
    resend: ResendRange | None = None
    #: how many resets the numbers went through: a range asked before a reset names messages of the old numbering
    generation: int = 0
    #: (BeginSeqNo, EndSeqNo, generation) of each FetchResend given to the engine and not yet fulfilled
    fetches: list[tuple[int, int, int]] = field(default_factory=list)

    def reset(self) -> None:
        """Both numbers back to 1 (ResetSeqNumFlag, ResetOnLogon/Logout/Disconnect); forget queue and gap."""
        self.next_sender = 1
        self.next_target = 1
        self.queue.clear()
        self.resend = None
        self.generation += 1

    def fetch_asked(self, begin: int, end: int) -> None:
        """A FetchResend(begin, end) went to the engine: its answer comes back through ``fulfil_resend``."""
        self.fetches.append((begin, end, self.generation))
        del self.fetches[:-MAX_FETCHES_KEPT]  # an engine that drops some (store failure) cannot grow the list

    def fetch_is_stale(self, begin: int, end: int) -> bool:
        """True when the oldest FetchResend(begin, end) not yet fulfilled was asked before the last reset.

        FIX: after ResetSeqNumFlag(141)=Y or SequenceReset the numbers of the old range name other messages; a
        replay (or a gap fill up to the old NewSeqNo(36)) would give the counterparty numbers we never sent.
        A range never asked (a caller's own replay) is not stale."""
        for i, (asked_begin, asked_end, generation) in enumerate(self.fetches):
            if (asked_begin, asked_end) == (begin, end):
                del self.fetches[i]
                return generation != self.generation
        return False

    def take_sender(self) -> int:
        """The MsgSeqNum for the next new outbound message (and advance)."""
        seqnum = self.next_sender
        self.next_sender += 1
        return seqnum

    def set_next_target(self, value: int) -> None:
        """The counterparty's next number is ``value`` (SequenceReset); early messages below it are stale."""
        self.next_target = value
        for stale in [s for s in self.queue if s < value]:
            del self.queue[stale]

    def accept_target(self) -> None:
        """The expected message was processed: expect the next one."""
        self.queue.pop(self.next_target, None)
        self.next_target += 1

    def enqueue(self, seqnum: int, inbound: Inbound) -> None:
        """Keep an early message until the gap before it is filled (the first copy wins)."""
        self.queue.setdefault(seqnum, inbound)

    def pop_ready(self) -> Inbound | None:
        """The queued message numbered as expected, if any (removed from the queue)."""
        return self.queue.pop(self.next_target, None)

    def gap_request(
        self, received: int, chunk_size: int, infinity: int, redundant: bool
    ) -> ResendRequestFields | None:
        """ResendRequest fields for the gap that ``received`` (too high) reveals; None when it is already
        asked for.

        Unchunked requests ask "to infinity" (``infinity``: 0 or 999999) as QuickFIX does, so messages that
        arrive
        meanwhile are covered too.
        """
        if self.resend is not None and not redundant and received >= self.resend.begin:
            return None
        begin, last = self.next_target, received - 1
        if chunk_size and last - begin + 1 > chunk_size:
            chunk_end = begin + chunk_size - 1
            self.resend = ResendRange(begin, last, chunk_end)
            return ResendRequestFields(begin, chunk_end)
        self.resend = ResendRange(begin, last, last)
        return ResendRequestFields(begin, infinity)

    def gap_progress(self, received: int, chunk_size: int, infinity: int) -> ResendRequestFields | None:
        """After ``received`` was accepted: close the gap when filled, or ask for the next chunk when one is
        done.
        """
        gap = self.resend
        if gap is None:
            return None
        if received >= gap.end:
            self.resend = None
            return None
        if received >= gap.chunk_end:
            begin = received + 1
            remaining = gap.end - begin + 1
            if chunk_size and remaining > chunk_size:
                gap.chunk_end = begin + chunk_size - 1
                return ResendRequestFields(begin, gap.chunk_end)
            gap.chunk_end = gap.end
            return ResendRequestFields(begin, infinity if not chunk_size else gap.end)
        return None
