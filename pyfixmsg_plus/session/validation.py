"""Glue between the message layer's validation errors and the session's Reject (35=3).

The texts are the standard SessionRejectReason (373) descriptions as QuickFIX words them; counterparties and
the
acceptance scripts compare them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyfixmsg_plus.session.inbound import Inbound

# SessionRejectReason (373) codes
INVALID_TAG_NUMBER = 0
REQUIRED_TAG_MISSING = 1
TAG_NOT_DEFINED_FOR_MESSAGE_TYPE = 2
UNDEFINED_TAG = 3
TAG_SPECIFIED_WITHOUT_A_VALUE = 4
VALUE_IS_INCORRECT = 5
INCORRECT_DATA_FORMAT = 6
COMPID_PROBLEM = 9
SENDINGTIME_ACCURACY_PROBLEM = 10
INVALID_MSGTYPE = 11
OTHER = 99

#: Characters of a received value kept when it is quoted in a Text(58) or a log line (the rest becomes "...")
QUOTED_VALUE_LIMIT = 32


def quote_received(value: bytes | str | None, limit: int = QUOTED_VALUE_LIMIT) -> str:
    """A value received from the counterparty as quoted in a Text(58) or a log line: its ``repr`` (so control
    characters cannot forge log lines), cut to its first ``limit`` characters plus ``...`` and its length in
    characters when longer. Bytes are read as latin-1 (every byte is one character); None (field absent) is
    ``None``."""
    if value is None:
        return "None"
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


REJECT_TEXTS: dict[int, str] = {
    0: "Invalid tag number",
    1: "Required tag missing",
    2: "Tag not defined for this message type",
    3: "Undefined Tag",
    4: "Tag specified without a value",
    5: "Value is incorrect (out of range) for this tag",
    6: "Incorrect data format for value",
    7: "Decryption problem",
    8: "Signature problem",
    9: "CompID problem",
    10: "SendingTime accuracy problem",
    11: "Invalid MsgType",
    12: "XML Validation error",
    13: "Tag appears more than once",
    14: "Tag specified out of required order",
    15: "Repeating group fields out of order",
    16: "Incorrect NumInGroup count for repeating group",
    17: "Non Data value includes field delimiter (SOH character)",
    18: "Invalid/Unsupported Application Version",
    99: "Other",
}

# reasons about the message as a whole: the Reject names no RefTagID (371)
_MESSAGE_LEVEL_REASONS = frozenset({7, 8, 9, 10, 11, 12, 18})

# BusinessRejectReason (380)
UNSUPPORTED_MESSAGE_TYPE = 3


@dataclass(frozen=True, slots=True)
class RejectCause:
    """Why a received message is rejected: SessionRejectReason, the tag at fault as received, and the Text."""

    reason: int
    ref_tag: str | None
    text: str


def reject_text(reason: int) -> str:
    """The standard Text (58) for a SessionRejectReason (373) code."""
    return REJECT_TEXTS.get(reason, REJECT_TEXTS[OTHER])


def cause(reason: int, tag: int | None = None) -> RejectCause:
    """A RejectCause with the standard text; ``tag`` is dropped for message-level reasons."""
    ref_tag = None if tag is None or reason in _MESSAGE_LEVEL_REASONS else str(tag)
    return RejectCause(reason, ref_tag, reject_text(reason))


def value_out_of_range(tag: int, name: str, received: bytes | None, why: str) -> RejectCause:
    """Reject 373=5 (Value is incorrect) naming the field and the value received, RefTagID(371) the tag."""
    text = f"{reject_text(VALUE_IS_INCORRECT)}: {name}({tag})={quote_received(received)}: {why}"
    return RejectCause(VALUE_IS_INCORRECT, str(tag), text)


def unreadable_seqnum(tag: int, name: str, received: bytes | None) -> RejectCause:
    """Reject of a sequence-number field the session could not read: 373=1 (Required tag missing) when absent,
    else 373=6 (Incorrect data format) naming the field and the value received (not digits, or past any FIX
    int), as QuickFIX answers a field it cannot convert."""
    if received is None:
        return cause(REQUIRED_TAG_MISSING, tag)
    text = f"{reject_text(INCORRECT_DATA_FORMAT)}: {name}({tag})={quote_received(received)} is not a MsgSeqNum"
    return RejectCause(INCORRECT_DATA_FORMAT, str(tag), text)


def cause_from_error(error: Exception, inbound: Inbound) -> RejectCause:
    """Map a FixValidationError (``.reason``, ``.tag``) to a RejectCause.

    The tokenizer gives a non-numeric tag number 0; the Reject names the tag as it was received (e.g. ``-1``).
    """
    reason = getattr(error, "reason", OTHER)
    if not isinstance(reason, int):
        reason = OTHER
    tag = getattr(error, "tag", None)
    result = cause(reason, tag if isinstance(tag, int) else None)
    if result.ref_tag == "0" and reason == INVALID_TAG_NUMBER:
        result = RejectCause(reason, raw_invalid_tag(inbound.frame), result.text)
    return result


def raw_invalid_tag(frame: bytes) -> str:
    """The first tag of ``frame`` as written that is not a positive tag number (``0``, ``-1``, ``4x``); ``0``
    if none.
    """
    for piece in frame.split(b"\x01"):
        tag, sep, _ = piece.partition(b"=")
        if not sep:
            continue
        if not tag.isdigit() or int(tag) == 0:
            return tag.decode("latin-1")
    return "0"
