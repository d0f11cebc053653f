"""Typed errors of the message layer.

:class:`FixValidationError` and its subclasses carry what a session needs to answer a bad message with a
Reject (35=3): RefTagID(371) = ``tag``, RefMsgType(372) = ``msg_type``, SessionRejectReason(373) = ``reason``
and Text(58) = ``text``. One subclass per SessionRejectReason value of FIX 4.4 (0-17, 99).
"""

from __future__ import annotations

from typing import ClassVar


class DictionaryError(ValueError):
    """A data dictionary cannot be read or is inconsistent (the message names the file and the element)."""


class FixValidationError(Exception):
    """A received message breaks its data dictionary.

    Attributes: ``tag`` (the field at fault, RefTagID(371), None when no single field is), ``msg_type``
    (MsgType(35) of the message, RefMsgType(372), None when unknown), ``reason`` (SessionRejectReason(373)
    code), ``text`` (human readable, naming the tag, its name, the value and the message type; goes to
    Text(58)), ``value`` (the offending raw value, or None).
    """

    #: SessionRejectReason(373) code of this class of error
    reason_code: ClassVar[int] = 99
    #: QuickFIX's wording for this reason, the start of ``text``; the FIX 4.4 acceptance scripts
    #: expect exactly this in Text(58)
    summary: ClassVar[str] = "Other"

    def __init__(
        self,
        tag: int | None = None,
        msg_type: str | None = None,
        detail: str = "",
        *,
        value: bytes | None = None,
    ) -> None:
        self.tag = tag
        self.msg_type = msg_type
        self.value = value
        self.reason = self.reason_code
        self.detail = detail
        self.text = f"{self.summary}: {detail}" if detail else self.summary
        super().__init__(self.text)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(tag={self.tag!r}, msg_type={self.msg_type!r}, text={self.text!r})"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self.tag, self.msg_type, self.detail, self.value))


def _rebuild(
    cls: type[FixValidationError], tag: int | None, msg_type: str | None, detail: str, value: bytes | None
) -> FixValidationError:
    return cls(tag, msg_type, detail, value=value)


class InvalidTagNumber(FixValidationError):
    """373=0: the tag is not a number, or not a field of the dictionary (QuickFIX reports unknown tags so)."""

    reason_code = 0
    summary = "Invalid tag number"


class RequiredTagMissing(FixValidationError):
    """373=1: a field the dictionary requires (header, body, component or group entry) is absent."""

    reason_code = 1
    summary = "Required tag missing"


class TagNotDefinedForMessageType(FixValidationError):
    """373=2: a dictionary field that this message type (or this group entry) does not contain."""

    reason_code = 2
    summary = "Tag not defined for this message type"


class UndefinedTag(FixValidationError):
    """373=3: a tag unknown to the dictionary (the validator reports 0 instead, as QuickFIX does)."""

    reason_code = 3
    summary = "Undefined Tag"


class TagSpecifiedWithoutValue(FixValidationError):
    """373=4: ``tag=`` with an empty value."""

    reason_code = 4
    summary = "Tag specified without a value"


class ValueIncorrectOutOfRange(FixValidationError):
    """373=5: the value is not one of the field's enumerated values."""

    reason_code = 5
    summary = "Value is incorrect (out of range) for this tag"


class IncorrectDataFormat(FixValidationError):
    """373=6: the value does not match the field's type (INT, PRICE, UTCTIMESTAMP, BOOLEAN, ...)."""

    reason_code = 6
    summary = "Incorrect data format for value"


class DecryptionProblem(FixValidationError):
    """373=7."""

    reason_code = 7
    summary = "Decryption problem"


class SignatureProblem(FixValidationError):
    """373=8."""

    reason_code = 8
    summary = "Signature problem"


class CompIDProblem(FixValidationError):
    """373=9: SenderCompID(49)/TargetCompID(56) do not match the session (raised by the session layer)."""

    reason_code = 9
    summary = "CompID problem"


class SendingTimeAccuracyProblem(FixValidationError):
    """373=10: SendingTime(52) too far from now (raised by the session layer)."""

    reason_code = 10
    summary = "SendingTime accuracy problem"


class InvalidMsgType(FixValidationError):
    """373=11: MsgType(35) is not a message of the dictionary."""

    reason_code = 11
    summary = "Invalid MsgType"


class XMLValidationError(FixValidationError):
    """373=12."""

    reason_code = 12
    summary = "XML Validation error"


class TagAppearsMoreThanOnce(FixValidationError):
    """373=13: a field repeated outside a repeating group (or twice in one group entry at the top level)."""

    reason_code = 13
    summary = "Tag appears more than once"


class TagSpecifiedOutOfRequiredOrder(FixValidationError):
    """373=14: 8, 9, 35 not first in that order, a header field after the body, or a field after the
    trailer."""

    reason_code = 14
    summary = "Tag specified out of required order"


class RepeatingGroupFieldsOutOfOrder(FixValidationError):
    """373=15: a group entry does not start with the group's first field, or repeats a field in one entry."""

    reason_code = 15
    summary = "Repeating group fields out of order"


class IncorrectNumInGroupCount(FixValidationError):
    """373=16: the NumInGroup count differs from the number of entries that follow."""

    reason_code = 16
    summary = "Incorrect NumInGroup count for repeating group"


class NonDataValueIncludesFieldDelimiter(FixValidationError):
    """373=17: a value of a non-data field contains the SOH separator."""

    reason_code = 17
    summary = "Non Data value includes field delimiter (SOH character)"


class OtherValidationError(FixValidationError):
    """373=99."""

    reason_code = 99
    summary = "Other"


#: SessionRejectReason(373) code -> error class
BY_REASON: dict[int, type[FixValidationError]] = {
    cls.reason_code: cls
    for cls in (
        InvalidTagNumber,
        RequiredTagMissing,
        TagNotDefinedForMessageType,
        UndefinedTag,
        TagSpecifiedWithoutValue,
        ValueIncorrectOutOfRange,
        IncorrectDataFormat,
        DecryptionProblem,
        SignatureProblem,
        CompIDProblem,
        SendingTimeAccuracyProblem,
        InvalidMsgType,
        XMLValidationError,
        TagAppearsMoreThanOnce,
        TagSpecifiedOutOfRequiredOrder,
        RepeatingGroupFieldsOutOfOrder,
        IncorrectNumInGroupCount,
        NonDataValueIncludesFieldDelimiter,
        OtherValidationError,
    )
}
