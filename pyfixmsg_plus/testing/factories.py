"""Message factories: valid messages of any type of a data dictionary, with fixed or random values.

::

    factory = MessageFactory("FIX.4.4", sender="CLIENT", target="EXEC")
    order = factory.build("D", {11: "ORD1", 55: "EUR/USD"})      # required fields filled, yours kept
    anything = factory.random("8", random.Random(7))    # optional fields and groups too, random values
    frame = factory.encode(order)                              # bytes with BodyLength(9) and CheckSum(10)

For property tests with hypothesis (an optional dependency)::

    @given(factory.messages("D"))
    def test_my_handler(message): ...

Values follow the field's type (INT, PRICE, UTCTIMESTAMP, CHAR, BOOLEAN, ...) and its enumerated values; repeating
groups get entries whose delimiter comes first; DATA fields get their LENGTH field. The message is valid for the
dictionary as :func:`pyfixmsg_plus.testing.assertions.assert_valid` checks it (conditional rules that a
dictionary cannot express, such as "Price(44) is required for a limit order", are not known to it).
"""

from __future__ import annotations

import datetime
import string
from collections.abc import Callable, Mapping
from random import Random
from typing import Any

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.dictionary import load_builtin
from pyfixmsg_plus.message.field_formats import DATA_TYPES, MULTIPLE_VALUE_TYPES
from pyfixmsg_plus.message.fixmessage import FixMessage
from pyfixmsg_plus.message.reference import FixSpec, FixTag, Group

#: header fields the factory sets itself: BeginString, BodyLength, MsgType, SenderCompID, TargetCompID,
#: MsgSeqNum, SendingTime, CheckSum
FRAME_TAGS = frozenset({8, 9, 10, 34, 35, 49, 52, 56})
#: a random message holds each optional field with this probability
OPTIONAL_FIELD_PROBABILITY = 0.3
#: largest number of entries of a random repeating group; and of nested groups below the top level
MAX_GROUP_ENTRIES, MAX_NESTED_GROUP_ENTRIES = 3, 2
#: the fixed time of non-random values: 2024-06-03 12:00:00 UTC
FIXED_TIME = datetime.datetime(2024, 6, 3, 12, 0, 0, tzinfo=datetime.UTC)
_TEXT_ALPHABET = string.ascii_letters + string.digits

ValueMaker = Callable[[Random | None], str]


def _number(rng: Random | None, low: int, high: int, fixed: int) -> int:
    return rng.randint(low, high) if rng is not None else fixed


def _time(rng: Random | None) -> datetime.datetime:
    if rng is None:
        return FIXED_TIME
    return FIXED_TIME + datetime.timedelta(seconds=rng.randint(-86_400 * 365, 86_400 * 365),
                                           milliseconds=rng.randint(0, 999))  # fmt: skip


def _text(rng: Random | None, fixed: str = "TEXT") -> str:
    if rng is None:
        return fixed
    return "".join(rng.choice(_TEXT_ALPHABET) for _ in range(rng.randint(1, 12)))


def _float(rng: Random | None) -> str:
    if rng is None:
        return "100.25"
    return f"{rng.randint(0, 1_000_000) / 100:.2f}"


# Values by QuickFIX type: each is valid for pyfixmsg_plus.message.field_formats' check of the type.
_BY_TYPE: dict[str, ValueMaker] = {
    "INT": lambda rng: str(_number(rng, 0, 100_000, 1)),
    "LENGTH": lambda rng: str(_number(rng, 1, 100, 4)),
    "SEQNUM": lambda rng: str(_number(rng, 1, 100_000, 1)),
    "TAGNUM": lambda rng: str(_number(rng, 1, 999, 55)),
    "DAYOFMONTH": lambda rng: str(_number(rng, 1, 28, 3)),
    "FLOAT": _float, "PRICE": _float, "QTY": _float, "AMT": _float, "PRICEOFFSET": _float,
    "PERCENTAGE": lambda rng: f"{_number(rng, 0, 100, 50) / 100:.2f}",
    "BOOLEAN": lambda rng: "Y" if rng is None or rng.random() < 0.5 else "N",
    "CHAR": lambda rng: rng.choice(_TEXT_ALPHABET) if rng is not None else "A",
    "UTCTIMESTAMP": lambda rng: _time(rng).strftime("%Y%m%d-%H:%M:%S.%f")[:-3],
    "TIME": lambda rng: _time(rng).strftime("%Y%m%d-%H:%M:%S"),
    "TZTIMESTAMP": lambda rng: _time(rng).strftime("%Y%m%d-%H:%M:%SZ"),
    "UTCTIMEONLY": lambda rng: _time(rng).strftime("%H:%M:%S"),
    "LOCALMKTTIME": lambda rng: _time(rng).strftime("%H:%M:%S"),
    "TZTIMEONLY": lambda rng: _time(rng).strftime("%H:%MZ"),
    "UTCDATEONLY": lambda rng: _time(rng).strftime("%Y%m%d"),
    "UTCDATE": lambda rng: _time(rng).strftime("%Y%m%d"),
    "DATE": lambda rng: _time(rng).strftime("%Y%m%d"),
    "LOCALMKTDATE": lambda rng: _time(rng).strftime("%Y%m%d"),
    "MONTHYEAR": lambda rng: _time(rng).strftime("%Y%m"),
    "CURRENCY": lambda rng: rng.choice(["USD", "EUR", "GBP", "JPY"]) if rng is not None else "USD",
    "COUNTRY": lambda rng: rng.choice(["US", "GB", "FR", "JP"]) if rng is not None else "US",
    "EXCHANGE": lambda rng: rng.choice(["XNYS", "XLON", "XPAR"]) if rng is not None else "XNYS",
    "LANGUAGE": lambda rng: rng.choice(["en", "fr", "de"]) if rng is not None else "en",
}  # fmt: skip


class MessageFactory:
    """Builds messages of ``spec`` (a FixSpec, or a built-in dictionary's name such as "FIX.4.4").

    ``sender``/``target``: SenderCompID(49)/TargetCompID(56) of the messages; MsgSeqNum(34) counts from
    ``first_seqnum``, one per message built. SendingTime(52) is the time of building (a session rejects
    one that is too old, SessionRejectReason 10) unless ``sending_time`` fixes it (UTCTIMESTAMP text).
    """

    def __init__(
        self, spec: FixSpec | str = "FIX.4.4", *, sender: str = "SENDER", target: str = "TARGET",
        first_seqnum: int = 1, sending_time: str | None = None,
    ) -> None:  # fmt: skip
        self.spec = load_builtin(spec) if isinstance(spec, str) else spec
        self.codec = Codec(spec=self.spec)
        self.sender, self.target = sender, target
        self.next_seqnum = first_seqnum
        self.sending_time = sending_time

    # ------------------------------------------------------------------ public API
    @property
    def msg_types(self) -> list[str]:
        """Every MsgType(35) value of the dictionary, sorted."""
        return sorted({m.msgtype for m in self.spec.msg_types.values()})

    def build(self, msg_type: str, fields: Mapping[int, Any] | None = None) -> FixMessage:
        """A message of ``msg_type`` with every required field (fixed, valid values) and ``fields`` on top.

        ``fields`` may hold groups as ``{count_tag: [{tag: value, ...}, ...]}``. KeyError names an unknown type.
        """
        return self._make(msg_type, None, fields)

    def random(self, msg_type: str, rng: Random, fields: Mapping[int, Any] | None = None) -> FixMessage:
        """A message of ``msg_type`` with random valid values: every required field, each optional field and
        group with probability OPTIONAL_FIELD_PROBABILITY, groups of 1..MAX_GROUP_ENTRIES entries."""
        return self._make(msg_type, rng, fields)

    def encode(self, message: Mapping[Any, Any]) -> bytes:
        """The message as a wire frame, with BodyLength(9) and CheckSum(10) computed."""
        return self.codec.encode(message)

    def messages(self, msg_type: str | None = None, fields: Mapping[int, Any] | None = None) -> Any:
        """A hypothesis strategy of random valid messages (of ``msg_type``, or of any type of the dictionary).

        ImportError with an explanation when hypothesis is not installed (it is optional at run time)."""
        try:
            from hypothesis import strategies as st
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("MessageFactory.messages() needs hypothesis: pip install hypothesis") from exc
        types = st.just(msg_type) if msg_type is not None else st.sampled_from(self.msg_types)
        return st.builds(lambda t, rng: self.random(t, rng, fields), types, st.randoms(use_true_random=False))

    def value_for(self, tag: int, rng: Random | None = None) -> str:
        """A valid value of field ``tag``: one of its enumerated values, else one of its type (fixed when
        ``rng`` is None). KeyError when the dictionary does not know the tag."""
        field = self.spec.tags.by_tag(tag)
        return _value(field, rng)

    # ------------------------------------------------------------------ building
    def _make(self, msg_type: str, rng: Random | None, fields: Mapping[int, Any] | None) -> FixMessage:
        definition = self.spec.msg_types.get(msg_type)
        if definition is None:
            raise KeyError(f"MsgType(35)={msg_type!r} is not a message of {self.spec.source} "
                           f"(known: {', '.join(self.msg_types)})")  # fmt: skip
        message = FixMessage({8: self.spec.begin_string, 35: msg_type, 49: self.sender, 56: self.target,
                              34: self.next_seqnum, 52: self._sending_time()})  # fmt: skip
        self.next_seqnum += 1
        message.update(self._required_header(rng))
        message.update(self._level(definition, rng, depth=0))
        message.update(fields or {})
        message.codec = self.codec
        return message

    def _sending_time(self) -> str:
        if self.sending_time is not None:
            return self.sending_time
        return datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]

    def _required_header(self, rng: Random | None) -> dict[int, Any]:
        # e.g. ApplVerID or other header fields a dictionary declares required beyond the ones set above
        required = [t for t in self.spec.header.required_order if t not in FRAME_TAGS]
        return {tag: self.value_for(tag, rng) for tag in required}

    def _level(self, level: Any, rng: Random | None, depth: int) -> dict[int, Any]:
        """The fields of one message body or group entry: required ones always, optional ones at random."""
        out: dict[int, Any] = {}
        required = level.required_tags
        for tag in level.field_order:
            field = self.spec.tags.get(tag)
            if field is None or tag in FRAME_TAGS or tag in out:
                continue
            is_required = tag in required or (isinstance(level, Group) and tag == level.first_tag)
            if not is_required and (rng is None or rng.random() >= OPTIONAL_FIELD_PROBABILITY):
                continue
            group = level.groups.get(tag)
            if group is not None:
                out[tag] = self._entries(group, rng, depth)
            elif field.type == "NUMINGROUP" and not is_required:
                continue  # a count without its group's definition cannot be filled consistently
            # (a required one is a plain number in its version: FIX 4.3 ListStatus's NoRpts(82) has no group)
            elif field.type == "LENGTH" or field.type in DATA_TYPES:
                out.update(self._data_pair(level, field, rng))
            else:
                out[tag] = _value(field, rng)
        return out

    def _entries(self, group: Group, rng: Random | None, depth: int) -> list[dict[int, Any]]:
        counts = _allowed_counts(group.count_tag, MAX_GROUP_ENTRIES if depth == 0 else MAX_NESTED_GROUP_ENTRIES)
        count = rng.choice(counts) if rng is not None else counts[0]
        return [self._level(group, rng, depth + 1) for _ in range(count)]

    def _data_pair(self, level: Any, field: FixTag, rng: Random | None) -> dict[int, Any]:
        """A DATA field with its LENGTH field, which comes just before it in the dictionary (e.g. 95/96); a
        LENGTH field without a DATA field after it gets a plain number."""
        order = list(level.field_order)
        position = order.index(field.tag)
        length_field: FixTag | None = field
        data_field: FixTag | None = field
        if field.type == "LENGTH":
            data_field = self._field_at(order, position + 1)
        else:
            length_field, data_field = self._field_at(order, position - 1), field
        if data_field is None or data_field.type not in DATA_TYPES:
            return {field.tag: _value(field, rng)} if field.type == "LENGTH" else {}
        if length_field is None or length_field.type != "LENGTH":
            return {}  # a DATA field without its LENGTH cannot be framed: leave it out
        data = _text(rng, "DATA")
        return {length_field.tag: str(len(data)), data_field.tag: data}

    def _field_at(self, order: list[int], position: int) -> FixTag | None:
        if not 0 <= position < len(order):
            return None
        return self.spec.tags.get(order[position])


def _allowed_counts(count_tag: FixTag, most: int) -> list[int]:
    """Entry counts a group may have: 1..most, within the count field's enumerated values when it has some
    (NoSides(552) allows only 1 and 2)."""
    counts = list(range(1, most + 1))
    if count_tag.values:
        enumerated = {int(value) for value, _ in count_tag.values if value.isdigit()}
        counts = [n for n in counts if n in enumerated] or sorted(enumerated)[:1] or [1]
    return counts


def _value(field: FixTag, rng: Random | None) -> str:
    """A valid value of ``field``: an enumerated value when it has some, else one made for its type."""
    if field.values:
        choices = [value for value, _ in field.values]
        return rng.choice(choices) if rng is not None else choices[0]
    maker = _BY_TYPE.get(field.type or "")
    if maker is not None:
        return maker(rng)
    if field.type in MULTIPLE_VALUE_TYPES or field.type == "NUMINGROUP":
        return "1"
    return _text(rng)  # STRING and other free-text types


__all__ = ["MessageFactory"]
