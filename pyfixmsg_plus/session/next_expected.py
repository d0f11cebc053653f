"""NextExpectedMsgSeqNum(789) on Logon (FIX 4.4 and FIXT.1.1), QuickFIX/J's ``EnableNextExpectedMsgSeqNum``.

With the setting on, every Logon(35=A) we send says which MsgSeqNum(34) we expect next from the counterparty,
and a Logon we receive says which of ours the counterparty expects next. That makes the Logon exchange itself
the recovery: the side that is behind does not send a ResendRequest(2), the side that is ahead resends from
the counterparty's 789 on as if one had arrived.

The rules (pure functions here; :mod:`pyfixmsg_plus.session.handlers` applies them in ``_on_logon``):

* our Logon's 789 is the next number we expect; in the answer to a Logon that we accept in sequence, that
  Logon counts as received (its MsgSeqNum + 1);
* a received 789 above our next MsgSeqNum to send names messages we never sent: Logout and disconnect;
* a received 789 below it: our messages from 789 up to (not including) that next number are resent;
* a received 789 that is not a positive integer refuses the Logon.
"""

from __future__ import annotations

from pyfixmsg_plus.session import validation as v
from pyfixmsg_plus.session.config import FIRST_VERSION_WITH_NEXT_EXPECTED
from pyfixmsg_plus.session.events import FetchResend
from pyfixmsg_plus.session.inbound import read_int
from pyfixmsg_plus.session.sequencing import ResendRange

#: NextExpectedMsgSeqNum, a Logon(35=A) body field from FIX 4.4 (and FIXT.1.1)
NEXT_EXPECTED_MSG_SEQ_NUM = 789


class BadNextExpected(ValueError):
    """A received NextExpectedMsgSeqNum(789) that is not a positive integer; ``str()`` is the Logout Text."""


def supports_next_expected(version: tuple[int, int]) -> bool:
    """True when a BeginString's version key (``SessionConfig.version_key``) has 789 in its Logon."""
    return version >= FIRST_VERSION_WITH_NEXT_EXPECTED


def parse_next_expected(raw: bytes) -> int:
    """The value of a received NextExpectedMsgSeqNum(789); BadNextExpected when it is not a positive integer
    (digits only, as FIX's SeqNum type: no sign, no spaces; at most MAX_INT_DIGITS significant digits)."""
    value = read_int(raw)
    if value is not None and value > 0:
        return value
    raise BadNextExpected(
        f"NextExpectedMsgSeqNum({NEXT_EXPECTED_MSG_SEQ_NUM})={v.quote_received(raw)} in Logon "
        "is not a positive integer"
    )


def too_high_text(next_expected: int, next_sender: int) -> str:
    """Logout Text(58) for a received 789 above ``next_sender``, our next MsgSeqNum(34) to send."""
    return (
        f"NextExpectedMsgSeqNum({NEXT_EXPECTED_MSG_SEQ_NUM})={next_expected} is higher than the next "
        f"MsgSeqNum to send, {next_sender}"
    )


def logon_next_expected(next_target: int, counts_received_logon: bool) -> int:
    """The 789 of a Logon we send: ``next_target`` (the MsgSeqNum we expect next), plus one when the Logon we
    answer is accepted in sequence (it is counted as received right after our answer goes out)."""
    return next_target + 1 if counts_received_logon else next_target


def implied_resend(next_expected: int, next_sender: int) -> FetchResend | None:
    """What a received 789 asks of us, given ``next_sender`` (our next MsgSeqNum to send when the Logon
    arrived, before any answer): our messages 789..``next_sender`` - 1, fetched and replayed exactly as for a
    ResendRequest(2) of that range, when 789 is lower; None when it is equal. A 789 above ``next_sender`` is
    refused before this is asked (:func:`too_high_text`)."""
    if next_expected >= next_sender:
        return None
    return FetchResend(next_expected, next_sender - 1)


def gap_asked_by_our_logon(sent_next_expected: int | None, logon_seqnum: int) -> ResendRange | None:
    """The gap before a received Logon numbered ``logon_seqnum`` (above the number we expect) as already
    asked for, when the Logon we sent on this connection carried 789 = ``sent_next_expected``: that 789 asks
    the counterparty to resend from it on, so no ResendRequest(2) is sent for the gap (QuickFIX/J marks it
    requested the same way). None when we sent no 789 or it is above the gap."""
    last = logon_seqnum - 1
    if sent_next_expected is None or sent_next_expected > last:
        return None
    return ResendRange(sent_next_expected, last, last)


__all__ = [
    "NEXT_EXPECTED_MSG_SEQ_NUM",
    "BadNextExpected",
    "gap_asked_by_our_logon",
    "implied_resend",
    "logon_next_expected",
    "parse_next_expected",
    "supports_next_expected",
    "too_high_text",
]
