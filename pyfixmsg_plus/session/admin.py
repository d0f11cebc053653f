"""Builds the frames the session sends: admin messages, rejects, gap fills, resent and application messages.

Field order is QuickFIX's, which the acceptance scripts compare: 8, 9, 35, then the other header fields in
ascending
tag number, then the body (admin bodies in ascending tag number), then 10.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from typing import Any

from pyfixmsg_plus.session.config import SessionConfig, version_key
from pyfixmsg_plus.session.inbound import HEADER_TAGS, TRAILER_TAGS, Inbound, parse_pairs
from pyfixmsg_plus.session.resend import possdup_rewriter

Value = str | bytes | int
Field = tuple[int, Value]

# OnBehalfOf* <-> DeliverTo* (115/128, 116/129, 144/145): a reply goes back along the route the message came
# (QuickFIX's reverseRoute); LocationID exists from FIX 4.1
_REVERSED_ROUTE = ((115, 128), (128, 115), (116, 129), (129, 116))
_REVERSED_LOCATION = ((144, 145), (145, 144))
# fields a new message never copies from the frame it answers or replays: the session sets them itself
_SESSION_HEADER_TAGS = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 122})


_encoder_module: Any = None
#: header and trailer tags: an application field among them is moved out of the body (see ``application``)
NOT_BODY_TAGS = HEADER_TAGS | TRAILER_TAGS
_US_PER_SECOND = 1_000_000
_NS_PER_US = 1_000


def encoder_module() -> Any:
    """The live encoder module (imported on first use: pyfixmsg_plus.message imports this package)."""
    global _encoder_module
    if _encoder_module is None:
        from pyfixmsg_plus.message import encoder

        _encoder_module = encoder
    return _encoder_module


def format_sending_time(now: float, precision: str) -> bytes:
    """``now`` (seconds since the epoch) as a UTCTimestamp with ``precision`` ("s", "ms", "us", "ns")."""
    return encoder_module().format_utc_timestamp(round(now * _US_PER_SECOND) * _NS_PER_US, precision)


def reverse_route(inbound: Inbound, begin_string: str) -> list[Field]:
    """The routing header fields of a reply to ``inbound``; empty routing values are not reversed."""
    pairs = list(_REVERSED_ROUTE)
    if version_key(begin_string) >= (4, 1):
        pairs.extend(_REVERSED_LOCATION)
    out: list[Field] = []
    for received, reply in pairs:
        value = inbound.first.get(received)
        if value:
            out.append((reply, value))
    return out


#: the tag of a (tag, value) field, as a C-level callable (sort key, map over fields)
_tag_of = operator.itemgetter(0)


class MessageBuilder:
    """Encodes the session's outbound messages for one :class:`SessionConfig`."""

    def __init__(self, config: SessionConfig) -> None:
        self._config = config
        self._begin = config.begin_string
        self._version = config.version_key
        self._sending_time = encoder_module().SendingTimeFormat()  # compiled when the encoder is
        #: resend stored frames through the PossDupRewriter (about 0.8 us a frame) before re-encoding them
        #: (about 9 us); False re-encodes every one (the reference the rewriter is tested against)
        self.fast_resend = True
        self._rewriter: Any = None  # built on the first resend: most sessions never answer a ResendRequest

    def sending_time(self, now: float) -> bytes:
        """SendingTime(52) for ``now`` (seconds since the epoch) at the session's TimestampPrecision."""
        return self._sending_time(now, self._config.timestamp_precision)

    def encode(
        self, msg_type: str, seqnum: int, now: float, body: Iterable[Field] = (), header: Iterable[Field] = ()
    ) -> bytes:
        """A frame: standard header (34, 49, 52, 56) plus ``header`` sorted by tag, then ``body``."""
        return self.encode_at(msg_type, seqnum, self.sending_time(now), body, header)

    def encode_at(
        self,
        msg_type: str,
        seqnum: int,
        sending_time: bytes,
        body: Iterable[Field] = (),
        header: Iterable[Field] = (),
    ) -> bytes:
        """:meth:`encode` with SendingTime(52) already formatted (wire bytes)."""
        config = self._config
        fields: list[Field] = [
            (35, msg_type),
            (34, seqnum),
            (49, config.sender_comp_id),
            (52, sending_time),
            (56, config.target_comp_id),
        ]
        if header:
            fields.extend(header)
            fields[1:] = sorted(fields[1:], key=_tag_of)  # 35 stays third, after 8 and 9
        fields.extend(body)
        return encoder_module().encode_message(self._begin, fields)

    # ------------------------------------------------------------ admin messages
    def logon(
        self, seqnum: int, now: float, heartbeat_interval: int, reset: bool, next_expected: int | None = None
    ) -> bytes:
        """Logon (35=A): EncryptMethod(98)=0, HeartBtInt(108), ResetSeqNumFlag(141)=Y when resetting,
        NextExpectedMsgSeqNum(789) when ``next_expected`` is given (FIX 4.4+, EnableNextExpectedMsgSeqNum)."""
        body: list[Field] = [(98, 0), (108, heartbeat_interval)]
        if reset:
            body.append((141, "Y"))
        if next_expected is not None:
            body.append((789, next_expected))
        if self._config.username is not None:
            body.append((553, self._config.username))
        if self._config.password is not None:
            body.append((554, self._config.password))
        body.extend(self._config.logon_extra_fields)
        body.sort(key=lambda f: f[0])
        return self.encode("A", seqnum, now, body)

    def heartbeat(self, seqnum: int, now: float, test_req_id: bytes | None = None) -> bytes:
        """Heartbeat (35=0); answering a TestRequest it carries that TestReqID (112)."""
        body: list[Field] = [] if test_req_id is None else [(112, test_req_id)]
        return self.encode("0", seqnum, now, body)

    def test_request(self, seqnum: int, now: float, test_req_id: str) -> bytes:
        """TestRequest (35=1) with TestReqID (112)."""
        return self.encode("1", seqnum, now, [(112, test_req_id)])

    def resend_request(self, seqnum: int, now: float, begin: int, end: int) -> bytes:
        """ResendRequest (35=2) for BeginSeqNo(7)..EndSeqNo(16)."""
        return self.encode("2", seqnum, now, [(7, begin), (16, end)])

    def logout(self, seqnum: int, now: float, text: str = "") -> bytes:
        """Logout (35=5), with Text (58) when given."""
        return self.encode("5", seqnum, now, [(58, text)] if text else [])

    def reject(
        self, seqnum: int, now: float, ref: Inbound, reason: int, text: str, ref_tag: str | None
    ) -> bytes:
        """Reject (35=3) of ``ref``: RefSeqNum(45), Text(58), RefTagID(371), RefMsgType(372),
        SessionRejectReason(373).

        FIX 4.0/4.1 have no 371-373: the tag goes into the text instead; FIX 4.2 knows reasons 0-11 only.
        """
        body: list[Field] = []
        ref_seqnum = ref.first.get(34)
        if ref_seqnum:
            body.append((45, ref_seqnum))
        has_ref_tag = self._version >= (4, 2) and ref_tag is not None
        if ref_tag is not None and not has_ref_tag:
            text = f"{text} ({ref_tag})"
        body.append((58, text))
        if has_ref_tag:
            body.append((371, ref_tag or ""))
        if self._version >= (4, 2):
            if ref.msg_type:
                body.append((372, ref.msg_type))
            if self._version > (4, 2) or reason <= 11:
                body.append((373, reason))
        return self.encode("3", seqnum, now, body, reverse_route(ref, self._begin))

    def business_reject(self, seqnum: int, now: float, ref: Inbound, reason: int, text: str) -> bytes:
        """BusinessMessageReject (35=j): RefSeqNum(45), Text(58), RefMsgType(372), reason (380)."""
        body: list[Field] = []
        ref_seqnum = ref.first.get(34)
        if ref_seqnum:
            body.append((45, ref_seqnum))
        body.extend([(58, text), (372, ref.msg_type), (380, reason)])
        return self.encode("j", seqnum, now, body, reverse_route(ref, self._begin))

    def gap_fill(self, seqnum: int, now: float, new_seqno: int) -> bytes:
        """SequenceReset-GapFill (35=4, 123=Y) sent with PossDupFlag(43)=Y and
        OrigSendingTime(122)=SendingTime.
        """
        return self.gap_fill_at(seqnum, self.sending_time(now), new_seqno)

    def gap_fill_at(self, seqnum: int, sending_time: bytes, new_seqno: int) -> bytes:
        """:meth:`gap_fill` with SendingTime(52) already formatted (wire bytes)."""
        fields: list[Field] = [
            (34, seqnum),
            (43, "Y"),
            (49, self._config.sender_comp_id),
            (52, sending_time),
            (56, self._config.target_comp_id),
            (122, sending_time),
        ]
        body: list[Field] = [(36, new_seqno), (123, "Y")]
        return encoder_module().encode_message(self._begin, [(35, "4"), *fields, *body])

    def sequence_reset(self, seqnum: int, now: float, new_seqno: int) -> bytes:
        """SequenceReset-Reset (35=4 without GapFillFlag): the counterparty's next expected number is
        NewSeqNo(36).
        """
        return self.encode("4", seqnum, now, [(36, new_seqno)])

    # ------------------------------------------------------------ application messages and replays
    def application(self, msg_type: str, seqnum: int, now: float, fields: Sequence[Field]) -> bytes:
        """An application message: header tags among ``fields`` join the header, the rest is the body as
        given.
        """
        if NOT_BODY_TAGS.isdisjoint(map(_tag_of, fields)):
            # the usual case, every field is body: encode_at's header without its calls (a send per order)
            config = self._config
            sending_time = self._sending_time(now, config.timestamp_precision)
            return encoder_module().encode_message(self._begin, [
                (35, msg_type), (34, seqnum), (49, config.sender_comp_id), (52, sending_time),
                (56, config.target_comp_id), *fields])  # fmt: skip
        header = [f for f in fields if f[0] in HEADER_TAGS and f[0] not in _SESSION_HEADER_TAGS]
        body = [f for f in fields if f[0] not in HEADER_TAGS and f[0] not in TRAILER_TAGS]
        return self.encode(msg_type, seqnum, now, body, header)

    def resent(self, stored: bytes, now: float) -> bytes:
        """``stored`` replayed for a ResendRequest(2) at ``now`` (seconds since the epoch): see :meth:`resent_at`."""
        return self.resent_at(stored, self.sending_time(now))

    def resent_at(self, stored: bytes, sending_time: bytes) -> bytes:
        """``stored`` replayed for a ResendRequest(2): PossDupFlag(43)=Y, OrigSendingTime(122) = its
        SendingTime(52), SendingTime ``sending_time`` (wire bytes), the same MsgSeqNum(34) and body.

        The :class:`~pyfixmsg_plus.session.possdup_py.PossDupRewriter` gives these bytes straight from the
        stored ones; a frame outside its fast form is re-encoded (:meth:`resent_reencoded`), with the same
        result."""
        if self.fast_resend:
            rewriter = self._rewriter
            if rewriter is None:
                rewriter = self._rewriter = possdup_rewriter(self._config)
            frame: bytes | None = rewriter.rewrite(stored, sending_time)
            if frame is not None:
                return frame
        return self.resent_reencoded(stored, sending_time)

    def resent_reencoded(self, stored: bytes, sending_time: bytes) -> bytes:
        """:meth:`resent_at` by parsing ``stored`` into fields and encoding them again (any stored frame)."""
        pairs = parse_pairs(stored)
        original_time = next((v for t, v in pairs if t == 52), None)
        seqnum = next((v for t, v in pairs if t == 34), b"0")
        msg_type = next((v for t, v in pairs if t == 35), b"")
        header: list[Field] = [(43, "Y")]
        if original_time is not None:
            header.append((122, original_time))
        header.extend(f for f in pairs if f[0] in HEADER_TAGS and f[0] not in _SESSION_HEADER_TAGS)
        body = [f for f in pairs if f[0] not in HEADER_TAGS and f[0] not in TRAILER_TAGS]
        return self.encode_at(msg_type.decode("latin-1"), int(seqnum), sending_time, body, header)
