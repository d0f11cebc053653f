"""Pure-Python twin of ``pyfixmsg_plus._speedups.possdup``: a stored frame rewritten into its resent form.

FIX rule (ResendRequest(2) answered by replay): the stored message goes out again with PossDupFlag(43)=Y,
OrigSendingTime(122) = its original SendingTime(52), a new SendingTime(52), the same MsgSeqNum(34) and body,
and a new BodyLength(9) and CheckSum(10). ``MessageBuilder.resent`` (session/admin.py) does that by parsing the
frame into pairs and encoding them again; :class:`PossDupRewriter` gives the same bytes straight from the stored
bytes, and answers None for a frame outside its *fast form* (the caller then uses the builder):

- the frame ends with SOH, its first three fields are BeginString(8), BodyLength(9), MsgType(35) (ASCII), its
  last is CheckSum(10);
- every other field is ``tag=value`` with a tag of 1-9 ASCII digits and no leading zero;
- MsgSeqNum(34) is present, 1-18 ASCII digits;
- at most :data:`MAX_HEADER_FIELDS` header fields are copied.

The output is the builder's field order: 8, 9, 35, then the header fields by ascending tag (34, 43=Y, 49 and 56
of the session, the new 52, 122 when the stored frame had a 52, and the stored frame's other header fields, equal
tags in frame order), then the body fields in frame order, then 10. Trailer fields (93, 89) and the session's own
header fields of the stored frame are not copied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SOH = b"\x01"
#: header tags the session sets itself on a resent frame: never copied from the stored one
SESSION_HEADER_TAGS = frozenset({8, 9, 10, 34, 35, 43, 49, 52, 56, 122})
#: most header fields (beyond the session's own) copied from one stored frame on the fast form
MAX_HEADER_FIELDS = 64
#: longest tag (digits) and MsgSeqNum(34) (digits) of the fast form
MAX_TAG_DIGITS = 9
MAX_SEQNUM_DIGITS = 18

# what the rewrite does with a field of the stored frame
_BODY, _HEADER, _DROP, _SEQNUM, _SENDING_TIME = range(5)
#: fields of the fast form: tag (1-9 digits, no leading zero) '=' value (no SOH) SOH, any number of them
_FIELDS = re.compile(rb"(?:[1-9][0-9]{0,8}=[^\x01]*\x01)*").fullmatch


class PossDupRewriter:
    """Rewrites stored frames of one session into their PossDupFlag(43)=Y form (see the module docstring).

    ``begin_string``, ``sender_comp_id``, ``target_comp_id``: the session's BeginString(8), SenderCompID(49) and
    TargetCompID(56) as wire bytes; ``header_tags``: the tags that belong in the standard header (copied into
    it), ``trailer_tags``: those of the trailer (dropped).
    """

    def __init__(
        self,
        begin_string: bytes,
        sender_comp_id: bytes,
        target_comp_id: bytes,
        header_tags: Iterable[int],
        trailer_tags: Iterable[int],
    ) -> None:
        self.begin_string = bytes(begin_string)
        self.sender_comp_id = bytes(sender_comp_id)
        self.target_comp_id = bytes(target_comp_id)
        self.header_tags = frozenset(int(tag) for tag in header_tags)
        self.trailer_tags = frozenset(int(tag) for tag in trailer_tags)
        check_tag_sets(self.header_tags, self.trailer_tags)
        # what becomes of each tag (by its wire digits) that is not a body field
        self._kinds: dict[bytes, int] = {b"%d" % tag: _DROP for tag in self.trailer_tags}
        self._kinds.update({b"%d" % tag: _HEADER for tag in self.header_tags})
        self._kinds.update({b"%d" % tag: _DROP for tag in SESSION_HEADER_TAGS})
        self._kinds.update({b"34": _SEQNUM, b"52": _SENDING_TIME})
        # finds the fields that are not body fields, each with the SOH before it (the fields were checked whole
        # before, so a SOH always opens a field; the '=' after the tag makes the order of alternatives moot)
        alternatives = b"|".join(self._kinds)
        self._not_body = re.compile(rb"\x01(" + alternatives + rb")=([^\x01]*)").finditer

    def rewrite(self, stored: bytes, sending_time: bytes) -> bytes | None:
        """``stored`` resent with SendingTime(52) ``sending_time`` (wire bytes), or None outside the fast form."""
        stored = bytes(stored)
        if not stored.endswith(SOH):
            return None
        pieces = stored[:-1].split(SOH)
        if len(pieces) < 4 or not (
            pieces[0].startswith(b"8=") and pieces[1].startswith(b"9=") and pieces[2].startswith(b"35=")
            and pieces[-1].startswith(b"10=") and pieces[2].isascii()
        ):  # fmt: skip
            return None
        # the fields between MsgType and CheckSum: each tag=value with a plain tag (one regular expression)
        start = len(pieces[0]) + len(pieces[1]) + len(pieces[2]) + 3
        end = len(stored) - 1 - len(pieces[-1])
        if _FIELDS(stored, start, end) is None:
            return None
        seqnum: bytes | None = None
        original: bytes | None = None
        copied: list[tuple[int, bytes]] = []
        body: list[bytes] = []  # the body: the stretches between the fields that are not body fields
        for field in self._not_body(stored, start - 1, end - 1):
            body.append(stored[start : field.start() + 1])
            start = field.end() + 1
            tag_text, value = field.group(1, 2)
            kind = self._kinds[tag_text]
            if kind == _SEQNUM and seqnum is None:
                seqnum = value
            elif kind == _SENDING_TIME and original is None:
                original = value
            elif kind == _HEADER:
                copied.append((int(tag_text), stored[field.start() + 1 : start]))
        body.append(stored[start:end])
        if seqnum is None or not (0 < len(seqnum) <= MAX_SEQNUM_DIGITS and seqnum.isdigit()):
            return None
        if len(copied) > MAX_HEADER_FIELDS:
            return None
        header = [
            (34, b"34=%d\x01" % int(seqnum)),
            (43, b"43=Y\x01"),
            (49, b"49=" + self.sender_comp_id + SOH),
            (52, b"52=" + bytes(sending_time) + SOH),
            (56, b"56=" + self.target_comp_id + SOH),
        ]
        if original is not None:
            header.append((122, b"122=" + original + SOH))
        header.extend(copied)
        header.sort(key=lambda field: field[0])  # stable: equal tags keep the stored frame's order
        return _frame(self.begin_string, b"".join([pieces[2], SOH, *(piece for _, piece in header), *body]))


def check_tag_sets(header_tags: frozenset[int], trailer_tags: frozenset[int]) -> None:
    """The session's own header tags must be header tags, and CheckSum(10) a trailer tag: the rewrite drops
    them where the builder would (ValueError naming the tags missing)."""
    missing = sorted(SESSION_HEADER_TAGS - {10} - header_tags)
    if missing or 10 not in trailer_tags:
        raise ValueError(
            f"PossDupRewriter: header_tags lack {missing} or trailer_tags lack 10 "
            f"(trailer_tags = {sorted(trailer_tags)})"
        )


def _frame(begin_string: bytes, body: bytes) -> bytes:
    """``8=<begin>|9=<len(body)>|<body>10=<ccc>|`` with CheckSum(10) the byte sum modulo 256."""
    head = b"8=" + begin_string + SOH + b"9=%d" % len(body) + SOH + body
    return head + b"10=%03d" % (sum(head) & 0xFF) + SOH


__all__ = ["MAX_HEADER_FIELDS", "SESSION_HEADER_TAGS", "PossDupRewriter", "check_tag_sets"]
