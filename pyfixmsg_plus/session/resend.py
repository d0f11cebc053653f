"""Answering a ResendRequest (35=2): which stored messages to replay and which ranges to gap-fill.

FIX rule: application messages are resent with PossDupFlag(43)=Y; admin messages (and application messages the
configuration marks non-resendable) are replaced by SequenceReset-GapFill (35=4, 123=Y) covering consecutive
runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pyfixmsg_plus import _impl
from pyfixmsg_plus.session.config import SessionConfig
from pyfixmsg_plus.session.inbound import HEADER_TAGS, TRAILER_TAGS, parse_pairs


# Not frozen: a frozen dataclass sets each field through object.__setattr__, about twice the cost of a plain
# slots dataclass, and a replay builds one step per stored message. Equality stays per class and field (a GapFill
# never equals a Replay or a tuple), there is still no ordering, and unsafe_hash keeps the steps hashable as the
# frozen classes were; treat them as values and do not assign to their fields.
@dataclass(slots=True, unsafe_hash=True)
class GapFill:
    """Send SequenceReset-GapFill numbered ``seqnum`` with NewSeqNo(36) = ``new_seqno``."""

    seqnum: int
    new_seqno: int


@dataclass(slots=True, unsafe_hash=True)
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


def possdup_rewriter(config: SessionConfig) -> Any:
    """The session's :class:`~pyfixmsg_plus.session.possdup_py.PossDupRewriter` (compiled when available):
    ``rewrite(stored, sending_time)`` gives a stored frame's resent form (PossDupFlag(43)=Y, OrigSendingTime(122),
    the new SendingTime(52), new BodyLength(9) and CheckSum(10)) as ``MessageBuilder.resent`` would, or None
    when the frame is outside its fast form. BeginString is written as ASCII and the CompIDs as UTF-8, as the
    encoder writes them."""
    return _impl.load("possdup").PossDupRewriter(
        config.begin_string.encode("ascii"),
        config.sender_comp_id.encode("utf-8"),
        config.target_comp_id.encode("utf-8"),
        HEADER_TAGS,
        TRAILER_TAGS,
    )


def stored_msg_type(frame: bytes) -> str:
    """MsgType (35) of a stored frame ("" when it cannot be found)."""
    # a frame we stored opens 8=..|9=..|35=..|: MsgType is read there without splitting the whole frame
    first = frame.find(b"\x01")
    second = frame.find(b"\x01", first + 1) if first > 0 else -1
    if frame.startswith(b"8=") and frame.startswith(b"9=", first + 1) and frame.startswith(b"35=", second + 1):
        end = frame.find(b"\x01", second + 4)
        if end > 0:
            return frame[second + 4 : end].decode("latin-1")
    for tag, value in parse_pairs(frame):
        if tag == 35:
            return value.decode("latin-1")
    return ""


def plan_replay(
    begin: int,
    end: int,
    stored: Iterable[tuple[int, bytes] | tuple[int, bytes, str]],
    resendable: Callable[[str], bool],
) -> list[ReplayStep]:
    """The answer to a ResendRequest for ``begin``..``end`` (already resolved) given the stored frames:
    ``(seqnum, frame)``, or ``(seqnum, frame, msg_type)`` when the store kept MsgType(35) beside the frame (it
    is then not read from the frame again, unless the store gave "": every FIX message has a MsgType, so an
    empty one means the store did not know it, and the frame says which it is).

    Stored frames outside the range are ignored; a missing number joins the gap fill around it.
    ``resendable`` is asked once per distinct MsgType.
    """
    if begin > end:
        return []
    steps: list[ReplayStep] = []
    append = steps.append
    # resendable() per MsgType, not per frame: a replay holds many frames of few types
    verdicts: dict[str, bool] = {}
    gap_start: int | None = None
    current = begin
    for item in sorted([s for s in stored if begin <= s[0] <= end]):
        seqnum = item[0]
        if seqnum != current and gap_start is None:
            gap_start = current
        msg_type = item[2] if len(item) > 2 else ""
        if not msg_type:
            msg_type = stored_msg_type(item[1])
        verdict = verdicts.get(msg_type)
        if verdict is None:
            verdict = verdicts[msg_type] = resendable(msg_type)
        if verdict:
            if gap_start is not None:
                append(GapFill(gap_start, seqnum))
                gap_start = None
            append(Replay(seqnum, item[1]))
        elif gap_start is None:
            gap_start = seqnum
        current = seqnum + 1
    if gap_start is None and current <= end:
        gap_start = current
    if gap_start is not None:
        append(GapFill(gap_start, end + 1))
    return steps
