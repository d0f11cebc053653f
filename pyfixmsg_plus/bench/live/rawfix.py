"""Bare FIX 4.4 frames for the benchmark counterparties that run outside our engine (the scale driver and the
recovery counterparty): they build a handful of session messages by hand and read a few fields back, so that
what they cost stays small and does not depend on the engine being measured.

Frames are encoded by :func:`pyfixmsg_plus.message.encoder.encode_message` (BodyLength(9) and CheckSum(10)
computed there); received bytes are split by :class:`pyfixmsg_plus.message.framing.Framer`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from pyfixmsg_plus.message.encoder import encode_message, format_utc_timestamp

BEGIN_STRING = "FIX.4.4"
SOH = b"\x01"

#: MsgType(35) values the counterparties send or look for
HEARTBEAT, TEST_REQUEST, RESEND_REQUEST, REJECT, SEQUENCE_RESET, LOGOUT, LOGON = "0", "1", "2", "3", "4", "5", "A"
NEW_ORDER_SINGLE, BUSINESS_REJECT = "D", "j"


def utc_now() -> bytes:
    """SendingTime(52) of a frame sent now: UTCTimestamp with milliseconds."""
    return format_utc_timestamp(time.time_ns(), "ms")


def build_frame(msg_type: str, seqnum: int, sender: str, target: str, body: Iterable[tuple[int, object]] = ()) -> bytes:
    """A complete frame: header 35, 34, 49, 52, 56 (QuickFIX's order), then ``body`` in the given order."""
    fields: list[tuple[int, object]] = [(35, msg_type), (34, seqnum), (49, sender), (52, utc_now()), (56, target)]
    fields += body
    return encode_message(BEGIN_STRING, fields)


def field_value(frame: bytes, tag: int) -> bytes | None:
    """The value of the first ``tag`` after BeginString(8) in ``frame``, or None when absent."""
    marker = b"\x01%d=" % tag
    start = frame.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = frame.find(SOH, start)
    return frame[start : end if end >= 0 else len(frame)]


def logon_body(heartbeat_s: int) -> list[tuple[int, object]]:
    """Logon(35=A) body: EncryptMethod(98)=0 (none) and HeartBtInt(108) in seconds."""
    return [(98, 0), (108, heartbeat_s)]
