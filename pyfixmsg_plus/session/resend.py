"""Answering a ResendRequest (35=2): which stored messages to replay and which ranges to gap-fill.

FIX rule: application messages are resent with PossDupFlag(43)=Y; admin messages (and application messages the
configuration marks non-resendable) are replaced by SequenceReset-GapFill (35=4, 123=Y) covering consecutive
runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pyfixmsg_plus.session.inbound import parse_pairs


@dataclass(frozen=True, slots=True)
class GapFill:
    """Send SequenceReset-GapFill numbered ``seqnum`` with NewSeqNo(36) = ``new_seqno``."""

    seqnum: int
    new_seqno: int


@dataclass(frozen=True, slots=True)
class Replay:
    """Resend this stored frame."""

    seqnum: int
    frame: bytes


ReplayStep = GapFill | Replay


def effective_end(end: int, next_sender: int, infinite_values: Iterable[int]) -> int:
    """EndSeqNo (16) resolved: "infinity" (0 or 999999) or beyond the last sent = the last sent."""
    if end in set(infinite_values) or end >= next_sender:
        return next_sender - 1
    return end


def stored_msg_type(frame: bytes) -> str:
    """MsgType (35) of a stored frame ("" when it cannot be found)."""
    for tag, value in parse_pairs(frame):
        if tag == 35:
            return value.decode("latin-1")
    return ""


def plan_replay(
    begin: int,
    end: int,
    stored: Iterable[tuple[int, bytes]],
    resendable: Callable[[str], bool],
) -> list[ReplayStep]:
    """The answer to a ResendRequest for ``begin``..``end`` (already resolved) given the stored frames.

    Stored frames outside the range are ignored; a missing number joins the gap fill around it.
    """
    if begin > end:
        return []
    steps: list[ReplayStep] = []
    gap_start: int | None = None
    current = begin
    for seqnum, frame in sorted(s for s in stored if begin <= s[0] <= end):
        if seqnum != current and gap_start is None:
            gap_start = current
        if resendable(stored_msg_type(frame)):
            if gap_start is not None:
                steps.append(GapFill(gap_start, seqnum))
                gap_start = None
            steps.append(Replay(seqnum, frame))
        elif gap_start is None:
            gap_start = seqnum
        current = seqnum + 1
    if gap_start is None and current <= end:
        gap_start = current
    if gap_start is not None:
        steps.append(GapFill(gap_start, end + 1))
    return steps
