"""Accepting real pyfixmsg messages (or any dict-like message) where pyfixmsg-plus expects its own FixMessage.

:func:`as_fixmessage` returns our FixMessage unchanged and converts anything else that is a mapping of tags to
values, such as a ``pyfixmsg.fixmessage.FixMessage`` when that package is installed: groups (RepeatingGroup or
plain
lists of mappings) become our RepeatingGroup of FixFragment, and the pyfixmsg attributes (``time``,
``recipient``,
``process``, ``direction``, ``raw_message``, ``tag_order``) are carried over when present. The codec is ours:
``codec`` when given, else the default spec-less one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyfixmsg_plus.message.codec import Codec
from pyfixmsg_plus.message.fixmessage import FixFragment, FixMessage, RepeatingGroup

_CARRIED_ATTRIBUTES = ("time", "recipient", "process", "direction", "raw_message", "tag_order")

try:  # pyfixmsg is optional and archived; it is detected, never required
    from pyfixmsg.fixmessage import FixMessage as PyfixmsgFixMessage
except ImportError:  # pragma: no cover - depends on the environment
    PyfixmsgFixMessage = None


def _convert_value(tag: Any, value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(entry, Mapping) for entry in value):
        group = RepeatingGroup.create_repeating_group(
            getattr(value, "number_tag", None) or tag,
            getattr(value, "standard", True),
            getattr(value, "first_tag", None),
        )
        group.extend(_convert_fields(entry, FixFragment()) for entry in value)
        return group
    return value


def _convert_fields(fields: Mapping[Any, Any], target: Any) -> Any:
    for tag, value in fields.items():
        target[tag] = _convert_value(tag, value)
    return target


def as_fixmessage(obj: Any, codec: Codec | None = None) -> FixMessage:
    """``obj`` as a pyfixmsg-plus FixMessage: itself when it already is one, else a converted copy.

    Raises TypeError naming the type when ``obj`` is not a mapping of tags to values.
    """
    if isinstance(obj, FixMessage):
        return obj
    if not isinstance(obj, Mapping):
        raise TypeError(
            f"as_fixmessage: expected a FixMessage or a mapping of tags to values, not {type(obj).__name__}"
        )
    message = _convert_fields(obj, FixMessage())
    for name in _CARRIED_ATTRIBUTES:
        if name in getattr(obj, "__dict__", {}) or hasattr(type(obj), name):
            setattr(message, name, getattr(obj, name))
    if codec is not None:
        message.codec = codec
    return message


def is_pyfixmsg_message(obj: Any) -> bool:
    """True when ``obj`` is a message of the original pyfixmsg package (False when it is not installed)."""
    return PyfixmsgFixMessage is not None and isinstance(obj, PyfixmsgFixMessage)
